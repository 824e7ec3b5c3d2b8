/**
 * Decision-log masking as OPA does it, then a default mask that always runs:
 *
 * 1. the bundle's `system/log/mask` entrypoint (OPA's `system.log.mask`),
 *    evaluated with the event as input, yields a set of JSON pointers to
 *    erase (`"/input/password"`) and/or operations `{"op": "upsert",
 *    "path": …, "value": …}` / `{"op": "remove", "path": …}`; only paths
 *    under `/input` and `/result` apply. Erased/removed pointers are recorded
 *    in the event's `erased`, upserted ones in `masked`;
 * 2. the default mask erases, anywhere in input and result, credentials by
 *    key name (authorization, cookies, API keys, tokens, secrets, passwords),
 *    the protected fields by key name (DECISION_LOG_ERASE_FIELDS: by default
 *    the ACME response policy's `memberSsn` and `procedure`), and values
 *    shaped like a JWT or a US SSN, whatever their key.
 *
 * A mask that fails (throws, returns something else) fails closed for
 * secrecy: the event is logged without `input` and `result`, and the caller
 * logs that masking failed.
 */
import type { PolicyEngine } from './policy-engine';

export const MASK_ENTRYPOINT = 'system/log/mask';

type Json = unknown;

/** The parts of a decision event masking reads and writes. */
export interface MaskableEvent {
  input?: Json;
  result?: Json;
  erased?: string[];
  masked?: string[];
}

export class MaskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MaskError';
  }
}

