/**
 * Host versions of builtins that OPA (and our AssemblyScript runtime) normally
 * run natively: strings, numbers, arrays, objects, JSON, aggregates, bits,
 * graph.reachable and membership. The runtime only calls them through
 * `opa_builtinN` for builtins it does not implement itself, so they are a
 * safety net: a policy still builds and evaluates while the runtime catches
 * up. Type-sensitive builtins that cannot tell sets from arrays on the host
 * (is_set, is_array, type_name, set operators) are deliberately absent.
 */
import { BuiltinEvalError, InputLimitError, OperandTypeError } from './errors';
import { goMarshal } from './json-marshal';
import { arr, int, isObject, jsonEqual, num, obj, str, strings } from './operands';
import { compareValues } from './rego-order';
import type { HostBuiltin, JsonObject, JsonValue } from './types';

const MAX_RANGE = 1_000_000;
const runes = (s: string): string[] => Array.from(s);

// ---------------------------------------------------------------- strings

const concat: HostBuiltin = (d, xs) => strings('concat', xs, 2).join(str('concat', d, 1));
const contains: HostBuiltin = (s, sub) => str('contains', s, 1).includes(str('contains', sub, 2));
const startswith: HostBuiltin = (s, p) => str('startswith', s, 1).startsWith(str('startswith', p, 2));
const endswith: HostBuiltin = (s, p) => str('endswith', s, 1).endsWith(str('endswith', p, 2));
const lower: HostBuiltin = (s) => str('lower', s, 1).toLowerCase();
const upper: HostBuiltin = (s) => str('upper', s, 1).toUpperCase();

/** Go strings.Split: "" separator splits into runes; "" input with "" separator is []. */
const split: HostBuiltin = (s, d) => {
  const x = str('split', s, 1);
  const sep = str('split', d, 2);
  return sep === '' ? runes(x) : x.split(sep);
};

/** Go strings.ReplaceAll ("" old inserts between runes). */
function replaceAll(s: string, old: string, rep: string): string {
  if (old === '') return rep + runes(s).join(rep) + (s === '' ? '' : rep);
  return s.split(old).join(rep);
}
const replace: HostBuiltin = (s, o, n) => replaceAll(str('replace', s, 1), str('replace', o, 2), str('replace', n, 3));

/** Go strings.NewReplacer with the pattern keys in sorted order: leftmost position, first pattern wins. */
const replaceN: HostBuiltin = (patterns, s) => {
  const name = 'strings.replace_n';
  const p = obj(name, patterns, 1);
  const x = str(name, s, 2);
  const pairs = Object.keys(p)
    .sort()
    .map((k) => {
      const v = p[k];
      if (typeof v !== 'string') throw new OperandTypeError(name, 1, v, 'object of strings');
      return [k, v] as const;
    });
  if (pairs.length === 1 && pairs[0]) return replaceAll(x, pairs[0][0], pairs[0][1]);
  let out = '';
  let i = 0;
  while (i <= x.length) {
    const hit = pairs.find(([k]) => x.startsWith(k, i));
    if (hit && hit[0] !== '') {
      out += hit[1];
      i += hit[0].length;
      continue;
    }
    if (hit && hit[0] === '') out += hit[1];
    if (i < x.length) out += x[i];
    i++;
  }
  return out;
};

const substring: HostBuiltin = (s, o, l) => {
  const name = 'substring';
  const r = runes(str(name, s, 1));
  const off = int(name, o, 2);
  const len = int(name, l, 3);
  if (off < 0) throw new BuiltinEvalError(name, 'negative offset');
  if (off >= r.length) return '';
  return (len < 0 ? r.slice(off) : r.slice(off, off + len)).join('');
};

const indexof: HostBuiltin = (s, sub) => {
  const x = str('indexof', s, 1);
  const search = str('indexof', sub, 2);
  if (search === '') throw new BuiltinEvalError('indexof', 'empty search character');
  const i = x.indexOf(search);
  return i < 0 ? -1 : runes(x.slice(0, i)).length;
};

