/**
 * Builtins of the reference evaluator: the language-core builtins written
 * here over the evaluator's values, everything else delegated to the host
 * builtin table (JSON in, JSON out). An error or a wrong operand type makes
 * the call undefined (OPA's non-strict builtin errors).
 */
import { hostBuiltins } from '../../../src/builtins/host';
import type { JsonValue } from '../../../src/builtins/host';
import {
  key as keyOfValue, Value, compare, equal, fromJSON, get, isObject, isSet, mkObject, mkSet, size, sortedEntries, sortedValues, toJSON, typeName,
} from './values';

type Fn = (...args: Value[]) => Value | undefined;

const num = (v: Value): v is number => typeof v === 'number';
const str = (v: Value): v is string => typeof v === 'string';
const coll = (v: Value): Value[] | undefined =>
  Array.isArray(v) ? v : isSet(v) ? sortedValues(v) : isObject(v) ? sortedEntries(v).map((e) => e[1]) : undefined;

function arith(f: (a: number, b: number) => number | undefined): Fn {
  return (a, b) => (num(a) && num(b) ? f(a, b) : undefined);
}

function setOp(f: (a: Map<string, Value>, b: Map<string, Value>) => Value[]): Fn {
  return (a, b) => (isSet(a) && isSet(b) ? mkSet(f(a.m, b.m)) : undefined);
}

function fmtValue(v: Value): string {
  if (str(v)) return v;
  return JSON.stringify(toJSON(v));
}

function walk(v: Value, path: Value[], out: Value[]): void {
  out.push([path, v]);
  if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i], out));
  else if (isObject(v)) for (const [k, x] of sortedEntries(v)) walk(x, [...path, k], out);
  else if (isSet(v)) for (const x of sortedValues(v)) walk(x, [...path, x], out);
}