/** RFC 6901 pointer → segments. */
function segments(pointer: string): string[] {
  if (!pointer.startsWith('/')) throw new MaskError('a mask path must be a JSON pointer starting with /');
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  return v !== null && typeof v === 'object';
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Parent container and last key of `path` in `root`, or undefined when the parent does not exist. */
function locate(root: Record<string, unknown>, path: readonly string[]): { parent: Record<string, unknown> | unknown[]; key: string } | undefined {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) {
    if (FORBIDDEN_KEYS.has(key) || !isContainer(node) || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  const key = path[path.length - 1];
  if (!isContainer(node) || FORBIDDEN_KEYS.has(key)) return undefined;
  return { parent: node, key };
}

function erase(root: Record<string, unknown>, pointer: string): boolean {
  const path = segments(pointer);
  if (path[0] !== 'input' && path[0] !== 'result') return false;
  const at = locate(root, path);
  if (at === undefined || !Object.hasOwn(at.parent, at.key)) return false;
  if (Array.isArray(at.parent)) {
    // OPA erases array elements too; the element is removed.
    const index = Number(at.key);
    if (!Number.isInteger(index)) return false;
    at.parent.splice(index, 1);
  } else {
    delete at.parent[at.key];
  }
  return true;
}

function upsert(root: Record<string, unknown>, pointer: string, value: unknown): boolean {
  const path = segments(pointer);
  if (path[0] !== 'input' && path[0] !== 'result') return false;
  const at = locate(root, path);
  if (at === undefined || Array.isArray(at.parent)) return false;
  Object.defineProperty(at.parent, at.key, { value, enumerable: true, writable: true, configurable: true });
  return true;
}

/** Apply the result of `system.log.mask` (OPA's rule set) to `event`. Throws MaskError on a malformed rule. */
export function applyMaskRules(event: MaskableEvent, rules: unknown): void {
  if (!Array.isArray(rules)) throw new MaskError('system.log.mask must be a set');
  const root = event as unknown as Record<string, unknown>;
  const erased: string[] = [];
  const masked: string[] = [];
  for (const rule of rules) {
    if (typeof rule === 'string') {
      if (erase(root, rule)) erased.push(rule);
      continue;
    }
    if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) throw new MaskError('a mask rule must be a pointer or an {op, path} object');
    const { op, path, value } = rule as { op?: unknown; path?: unknown; value?: unknown };
    if (typeof path !== 'string') throw new MaskError('a mask rule needs a string path');
    if (op === 'remove') {
      if (erase(root, path)) erased.push(path);
    } else if (op === 'upsert') {
      if (upsert(root, path, value)) masked.push(path);
    } else {
      throw new MaskError('a mask rule op must be upsert or remove');
    }
  }
  record(event, erased, masked);
}

function record(event: MaskableEvent, erased: readonly string[], masked: readonly string[]): void {
  if (erased.length > 0) event.erased = [...(event.erased ?? []), ...erased];
  if (masked.length > 0) event.masked = [...(event.masked ?? []), ...masked];
}

/** Evaluate the bundle's `system/log/mask` (when it exports one) and apply it. Throws on any failure. */
export function applyBundleMask(engine: PolicyEngine | undefined, event: MaskableEvent & Record<string, unknown>): void {
  if (engine?.entrypoints?.includes(MASK_ENTRYPOINT) !== true) return;
  const resultSet = engine.evaluate(MASK_ENTRYPOINT, event);
  if (!Array.isArray(resultSet) || resultSet.length > 1) throw new MaskError('system.log.mask returned a malformed result set');
  if (resultSet.length === 0 || resultSet[0]?.result === undefined) return;
  applyMaskRules(event, resultSet[0].result);
}

/** Key names that are credentials wherever they appear (compared lower-cased, `-`/`_` ignored). */
const CREDENTIAL_KEY = /^(authorization|proxyauthorization|cookie|cookies|setcookie|xapikey|apikey|apikeys|accesstoken|idtoken|refreshtoken|bearertoken|token|tokens|jwt|secret|secrets|clientsecret|password|passwd|privatekey|xamzsecuritytoken|sessiontoken|session|credentials?)$/;
/** A compact JWS/JWT anywhere in a string. */
const JWT_VALUE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/;
/** A US SSN (123-45-6789) anywhere in a string. */
const SSN_VALUE = /(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)/;

export interface DefaultMaskOptions {
  /** Extra header/key names that are credentials (the configured API key header). */
  readonly credentialKeys: readonly string[];
  /** Protected field names erased wherever they appear (exact, case-insensitive). */
  readonly protectedFields: readonly string[];
}

const normaliseKey = (k: string): string => k.toLowerCase().replace(/[-_]/g, '');

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The mask that always runs. `/input/token` is the verified claims object
 * the policy sees (never the raw token): it is walked, not erased whole.
 */
export function applyDefaultMask(event: MaskableEvent, opts: DefaultMaskOptions): void {
  const credential = new Set(opts.credentialKeys.map(normaliseKey));
  const protectedKeys = new Set(opts.protectedFields.map((f) => f.toLowerCase()));
  const erased: string[] = [];
  const walk = (node: unknown, pointer: string): void => {
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) {
        const v = node[i];
        if (typeof v === 'string' && (JWT_VALUE.test(v) || SSN_VALUE.test(v))) {
          node.splice(i, 1);
          erased.push(`${pointer}/${i}`);
        } else walk(v, `${pointer}/${i}`);
      }
      return;
    }
    if (!isContainer(node)) return;
    const obj = node as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const here = `${pointer}/${escapePointer(key)}`;
      const v = obj[key];
      const norm = normaliseKey(key);
      const isClaimsObject = here === '/input/token';
      const secretKey = !isClaimsObject && (CREDENTIAL_KEY.test(norm) || credential.has(norm));
      if (secretKey || protectedKeys.has(key.toLowerCase()) || (typeof v === 'string' && (JWT_VALUE.test(v) || SSN_VALUE.test(v)))) {
        delete obj[key];
        erased.push(here);
      } else {
        walk(v, here);
      }
    }
  };
  const root = event as unknown as Record<string, unknown>;
  for (const top of ['input', 'result'] as const) {
    const v = root[top];
    if (typeof v === 'string' && (JWT_VALUE.test(v) || SSN_VALUE.test(v))) {
      delete root[top];
      erased.push(`/${top}`);
    } else walk(v, `/${top}`);
  }
  record(event, erased, []);
}