function trimSet(s: string, cutset: string, left: boolean, right: boolean): string {
  const cut = new Set(runes(cutset));
  const r = runes(s);
  let a = 0;
  let b = r.length;
  while (left && a < b && cut.has(r[a] ?? '')) a++;
  while (right && b > a && cut.has(r[b - 1] ?? '')) b--;
  return r.slice(a, b).join('');
}
const trim: HostBuiltin = (s, c) => trimSet(str('trim', s, 1), str('trim', c, 2), true, true);
const trimLeft: HostBuiltin = (s, c) => trimSet(str('trim_left', s, 1), str('trim_left', c, 2), true, false);
const trimRight: HostBuiltin = (s, c) => trimSet(str('trim_right', s, 1), str('trim_right', c, 2), false, true);
const trimPrefix: HostBuiltin = (s, p) => {
  const x = str('trim_prefix', s, 1);
  const pre = str('trim_prefix', p, 2);
  return x.startsWith(pre) ? x.slice(pre.length) : x;
};
const trimSuffix: HostBuiltin = (s, p) => {
  const x = str('trim_suffix', s, 1);
  const suf = str('trim_suffix', p, 2);
  return suf !== '' && x.endsWith(suf) ? x.slice(0, x.length - suf.length) : x;
};
const trimSpace: HostBuiltin = (s) => str('trim_space', s, 1).replace(/^[\s\u0085]+|[\s\u0085]+$/gu, '');
const reverse: HostBuiltin = (s) => runes(str('strings.reverse', s, 1)).reverse().join('');

const formatInt: HostBuiltin = (n, b) => {
  const x = num('format_int', n, 1);
  const base = num('format_int', b, 2);
  if (![2, 8, 10, 16].includes(base)) throw new BuiltinEvalError('format_int', 'operand 2 must be one of {2, 8, 10, 16}');
  return BigInt(Math.trunc(x)).toString(base);
};

// ---------------------------------------------------------------- numbers

const abs: HostBuiltin = (x) => Math.abs(num('abs', x, 1));
const ceil: HostBuiltin = (x) => Math.ceil(num('ceil', x, 1));
const floor: HostBuiltin = (x) => Math.floor(num('floor', x, 1));
/** Go math.Round: half away from zero. */
const round: HostBuiltin = (x) => {
  const v = num('round', x, 1);
  return Math.sign(v) * Math.round(Math.abs(v));
};

const toNumber: HostBuiltin = (x) => {
  if (x === null) return 0;
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(x)) return Number(x);
  throw new OperandTypeError('to_number', 1, x, 'null', 'boolean', 'number', 'numeric string');
};

const range: HostBuiltin = (a, b) => {
  const x = int('numbers.range', a, 1);
  const y = int('numbers.range', b, 2);
  if (Math.abs(y - x) >= MAX_RANGE) throw new InputLimitError('numbers.range', `range longer than ${MAX_RANGE} elements`);
  const out: number[] = [];
  const step = y >= x ? 1 : -1;
  for (let i = x; ; i += step) {
    out.push(i);
    if (i === y) break;
  }
  return out;
};

// ---------------------------------------------------------------- arrays and aggregates

const arrayConcat: HostBuiltin = (a, b) => [...arr('array.concat', a, 1), ...arr('array.concat', b, 2)];
const arraySlice: HostBuiltin = (a, i, j) => {
  const xs = arr('array.slice', a, 1);
  let start = int('array.slice', i, 2);
  let stop = int('array.slice', j, 3);
  if (start < 0) start = 0;
  if (stop > xs.length) stop = xs.length;
  return start >= stop ? [] : xs.slice(start, stop);
};
const arrayReverse: HostBuiltin = (a) => [...arr('array.reverse', a, 1)].reverse();