const NATIVE: Record<string, Fn> = {
  equal: (a, b) => equal(a, b),
  neq: (a, b) => !equal(a, b),
  lt: (a, b) => compare(a, b) < 0,
  lte: (a, b) => compare(a, b) <= 0,
  gt: (a, b) => compare(a, b) > 0,
  gte: (a, b) => compare(a, b) >= 0,
  plus: arith((a, b) => a + b),
  minus: (a, b) => (num(a) && num(b) ? a - b : isSet(a) && isSet(b) ? mkSet([...a.m].filter(([k]) => !b.m.has(k)).map((e) => e[1])) : undefined),
  mul: arith((a, b) => a * b),
  div: arith((a, b) => (b === 0 ? undefined : a / b)),
  rem: arith((a, b) => (b === 0 || !Number.isInteger(a) || !Number.isInteger(b) ? undefined : a % b)),
  abs: (a) => (num(a) ? Math.abs(a) : undefined),
  round: (a) => (num(a) ? Math.sign(a) * Math.round(Math.abs(a)) : undefined),
  ceil: (a) => (num(a) ? Math.ceil(a) : undefined),
  floor: (a) => (num(a) ? Math.floor(a) : undefined),
  count: (a) => size(a),
  sum: (a) => { const c = coll(a); return c && c.every(num) ? c.reduce((x: number, y) => x + (y as number), 0) : undefined; },
  product: (a) => { const c = coll(a); return c && c.every(num) ? c.reduce((x: number, y) => x * (y as number), 1) : undefined; },
  max: (a) => { const c = coll(a); return c && c.length > 0 ? [...c].sort(compare)[c.length - 1] : undefined; },
  min: (a) => { const c = coll(a); return c && c.length > 0 ? [...c].sort(compare)[0] : undefined; },
  sort: (a) => (Array.isArray(a) || isSet(a) ? [...coll(a)!].sort(compare) : undefined),
  and: setOp((a, b) => [...a].filter(([k]) => b.has(k)).map((e) => e[1])),
  or: setOp((a, b) => [...a.values(), ...b.values()]),
  union: (a) => (isSet(a) && sortedValues(a).every(isSet) ? mkSet(sortedValues(a).flatMap((s) => [...(s as ReturnType<typeof mkSet>).m.values()])) : undefined),
  intersection: (a) => {
    if (!isSet(a)) return undefined;
    const sets = sortedValues(a);
    if (!sets.every(isSet)) return undefined;
    if (sets.length === 0) return mkSet();
    return mkSet([...(sets[0] as ReturnType<typeof mkSet>).m].filter(([k]) => sets.every((s) => (s as ReturnType<typeof mkSet>).m.has(k))).map((e) => e[1]));
  },
  is_number: (a) => num(a), is_string: (a) => str(a), is_boolean: (a) => typeof a === 'boolean',
  is_array: (a) => Array.isArray(a), is_set: (a) => isSet(a), is_object: (a) => isObject(a), is_null: (a) => a === null,
  type_name: (a) => typeName(a),
  'internal.member_2': (x, c) => (coll(c) ?? []).some((v) => equal(v, x)),
  'internal.member_3': (k, v, c) => { const g = get(c, k); return g !== undefined && !isSet(c) && equal(g, v); },
  'internal.print': () => undefined,
  print: () => undefined,
  walk: (v) => { const out: Value[] = []; walk(v, [], out); return out; },
  concat: (d, c) => { const l = coll(c); return str(d) && l && l.every(str) ? (l as string[]).join(d) : undefined; },
  contains: (a, b) => (str(a) && str(b) ? a.includes(b) : undefined),
  startswith: (a, b) => (str(a) && str(b) ? a.startsWith(b) : undefined),
  endswith: (a, b) => (str(a) && str(b) ? a.endsWith(b) : undefined),
  lower: (a) => (str(a) ? a.toLowerCase() : undefined),
  upper: (a) => (str(a) ? a.toUpperCase() : undefined),
  split: (a, b) => (str(a) && str(b) ? a.split(b) : undefined),
  replace: (a, b, c) => (str(a) && str(b) && str(c) ? a.split(b).join(c) : undefined),
  substring: (a, s, l) => {
    if (!str(a) || !num(s) || !num(l) || s < 0) return undefined;
    const cps = [...a];
    return cps.slice(s, l < 0 ? undefined : s + l).join('');
  },
  indexof: (a, b) => {
    if (!str(a) || !str(b) || b === '') return undefined; // OPA: "empty search character"
    const i = a.indexOf(b);
    return i < 0 ? -1 : [...a.slice(0, i)].length;
  },
  trim: (a, c) => (str(a) && str(c) ? trimChars(a, c, true, true) : undefined),
  trim_left: (a, c) => (str(a) && str(c) ? trimChars(a, c, true, false) : undefined),
  trim_right: (a, c) => (str(a) && str(c) ? trimChars(a, c, false, true) : undefined),
  trim_prefix: (a, p) => (str(a) && str(p) ? (a.startsWith(p) ? a.slice(p.length) : a) : undefined),
  trim_suffix: (a, p) => (str(a) && str(p) ? (p && a.endsWith(p) ? a.slice(0, -p.length) : a) : undefined),
  trim_space: (a) => (str(a) ? a.trim() : undefined),
  'strings.reverse': (a) => (str(a) ? [...a].reverse().join('') : undefined),
  sprintf: (f, args) => {
    if (!str(f) || !Array.isArray(args)) return undefined;
    let i = 0;
    return f.replace(/%[-+# 0]*\d*(?:\.\d+)?[vsdfqxXtT%]/g, (m) => (m === '%%' ? '%' : fmtValue(args[i++] ?? null)));
  },
  to_number: (a) => (num(a) ? a : str(a) && a.trim() !== '' && !Number.isNaN(Number(a)) ? Number(a) : typeof a === 'boolean' ? Number(a) : a === null ? 0 : undefined),
  'numbers.range': (a, b) => {
    if (!num(a) || !num(b) || !Number.isInteger(a) || !Number.isInteger(b)) return undefined;
    const out: number[] = [];
    for (let i = a; a <= b ? i <= b : i >= b; i += a <= b ? 1 : -1) out.push(i);
    return out;
  },
  'object.get': (o, k, d) => {
    if (!isObject(o)) return undefined;
    if (!Array.isArray(k)) return get(o, k) ?? d;
    let cur: Value | undefined = o;
    for (const p of k) { cur = cur === undefined ? undefined : get(cur, p); }
    return cur ?? d;
  },
  'object.keys': (o) => (isObject(o) ? mkSet(sortedEntries(o).map((e) => e[0])) : undefined),
  'object.remove': (o, ks) => {
    const keys = coll(ks);
    if (!isObject(o) || !keys) return undefined;
    return mkObject(sortedEntries(o).filter(([k]) => !keys.some((x) => equal(x, k))));
  },
  'object.union': (a, b) => (isObject(a) && isObject(b) ? unionObj(a, b) : undefined),
  'object.filter': (o, ks) => {
    const keys = coll(ks);
    if (!isObject(o) || !keys) return undefined;
    return mkObject(sortedEntries(o).filter(([k]) => keys.some((x) => equal(x, k))));
  },
  'array.concat': (a, b) => (Array.isArray(a) && Array.isArray(b) ? [...a, ...b] : undefined),
  'array.reverse': (a) => (Array.isArray(a) ? [...a].reverse() : undefined),
  'array.slice': (a, s, e) => (Array.isArray(a) && num(s) && num(e) ? a.slice(Math.max(0, s), Math.max(Math.max(0, s), Math.min(e, a.length))) : undefined),
  'json.marshal': (a) => JSON.stringify(toJSON(a)),
  'json.unmarshal': (a) => { if (!str(a)) return undefined; try { return fromJSON(JSON.parse(a)); } catch { return undefined; } },
  'json.is_valid': (a) => { if (!str(a)) return false; try { JSON.parse(a); return true; } catch { return false; } },
  format_int: (n, b) => (num(n) && num(b) ? Math.trunc(n).toString(b) : undefined),
  all: (a) => { const c = coll(a); return c ? c.every((v) => v === true) : undefined; },
  any: (a) => { const c = coll(a); return c ? c.some((v) => v === true) : undefined; },
  'internal.template_string': (parts) => {
    if (!Array.isArray(parts)) return undefined;
    return parts.map((p) => (isSet(p) ? (p.m.size === 0 ? '<undefined>' : fmtValue(sortedValues(p)[0]!)) : fmtValue(p))).join('');
  },
};

function trimChars(s: string, cut: string, left: boolean, right: boolean): string {
  const set = new Set([...cut]);
  const cps = [...s];
  let i = 0;
  let j = cps.length;
  if (left) while (i < j && set.has(cps[i]!)) i++;
  if (right) while (j > i && set.has(cps[j - 1]!)) j--;
  return cps.slice(i, j).join('');
}

function unionObj(a: ReturnType<typeof mkObject>, b: ReturnType<typeof mkObject>): Value {
  const out = mkObject(sortedEntries(a));
  for (const [k, v] of sortedEntries(b)) {
    const cur = get(out, k);
    const merged = cur !== undefined && isObject(cur) && isObject(v) ? unionObj(cur, v) : v;
    out.m.set(keyOfValue(k), [k, merged]);
  }
  return out;
}


/** Call a builtin; undefined = undefined in Rego (non-strict). */
export function callBuiltin(name: string, args: Value[], decl: unknown, _where: string): Value | undefined {
  const native = NATIVE[name];
  try {
    if (native) return native(...args);
    const host = hostBuiltins[name];
    if (!host) throw new Error(`reference evaluator: builtin ${name} is not implemented`);
    const r = host(...(args.map(toJSON) as JsonValue[]));
    if (r === undefined) return undefined;
    const v = fromJSON(r);
    const resultType = (decl as { result?: { type?: string } } | undefined)?.result?.type;
    return resultType === 'set' && Array.isArray(v) ? mkSet(v) : v;
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('reference evaluator:')) throw e;
    return undefined;
  }
}
