// Rego values. Objects and sets keep their entries sorted in Rego's total
// order (null < boolean < number < string < array < object < set).
import { NumV, numCmp } from "./num";

export const T_NULL: i32 = 0;
export const T_BOOL: i32 = 1;
export const T_NUM: i32 = 2;
export const T_STR: i32 = 3;
export const T_ARR: i32 = 4;
export const T_OBJ: i32 = 5;
export const T_SET: i32 = 6;

/**
 * `new Array<Value>()` with the allocations inline (the std constructor is a
 * call, plus one more per __new): same header, same 8-slot zeroed buffer.
 */
// @ts-ignore: decorator
@inline export function newValueArray(): Array<Value> {
  let a = __new(offsetof<Array<Value>>(), idof<Array<Value>>());
  let buf = __new(8 << alignof<usize>(), idof<ArrayBuffer>());
  store<usize>(a, buf, offsetof<Array<Value>>("buffer"));
  store<usize>(a, buf, offsetof<Array<Value>>("dataStart"));
  store<i32>(a, 8 << alignof<usize>(), offsetof<Array<Value>>("byteLength"));
  store<i32>(a, 0, offsetof<Array<Value>>("length_"));
  return changetype<Array<Value>>(a);
}

export class Value {
  constructor(public kind: i32) {}
}

export class NullV extends Value {
  constructor() { super(T_NULL); }
}

export class BoolV extends Value {
  constructor(public b: bool) { super(T_BOOL); }
}

export class StrV extends Value {
  constructor(public s: string) { super(T_STR); }
}

export class ArrV extends Value {
  items: Array<Value>;
  constructor(cap: i32 = 0) {
    super(T_ARR);
    this.items = newValueArray();
  }
}

export class ObjV extends Value {
  keys: Array<Value> = newValueArray();
  vals: Array<Value> = newValueArray();
  constructor() { super(T_OBJ); }
}

export class SetV extends Value {
  _items: Array<Value> = newValueArray();
  /** Out-of-order additions not yet merged into `_items` (see setAdd). */
  pending: Array<Value> | null = null;
  constructor() { super(T_SET); }
  /** The elements, sorted and unique (merges pending additions first). */
  get items(): Array<Value> {
    if (this.pending !== null) flushSet(this);
    return this._items;
  }
  set items(v: Array<Value>) { this._items = v; this.pending = null; }
}

const PENDING_MIN: i32 = 64;

function flushSet(s: SetV): void {
  let pend = s.pending!;
  s.pending = null;
  pend.sort((a: Value, b: Value): i32 => cmp(a, b));
  let a = s._items;
  let out = new Array<Value>();
  let i = 0, j = 0;
  let na = a.length, nb = pend.length;
  while (i < na || j < nb) {
    let v: Value;
    if (j >= nb) v = unchecked(a[i++]);
    else if (i >= na) v = unchecked(pend[j++]);
    else {
      let c = cmp(unchecked(a[i]), unchecked(pend[j]));
      if (c <= 0) { v = unchecked(a[i++]); if (c == 0) j++; } else v = unchecked(pend[j++]);
    }
    if (out.length == 0 || cmp(unchecked(out[out.length - 1]), v) != 0) out.push(v);
  }
  s._items = out;
}

/** arr.push(v) with the common case (spare capacity) inline. */
// @ts-ignore: decorator
@inline export function pushValue(arr: Array<Value>, v: Value): void {
  let a = changetype<usize>(arr);
  let n = load<i32>(a, offsetof<Array<Value>>("length_"));
  if (<u32>n < (load<u32>(a, offsetof<Array<Value>>("byteLength")) >>> alignof<usize>())) {
    store<usize>(load<usize>(a, offsetof<Array<Value>>("dataStart")) + (<usize>n << alignof<usize>()), changetype<usize>(v));
    store<i32>(a, n + 1, offsetof<Array<Value>>("length_"));
  } else arr.push(v);
}

export const NULL = new NullV();
export const TRUE = new BoolV(true);
export const FALSE = new BoolV(false);

export function boolV(b: bool): Value { return b ? TRUE : FALSE; }
export function strV(s: string): StrV { return new StrV(s); }

/** `new StrV(s)` with the allocation inline. */
// @ts-ignore: decorator
@inline export function newStrV(s: string): StrV {
  let p = __new(offsetof<StrV>(), idof<StrV>());
  store<i32>(p, T_STR, offsetof<StrV>("kind"));
  store<usize>(p, changetype<usize>(s), offsetof<StrV>("s"));
  return changetype<StrV>(p);
}

// ---- strings in code point order -------------------------------------------
// @ts-ignore: decorator
@inline export function cpOrder(u: u32): u32 {
  // UTF-16 unit → key whose order matches code point order
  if (u >= 0xD800) { if (u < 0xE000) return u + 0x2000; return u - 0x800; }
  return u;
}

