/** net.cidr_* builtins (OPA's topdown/cidr.go) over Go `net` address semantics. */
import { BuiltinEvalError, InputLimitError, OperandTypeError } from './errors';
import { cidrContainsIp, formatCidr, formatIp, lastIp, parseCidr, parseIp, type Cidr, type Ip } from './ip';
import { isObject, str } from './operands';
import type { HostBuiltin, JsonValue } from './types';

/** net.cidr_expand refuses blocks with more addresses than this (OPA relies on cancellation). */
export const MAX_EXPAND = 65536;

function cidrOperand(builtin: string, v: JsonValue | undefined, pos: number): Cidr {
  const s = str(builtin, v, pos);
  const c = parseCidr(s);
  if (!c) throw new BuiltinEvalError(builtin, `invalid CIDR address: ${s}`);
  return c;
}

function contains(builtin: string, a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  const net = cidrOperand(builtin, a, 1);
  const bs = str(builtin, b, 2);
  const ip = parseIp(bs);
  if (ip) return cidrContainsIp(net, ip);
  const other = parseCidr(bs);
  if (!other) throw new BuiltinEvalError(builtin, `not a valid textual representation of an IP address or CIDR: ${bs}`);
  return cidrContainsIp(net, other.ip) && cidrContainsIp(net, lastIp(other));
}

const cidrContains: HostBuiltin = (a, b) => contains('net.cidr_contains', a, b);

const cidrIntersects: HostBuiltin = (a, b) => {
  const name = 'net.cidr_intersects';
  const x = cidrOperand(name, a, 1);
  const y = cidrOperand(name, b, 2);
  return cidrContainsIp(x, y.ip) || cidrContainsIp(y, x.ip);
};

const cidrIsValid: HostBuiltin = (v) => typeof v === 'string' && parseCidr(v) !== undefined;

const cidrExpand: HostBuiltin = (v) => {
  const name = 'net.cidr_expand';
  const c = cidrOperand(name, v, 1);
  const hostBits = (c.ip.len === 4 ? 32 : 128) - c.prefix;
  if (hostBits > 16) throw new InputLimitError(name, `CIDR block larger than ${MAX_EXPAND} addresses`);
  const out: string[] = [];
  const n = 1n << BigInt(hostBits);
  for (let i = 0n; i < n; i++) out.push(formatIp({ len: c.ip.len, value: c.ip.value + i }));
  return out;
};

/** Elements of a cidr_contains_matches operand: [cidr, index-or-key]. Sets arrive as arrays. */
function matchOperand(builtin: string, v: JsonValue | undefined, pos: number): Array<[string, JsonValue]> {
  const cidrOf = (e: JsonValue | undefined): string => {
    if (typeof e === 'string') return e;
    if (Array.isArray(e) && e.length > 0 && e[0] !== undefined) return typeof e[0] === 'string' ? e[0] : str(builtin, e[0], pos);
    throw new BuiltinEvalError(builtin, `operand ${pos}: element must be string or non-empty array`);
  };
  if (typeof v === 'string') return [[v, v]];
  if (Array.isArray(v)) return v.map((e, i) => [cidrOf(e), i]);
  if (isObject(v)) return Object.entries(v).map(([k, e]) => [cidrOf(e), k]);
  throw new OperandTypeError(builtin, pos, v, 'string', 'array', 'set', 'object');
}

const cidrContainsMatches: HostBuiltin = (a, b) => {
  const name = 'net.cidr_contains_matches';
  const xs = matchOperand(name, a, 1);
  const ys = matchOperand(name, b, 2);
  const out: JsonValue[] = [];
  for (const [c1, k1] of xs) for (const [c2, k2] of ys) if (contains(name, c1, c2)) out.push([k1, k2]);
  return out;
};

interface Range {
  len: 4 | 16;
  first: bigint;
  last: bigint;
  /** The original network if the range was not merged. */
  text?: string;
}

function toNetwork(builtin: string, e: JsonValue | undefined): Range {
  if (typeof e !== 'string') throw new BuiltinEvalError(builtin, 'element must be string');
  const ip = parseIp(e);
  let c: Cidr | undefined;
  let text: string | undefined;
  if (ip) {
    if (ip.len !== 4) throw new BuiltinEvalError(builtin, 'IPv6 invalid: needs prefix length');
    // Go's IP.DefaultMask(): class A /8, B /16, C /24; the IP itself is not masked in String().
    const first = Number(ip.value >> 24n);
    const prefix = first < 0x80 ? 8 : first < 0xc0 ? 16 : 24;
    c = parseCidr(`${formatIp(ip)}/${prefix}`);
    text = `${formatIp(ip)}/${prefix}`;
  } else {
    c = parseCidr(e);
    if (!c) throw new BuiltinEvalError(builtin, `invalid CIDR address: ${e}`);
    text = formatCidr(c);
  }
  if (!c) throw new BuiltinEvalError(builtin, `invalid CIDR address: ${e}`);
  return { len: c.ip.len, first: c.ip.value, last: lastIp(c).value, text };
}

/** Smallest list of CIDR blocks covering [first, last]. */
function rangeToCidrs(len: 4 | 16, first: bigint, last: bigint): string[] {
  const bits = len === 4 ? 32 : 128;
  const out: string[] = [];
  let cur = first;
  while (cur <= last) {
    let size = 0;
    while (size < bits && (cur & ((1n << BigInt(size + 1)) - 1n)) === 0n && cur + (1n << BigInt(size + 1)) - 1n <= last) size++;
    out.push(formatCidr({ ip: { len, value: cur } as Ip, prefix: bits - size }));
    cur += 1n << BigInt(size);
  }
  return out;
}

const cidrMerge: HostBuiltin = (v) => {
  const name = 'net.cidr_merge';
  if (!Array.isArray(v)) throw new BuiltinEvalError(name, 'operand must be an array');
  const ranges = v.map((e) => toNetwork(name, e));
  ranges.sort((a, b) => a.len - b.len || (a.last < b.last ? -1 : a.last > b.last ? 1 : a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  for (let i = ranges.length - 1; i > 0; i--) {
    const cur = ranges[i];
    const prev = ranges[i - 1];
    if (!cur || !prev || cur.len !== prev.len) continue;
    if (cur.first - 1n <= prev.last) {
      ranges[i - 1] = { len: cur.len, first: prev.first < cur.first ? prev.first : cur.first, last: cur.last };
      ranges.splice(i, 1);
    }
  }
  return ranges.flatMap((r) => (r.text !== undefined ? [r.text] : rangeToCidrs(r.len, r.first, r.last)));
};

export const netBuiltins: Record<string, HostBuiltin> = {
  'net.cidr_contains': cidrContains,
  'net.cidr_overlap': cidrContains,
  'net.cidr_intersects': cidrIntersects,
  'net.cidr_is_valid': cidrIsValid,
  'net.cidr_expand': cidrExpand,
  'net.cidr_contains_matches': cidrContainsMatches,
  'net.cidr_merge': cidrMerge,
};