const count: HostBuiltin = (x) => {
  if (typeof x === 'string') return runes(x).length;
  if (Array.isArray(x)) return x.length;
  if (isObject(x)) return Object.keys(x).length;
  throw new OperandTypeError('count', 1, x, 'array', 'object', 'set', 'string');
};

function numbers(builtin: string, x: JsonValue | undefined): number[] {
  return arr(builtin, x, 1).map((v) => {
    if (typeof v !== 'number') throw new OperandTypeError(builtin, 1, x, 'array or set of numbers');
    return v;
  });
}
const sum: HostBuiltin = (x) => numbers('sum', x).reduce((a, b) => a + b, 0);
const product: HostBuiltin = (x) => numbers('product', x).reduce((a, b) => a * b, 1);
const max: HostBuiltin = (x) => {
  const xs = arr('max', x, 1);
  return xs.length ? xs.reduce((a, b) => (compareValues(a, b) >= 0 ? a : b)) : undefined;
};
const min: HostBuiltin = (x) => {
  const xs = arr('min', x, 1);
  return xs.length ? xs.reduce((a, b) => (compareValues(a, b) <= 0 ? a : b)) : undefined;
};
const sort: HostBuiltin = (x) => [...arr('sort', x, 1)].sort(compareValues);

// ---------------------------------------------------------------- objects and JSON

function keyOf(k: JsonValue): string {
  return typeof k === 'string' ? k : JSON.stringify(k);
}

const objectGet: HostBuiltin = (o, key, dflt) => {
  const x = obj('object.get', o, 1);
  if (dflt === undefined) return undefined;
  if (!Array.isArray(key)) {
    const k = keyOf(key ?? null);
    return Object.prototype.hasOwnProperty.call(x, k) ? x[k] : dflt;
  }
  let cur: JsonValue = x;
  for (const seg of key) {
    if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, keyOf(seg))) cur = cur[keyOf(seg)] as JsonValue;
    else if (Array.isArray(cur) && typeof seg === 'number' && Number.isInteger(seg) && seg >= 0 && seg < cur.length) cur = cur[seg] as JsonValue;
    else return dflt;
  }
  return cur;
};

const objectKeys: HostBuiltin = (o) => Object.keys(obj('object.keys', o, 1));

function keySet(builtin: string, k: JsonValue | undefined): Set<string> {
  if (Array.isArray(k)) return new Set(k.map(keyOf));
  if (isObject(k)) return new Set(Object.keys(k));
  throw new OperandTypeError(builtin, 2, k, 'object', 'set', 'array');
}
const objectRemove: HostBuiltin = (o, k) => {
  const x = obj('object.remove', o, 1);
  const drop = keySet('object.remove', k);
  return Object.fromEntries(Object.entries(x).filter(([key]) => !drop.has(key)));
};
const objectFilter: HostBuiltin = (o, k) => {
  const x = obj('object.filter', o, 1);
  const keep = keySet('object.filter', k);
  return Object.fromEntries(Object.entries(x).filter(([key]) => keep.has(key)));
};

function merge(a: JsonObject, b: JsonObject): JsonObject {
  const out: JsonObject = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const old = out[k];
    out[k] = isObject(old) && isObject(v) ? merge(old, v) : v;
  }
  return out;
}
const objectUnion: HostBuiltin = (a, b) => merge(obj('object.union', a, 1), obj('object.union', b, 2));
const objectUnionN: HostBuiltin = (xs) => {
  const list = arr('object.union_n', xs, 1);
  let out: JsonObject = {};
  for (const x of list) {
    if (!isObject(x)) throw new OperandTypeError('object.union_n', 1, x, 'array of objects');
    out = merge(out, x);
  }
  return out;
};

const jsonMarshal: HostBuiltin = (x) => (x === undefined ? undefined : goMarshal(x, '', undefined));
const jsonUnmarshal: HostBuiltin = (s) => {
  try {
    return JSON.parse(str('json.unmarshal', s, 1)) as JsonValue;
  } catch (e) {
    throw new BuiltinEvalError('json.unmarshal', String(e));
  }
};