/** strCmp with the first code units compared inline (keys usually differ there). */
// @ts-ignore: decorator
@inline export function strCmpFast(a: string, b: string): i32 {
  let pa = changetype<usize>(a), pb = changetype<usize>(b);
  let ca: u32 = a.length > 0 ? <u32>load<u16>(pa) : 0x10000;
  let cb: u32 = b.length > 0 ? <u32>load<u16>(pb) : 0x10000;
  // an empty string sorts first; 0x10000 marks it so equal "first units" still go to strCmp
  if (ca != cb && ca < 0xD800 && cb < 0xD800) return ca < cb ? -1 : 1;
  return strCmp(a, b);
}

export function strCmp(a: string, b: string): i32 {
  let pa = changetype<usize>(a), pb = changetype<usize>(b);
  if (pa == pb) return 0;
  let la = a.length, lb = b.length;
  let n = la < lb ? la : lb;
  let i = 0;
  // skip equal 4-unit chunks
  while (i + 4 <= n && load<u64>(pa + (<usize>i << 1)) == load<u64>(pb + (<usize>i << 1))) i += 4;
  for (; i < n; i++) {
    let ca = <u32>load<u16>(pa + (<usize>i << 1));
    let cb = <u32>load<u16>(pb + (<usize>i << 1));
    if (ca != cb) return cpOrder(ca) < cpOrder(cb) ? -1 : 1;
  }
  return la < lb ? -1 : (la > lb ? 1 : 0);
}

export function cpCount(s: string): i32 {
  let n = 0;
  let p = changetype<usize>(s);
  let len = s.length;
  for (let i = 0; i < len; i++) {
    let c = <u32>load<u16>(p + (<usize>i << 1));
    if (c < 0xDC00 || c > 0xDFFF) n++;
  }
  return n;
}

// ---- total order ---------------------------------------------------------------
export function cmp(a: Value, b: Value): i32 {
  if (a === b) return 0;
  let ka = a.kind, kb = b.kind;
  if (ka != kb) return ka < kb ? -1 : 1;
  switch (ka) {
    case T_NULL: return 0;
    case T_BOOL: {
      let x = changetype<BoolV>(a).b, y = changetype<BoolV>(b).b;
      return x == y ? 0 : (x ? 1 : -1);
    }
    case T_NUM: return numCmp(changetype<NumV>(a), changetype<NumV>(b));
    case T_STR: return strCmpFast(changetype<StrV>(a).s, changetype<StrV>(b).s);
    case T_ARR: return listCmp(changetype<ArrV>(a).items, changetype<ArrV>(b).items);
    case T_SET: return listCmp(changetype<SetV>(a).items, changetype<SetV>(b).items);
    case T_OBJ: {
      let oa = changetype<ObjV>(a), ob = changetype<ObjV>(b);
      let na = oa.keys.length, nb = ob.keys.length;
      let n = na < nb ? na : nb;
      for (let i = 0; i < n; i++) {
        let c = cmp(unchecked(oa.keys[i]), unchecked(ob.keys[i]));
        if (c != 0) return c;
        c = cmp(unchecked(oa.vals[i]), unchecked(ob.vals[i]));
        if (c != 0) return c;
      }
      return na < nb ? -1 : (na > nb ? 1 : 0);
    }
  }
  return 0;
}

function listCmp(a: Array<Value>, b: Array<Value>): i32 {
  let na = a.length, nb = b.length;
  let n = na < nb ? na : nb;
  for (let i = 0; i < n; i++) {
    let c = cmp(unchecked(a[i]), unchecked(b[i]));
    if (c != 0) return c;
  }
  return na < nb ? -1 : (na > nb ? 1 : 0);
}

export function eq(a: Value, b: Value): bool { return cmp(a, b) == 0; }

/** eq with the identical-value and boolean cases (most plan comparisons: `x != false`) inline. */
// @ts-ignore: decorator
@inline export function eqFast(a: Value, b: Value): bool {
  if (a === b) return true;
  let k = a.kind;
  if (k != b.kind) return false;
  if (k == T_BOOL) return changetype<BoolV>(a).b == changetype<BoolV>(b).b;
  return cmp(a, b) == 0;
}

