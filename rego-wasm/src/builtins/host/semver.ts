/** semver.is_valid / semver.compare: Semantic Versioning 2.0.0 (OPA's internal/semver). */
import { BuiltinEvalError } from './errors';
import { str } from './operands';
import type { HostBuiltin } from './types';

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

interface Version {
  core: [bigint, bigint, bigint];
  pre: string[];
}

export function parseSemver(s: string): Version | undefined {
  const m = SEMVER.exec(s);
  if (!m) return undefined;
  return { core: [BigInt(m[1] ?? 0), BigInt(m[2] ?? 0), BigInt(m[3] ?? 0)], pre: m[4] ? m[4].split('.') : [] };
}

function cmp<T>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareSemver(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    const c = cmp(a.core[i], b.core[i]);
    if (c) return c;
  }
  if (!a.pre.length && !b.pre.length) return 0;
  if (!a.pre.length) return 1; // a release is greater than any of its pre-releases
  if (!b.pre.length) return -1;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    let c: number;
    if (xn && yn) c = cmp(BigInt(x), BigInt(y));
    else if (xn) c = -1;
    else if (yn) c = 1;
    else c = cmp(x, y);
    if (c) return c;
  }
  return 0;
}

const isValid: HostBuiltin = (v) => typeof v === 'string' && parseSemver(v) !== undefined;

const compare: HostBuiltin = (a, b) => {
  const name = 'semver.compare';
  const va = parseSemver(str(name, a, 1));
  if (!va) throw new BuiltinEvalError(name, `operand 1: string ${JSON.stringify(a)} is not a valid SemVer`);
  const vb = parseSemver(str(name, b, 2));
  if (!vb) throw new BuiltinEvalError(name, `operand 2: string ${JSON.stringify(b)} is not a valid SemVer`);
  return compareSemver(va, vb);
};

export const semverBuiltins: Record<string, HostBuiltin> = {
  'semver.is_valid': isValid,
  'semver.compare': compare,
};
