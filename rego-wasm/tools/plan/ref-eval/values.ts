/**
 * Value model of the reference plan evaluator (a test oracle for plans, not the
 * product runtime): Rego values with sets and objects keyed by a canonical
 * text, Rego's total order, and JSON conversion. Numbers are JS numbers here
 * (exact big-number semantics live in the Wasm runtime).
 */
export type RObject = { kind: 'object'; m: Map<string, [Value, Value]> };
export type RSet = { kind: 'set'; m: Map<string, Value> };
export type Value = null | boolean | number | string | Value[] | RObject | RSet;

export function isObject(v: Value | undefined): v is RObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === 'object';
}
export function isSet(v: Value | undefined): v is RSet {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === 'set';
}

export function rank(v: Value): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return 1;
  if (typeof v === 'number') return 2;
  if (typeof v === 'string') return 3;
  if (Array.isArray(v)) return 4;
  return v.kind === 'object' ? 5 : 6;
}

/** Canonical text: equal Rego values ⇔ equal keys. */
export function key(v: Value): string {
  if (v === null) return 'n';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number') return `#${v}`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(key).join(',')}]`;
  if (v.kind === 'object') return `{${sortedEntries(v).map(([k, x]) => `${key(k)}:${key(x)}`).join(',')}}`;
  return `<${sortedValues(v).map(key).join(',')}>`;
}

export function compare(a: Value, b: Value): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (a === null || b === null) return 0;
  if (typeof a === 'boolean') return Number(a) - Number(b as boolean);
  if (typeof a === 'number') return a === b ? 0 : a < (b as number) ? -1 : 1;
  if (typeof a === 'string') return a === b ? 0 : a < (b as string) ? -1 : 1;
  if (Array.isArray(a)) {
    const bb = b as Value[];
    for (let i = 0; i < Math.min(a.length, bb.length); i++) {
      const c = compare(a[i]!, bb[i]!);
      if (c !== 0) return c;
    }
    return a.length - bb.length;
  }
  if (a.kind === 'object') {
    const ea = sortedEntries(a);
    const eb = sortedEntries(b as RObject);
    for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
      const c = compare(ea[i]![0], eb[i]![0]) || compare(ea[i]![1], eb[i]![1]);
      if (c !== 0) return c;
    }
    return ea.length - eb.length;
  }
  const sa = sortedValues(a);
  const sb = sortedValues(b as RSet);
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const c = compare(sa[i]!, sb[i]!);
    if (c !== 0) return c;
  }
  return sa.length - sb.length;
}

export function equal(a: Value, b: Value): boolean {
  return key(a) === key(b);
}

export function sortedEntries(o: RObject): [Value, Value][] {
  return [...o.m.values()].sort((x, y) => compare(x[0], y[0]));
}
export function sortedValues(s: RSet): Value[] {
  return [...s.m.values()].sort(compare);
}

export function mkObject(entries: [Value, Value][] = []): RObject {
  const o: RObject = { kind: 'object', m: new Map() };
  for (const [k, v] of entries) o.m.set(key(k), [k, v]);
  return o;
}
export function mkSet(values: Value[] = []): RSet {
  const s: RSet = { kind: 'set', m: new Map() };
  for (const v of values) s.m.set(key(v), v);
  return s;
}

export function get(coll: Value, k: Value): Value | undefined {
  if (Array.isArray(coll)) return typeof k === 'number' && Number.isInteger(k) && k >= 0 && k < coll.length ? coll[k] : undefined;
  if (isObject(coll)) return coll.m.get(key(k))?.[1];
  if (isSet(coll)) return coll.m.has(key(k)) ? k : undefined;
  return undefined;
}

export function size(v: Value): number | undefined {
  if (Array.isArray(v)) return v.length;
  if (isObject(v) || isSet(v)) return v.m.size;
  if (typeof v === 'string') return [...v].length;
  return undefined;
}

/** Deep copy of containers (values are mutated in place by the plan's Insert/Append statements). */
export function clone(v: Value): Value {
  if (Array.isArray(v)) return v.map(clone);
  if (isObject(v)) return mkObject([...v.m.values()].map(([k, x]) => [clone(k), clone(x)]));
  if (isSet(v)) return mkSet([...v.m.values()].map(clone));
  return v;
}

export function fromJSON(j: unknown): Value {
  if (j === null || typeof j === 'boolean' || typeof j === 'number' || typeof j === 'string') return j;
  if (Array.isArray(j)) return j.map(fromJSON);
  return mkObject(Object.entries(j as Record<string, unknown>).map(([k, v]) => [k, fromJSON(v)]));
}

/** JSON form as OPA dumps it: sets → sorted arrays, non-string keys → their JSON text. */
export function toJSON(v: Value): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(toJSON);
  if (v.kind === 'set') return sortedValues(v).map(toJSON);
  const out: Record<string, unknown> = {};
  for (const [k, x] of sortedEntries(v)) out[typeof k === 'string' ? k : JSON.stringify(toJSON(k))] = toJSON(x);
  return out;
}

export function typeName(v: Value): string {
  return ['null', 'boolean', 'number', 'string', 'array', 'object', 'set'][rank(v)]!;
}