/** OPA's json.filter/json.remove paths: "a/b" strings or arrays of segments, merged into a tree (null = leaf). */
type PathTree = { [key: string]: PathTree | null };

function pathTree(builtin: string, paths: JsonValue | undefined): PathTree {
  if (!Array.isArray(paths)) throw new OperandTypeError(builtin, 2, paths, 'set', 'array');
  const root: PathTree = {};
  for (const p of paths) {
    let segs: string[];
    // A non-string segment matches nothing here: host objects have string keys only, and
    // OPA addresses array elements by their index text ("1"), never by the number 1.
    let matchesNothing = false;
    if (typeof p === 'string') segs = p === '' ? [] : p.replace(/^\/+/, '').split('/').map((x) => x.replaceAll('~1', '/').replaceAll('~0', '~'));
    else if (Array.isArray(p)) {
      const firstNonString = p.findIndex((x) => typeof x !== 'string');
      matchesNothing = firstNonString >= 0;
      segs = (matchesNothing ? p.slice(0, firstNonString) : p) as string[];
    } else throw new BuiltinEvalError(builtin, 'paths must be strings or arrays of path segments');
    if (segs.length === 0) continue;
    let node: PathTree = root;
    let done = false;
    for (let i = 0; i < segs.length - (matchesNothing ? 0 : 1) && !done; i++) {
      const k = segs[i] ?? '';
      const child = node[k];
      if (child === undefined) node = node[k] = {};
      else if (child === null) done = true;
      else node = child;
    }
    if (!done && !matchesNothing) node[segs[segs.length - 1] ?? ''] = null;
  }
  return root;
}

function filterValue(v: JsonValue, f: PathTree | null): JsonValue | undefined {
  if (f === null) return v;
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, sub] of Object.entries(f)) {
      if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
      const r = filterValue(v[k] as JsonValue, sub);
      if (r !== undefined) out[k] = r;
    }
    return out;
  }
  if (Array.isArray(v)) {
    const out: JsonValue[] = [];
    v.forEach((e, i) => {
      const sub = f[String(i)];
      if (sub === undefined) return;
      const r = filterValue(e, sub);
      if (r !== undefined) out.push(r);
    });
    return out;
  }
  return undefined;
}

function removeValue(v: JsonValue, f: PathTree | null | undefined): JsonValue | undefined {
  if (f === undefined) return v;
  if (f === null) return undefined;
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, e] of Object.entries(v)) {
      const r = removeValue(e, f[k]);
      if (r !== undefined) out[k] = r;
    }
    return out;
  }
  if (Array.isArray(v)) {
    const out: JsonValue[] = [];
    v.forEach((e, i) => {
      const r = removeValue(e, f[String(i)]);
      if (r !== undefined) out.push(r);
    });
    return out;
  }
  return v;
}

const jsonFilter: HostBuiltin = (o, paths) => filterValue(obj('json.filter', o, 1), pathTree('json.filter', paths)) ?? {};
const jsonRemove: HostBuiltin = (o, paths) => removeValue(obj('json.remove', o, 1), pathTree('json.remove', paths)) ?? {};

// ---------------------------------------------------------------- bits, types, graph, membership

function bigint(builtin: string, v: JsonValue | undefined, pos: number): bigint {
  return BigInt(int(builtin, v, pos));
}
const bits = (name: string, f: (a: bigint, b: bigint) => bigint): HostBuiltin => (a, b) =>
  Number(f(bigint(name, a, 1), bigint(name, b, 2)));

function shiftLeft(a: bigint, b: bigint): bigint {
  if (b < 0n || b > 1024n) throw new BuiltinEvalError('bits.lsh', 'shift out of range');
  return a << b;
}
function shiftRight(a: bigint, b: bigint): bigint {
  if (b < 0n) throw new BuiltinEvalError('bits.rsh', 'negative shift');
  return a >> b;
}