// ---- sorted containers -------------------------------------------------------------
/** Index of `k` in sorted `arr`, or -(insertion point) - 1. */
export function bsearch(arr: Array<Value>, k: Value): i32 {
  let lo = 0, hi = arr.length - 1;
  // fast path: appending in order
  if (hi >= 0) {
    let c = cmp(unchecked(arr[hi]), k);
    if (c < 0) return -(hi + 1) - 1;
    if (c == 0) return hi;
    hi--;
  }
  while (lo <= hi) {
    let mid = (lo + hi) >>> 1;
    let c = cmp(unchecked(arr[mid]), k);
    if (c < 0) lo = mid + 1;
    else if (c > 0) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}

export function objGet(o: ObjV, k: Value): Value | null {
  let i = bsearch(o.keys, k);
  return i >= 0 ? unchecked(o.vals[i]) : null;
}

/** Whether two strings have the same code units. */
export function strEq(a: string, b: string): bool {
  let pa = changetype<usize>(a), pb = changetype<usize>(b);
  if (pa == pb) return true;
  let n = <usize>a.length << 1;
  if (n != <usize>b.length << 1) return false;
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) if (load<u64>(pa + i) != load<u64>(pb + i)) return false;
  for (; i < n; i += 2) if (load<u16>(pa + i) != load<u16>(pb + i)) return false;
  return true;
}

/** Index of string key `k` in `o`, or -1. */
export function objIndexStr(o: ObjV, k: string): i32 {
  let keys = o.keys;
  let lo = 0, hi = keys.length - 1;
  while (lo <= hi) {
    let mid = (lo + hi) >>> 1;
    let kv = unchecked(keys[mid]);
    let c: i32 = kv.kind == T_STR ? strCmpFast(changetype<StrV>(kv).s, k) : (kv.kind < T_STR ? -1 : 1);
    if (c < 0) lo = mid + 1;
    else if (c > 0) hi = mid - 1;
    else return mid;
  }
  return -1;
}

export function objGetStr(o: ObjV, k: string): Value | null {
  let i = objIndexStr(o, k);
  return i >= 0 ? unchecked(o.vals[i]) : null;
}

/** Insert or overwrite. */
export function objPut(o: ObjV, k: Value, v: Value): void {
  let i = bsearch(o.keys, k);
  if (i >= 0) { o.vals[i] = v; return; }
  i = -i - 1;
  if (i == o.keys.length) { pushValue(o.keys, k); pushValue(o.vals, v); return; }
  o.keys.push(k); // placeholder growth
  insertAt(o.keys, i, k);
  o.vals.push(v);
  insertAt(o.vals, i, v);
}

// arr already has one extra slot at the end (pushed); shift right from i and place v
function insertAt(arr: Array<Value>, i: i32, v: Value): void {
  let n = arr.length;
  let base = arr.dataStart;
  memory.copy(base + ((<usize>i + 1) << alignof<usize>()), base + (<usize>i << alignof<usize>()), (<usize>(n - 1 - i)) << alignof<usize>());
  unchecked(arr[i] = v);
}

export function objRemove(o: ObjV, k: Value): void {
  let i = bsearch(o.keys, k);
  if (i < 0) return;
  o.keys.splice(i, 1);
  o.vals.splice(i, 1);
}

/**
 * Adds `v`. In-order additions append; out-of-order additions to a large set are
 * buffered and merged in one sort on the next read, so building a set from
 * unsorted elements costs O(n log n) instead of O(n^2) element moves.
 */
export function setAdd(s: SetV, v: Value): void {
  let pend = s.pending;
  if (pend !== null) { pend.push(v); return; }
  let items = s._items;
  let n = items.length;
  if (n > 0) {
    let c = cmp(unchecked(items[n - 1]), v);
    if (c == 0) return;
    if (c > 0) {
      if (n >= PENDING_MIN) { let p = new Array<Value>(); p.push(v); s.pending = p; return; }
      let i = bsearch(items, v);
      if (i >= 0) return;
      i = -i - 1;
      pushValue(items, v);
      insertAt(items, i, v);
      return;
    }
  }
  pushValue(items, v);
}

export function setHas(s: SetV, v: Value): bool { return bsearch(s.items, v) >= 0; }

export function objCopy(o: ObjV): ObjV {
  let r = new ObjV();
  r.keys = o.keys.slice(0);
  r.vals = o.vals.slice(0);
  return r;
}

export function setCopy(s: SetV): SetV {
  let r = new SetV();
  r.items = s.items.slice(0);
  return r;
}

/** Builds a set from unsorted values. */
export function setFrom(items: Array<Value>): SetV {
  let r = new SetV();
  let arr = items.slice(0);
  arr.sort((a: Value, b: Value): i32 => cmp(a, b));
  let out = r.items;
  for (let i = 0; i < arr.length; i++) {
    let v = unchecked(arr[i]);
    if (out.length == 0 || cmp(unchecked(out[out.length - 1]), v) != 0) out.push(v);
  }
  return r;
}

export function typeName(v: Value): string {
  switch (v.kind) {
    case T_NULL: return "null";
    case T_BOOL: return "boolean";
    case T_NUM: return "number";
    case T_STR: return "string";
    case T_ARR: return "array";
    case T_OBJ: return "object";
    case T_SET: return "set";
  }
  return "unknown";
}