const isNumber: HostBuiltin = (x) => typeof x === 'number';
const isString: HostBuiltin = (x) => typeof x === 'string';
const isBoolean: HostBuiltin = (x) => typeof x === 'boolean';
const isNull: HostBuiltin = (x) => x === null;
const isObjectB: HostBuiltin = (x) => isObject(x);

const reachable: HostBuiltin = (g, initial) => {
  const graph = obj('graph.reachable', g, 1);
  if (!Array.isArray(initial) && !isObject(initial)) throw new OperandTypeError('graph.reachable', 2, initial, 'array', 'set');
  const queue: JsonValue[] = Array.isArray(initial) ? [...initial] : Object.values(initial);
  const reached = new Map<string, JsonValue>();
  for (let i = 0; i < queue.length; i++) {
    if (i > MAX_RANGE) throw new InputLimitError('graph.reachable', 'graph too large');
    const node = queue[i] as JsonValue;
    const k = keyOf(node);
    const edges = Object.prototype.hasOwnProperty.call(graph, k) ? graph[k] : undefined;
    if (edges === undefined || reached.has(JSON.stringify(node))) continue;
    const neighbors = Array.isArray(edges) ? edges : [];
    for (const n of neighbors) if (!reached.has(JSON.stringify(n))) queue.push(n);
    reached.set(JSON.stringify(node), node);
  }
  return [...reached.values()];
};

/** `x in coll`: element of an array/set or value of an object. */
const member2: HostBuiltin = (x, coll) => {
  if (Array.isArray(coll)) return coll.some((e) => jsonEqual(e, x));
  if (isObject(coll)) return Object.values(coll).some((e) => jsonEqual(e, x));
  return false;
};
/** `k, v in coll`: index/key k holds v. */
const member3: HostBuiltin = (k, v, coll) => {
  if (Array.isArray(coll)) return typeof k === 'number' && Number.isInteger(k) && k >= 0 && k < coll.length && jsonEqual(coll[k], v);
  if (isObject(coll) && k !== undefined) {
    const key = keyOf(k);
    return Object.prototype.hasOwnProperty.call(coll, key) && jsonEqual(coll[key], v);
  }
  return false;
};

export const fallbackBuiltins: Record<string, HostBuiltin> = {
  concat,
  contains,
  startswith,
  endswith,
  lower,
  upper,
  split,
  replace,
  'strings.replace_n': replaceN,
  substring,
  indexof,
  trim,
  trim_left: trimLeft,
  trim_right: trimRight,
  trim_prefix: trimPrefix,
  trim_suffix: trimSuffix,
  trim_space: trimSpace,
  'strings.reverse': reverse,
  format_int: formatInt,
  abs,
  ceil,
  floor,
  round,
  to_number: toNumber,
  'numbers.range': range,
  'array.concat': arrayConcat,
  'array.slice': arraySlice,
  'array.reverse': arrayReverse,
  count,
  sum,
  product,
  max,
  min,
  sort,
  'object.get': objectGet,
  'object.keys': objectKeys,
  'object.remove': objectRemove,
  'object.filter': objectFilter,
  'object.union': objectUnion,
  'object.union_n': objectUnionN,
  'json.marshal': jsonMarshal,
  'json.unmarshal': jsonUnmarshal,
  'json.filter': jsonFilter,
  'json.remove': jsonRemove,
  'bits.and': bits('bits.and', (a, b) => a & b),
  'bits.or': bits('bits.or', (a, b) => a | b),
  'bits.xor': bits('bits.xor', (a, b) => a ^ b),
  'bits.lsh': bits('bits.lsh', shiftLeft),
  'bits.rsh': bits('bits.rsh', shiftRight),
  'bits.negate': (a) => Number(~bigint('bits.negate', a, 1)),
  is_number: isNumber,
  is_string: isString,
  is_boolean: isBoolean,
  is_null: isNull,
  is_object: isObjectB,
  'graph.reachable': reachable,
  'internal.member_2': member2,
  'internal.member_3': member3,
};
