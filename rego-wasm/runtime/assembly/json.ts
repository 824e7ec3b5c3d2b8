// JSON (RFC 8259) and Rego term text: parse from UTF-8 bytes, dump to UTF-8.
import {
  Value, NullV, BoolV, StrV, ArrV, ObjV, SetV, NULL, TRUE, FALSE,
  T_NULL, T_BOOL, T_NUM, T_STR, T_ARR, T_OBJ, T_SET, objPut, setAdd, cmp, strCmpFast, pushValue, newStrV,
  strCmp, cpOrder,
} from "./value";
import { NumV, numParse, numFormat, numI64 } from "./num";

// ---- output buffer ----------------------------------------------------------------
export class Buf {
  ptr: usize;
  len: i32 = 0;
  cap: i32;
  constructor(cap: i32 = 64) { this.cap = cap; this.ptr = heap.alloc(<usize>cap); }
  @inline ensure(n: i32): void {
    if (this.len + n > this.cap) this.grow(n);
  }
  grow(n: i32): void {
    let nc = this.cap * 2;
    while (nc < this.len + n) nc *= 2;
    this.ptr = heap.realloc(this.ptr, <usize>nc);
    this.cap = nc;
  }
  byte(b: i32): void { this.ensure(1); store<u8>(this.ptr + <usize>this.len, <u8>b); this.len++; }
  ascii(s: string): void {
    let n = s.length;
    this.ensure(n);
    for (let i = 0; i < n; i++) store<u8>(this.ptr + <usize>(this.len + i), <u8>s.charCodeAt(i));
    this.len += n;
  }
  /** Appends a string as UTF-8 (lone surrogates → U+FFFD). */
  utf8(s: string): void {
    let n = s.length;
    this.ensure(n * 3);
    for (let i = 0; i < n; i++) {
      let c = <u32>s.charCodeAt(i);
      if (c >= 0xD800 && c < 0xDC00 && i + 1 < n) {
        let d = <u32>s.charCodeAt(i + 1);
        if (d >= 0xDC00 && d < 0xE000) {
          i++;
          this.cp(0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00));
          continue;
        }
      }
      if (c >= 0xD800 && c < 0xE000) c = 0xFFFD;
      this.cp(c);
    }
  }
  cp(c: u32): void {
    this.ensure(4);
    let p = this.ptr + <usize>this.len;
    if (c < 0x80) { store<u8>(p, <u8>c); this.len += 1; }
    else if (c < 0x800) { store<u8>(p, <u8>(0xC0 | (c >> 6))); store<u8>(p + 1, <u8>(0x80 | (c & 63))); this.len += 2; }
    else if (c < 0x10000) {
      store<u8>(p, <u8>(0xE0 | (c >> 12))); store<u8>(p + 1, <u8>(0x80 | ((c >> 6) & 63))); store<u8>(p + 2, <u8>(0x80 | (c & 63))); this.len += 3;
    } else {
      store<u8>(p, <u8>(0xF0 | (c >> 18))); store<u8>(p + 1, <u8>(0x80 | ((c >> 12) & 63)));
      store<u8>(p + 2, <u8>(0x80 | ((c >> 6) & 63))); store<u8>(p + 3, <u8>(0x80 | (c & 63))); this.len += 4;
    }
  }
  cstr(): usize { this.byte(0); return this.ptr; }
  toString(): string { return String.UTF8.decodeUnsafe(this.ptr, <usize>this.len); }
}

const HEX = "0123456789abcdef";

/**
 * Appends `s` as a JSON string literal: `"`, `\\`, and control characters
 * escaped, everything else as UTF-8 (lone surrogates → U+FFFD). Written in
 * one pass into space reserved up front (at most 6 bytes per UTF-16 unit).
 */
export function writeJsonString(b: Buf, s: string): void {
  let n = s.length;
  if (n > 0x4000000) { writeJsonStringSlow(b, s); return; }
  b.ensure(n * 6 + 2);
  let sp = changetype<usize>(s);
  let start = b.ptr + <usize>b.len;
  let p = start;
  store<u8>(p++, 34);
  for (let i = 0; i < n; i++) {
    let c = <u32>load<u16>(sp + (<usize>i << 1));
    if (c < 0x80) {
      if (c >= 0x20 && c != 34 && c != 92) { store<u8>(p++, <u8>c); continue; }
      store<u8>(p++, 92);
      if (c == 34) store<u8>(p++, 34);
      else if (c == 92) store<u8>(p++, 92);
      else if (c == 10) store<u8>(p++, 110);
      else if (c == 13) store<u8>(p++, 114);
      else if (c == 9) store<u8>(p++, 116);
      else if (c == 8) store<u8>(p++, 98);
      else if (c == 12) store<u8>(p++, 102);
      else {
        store<u8>(p, 117); store<u8>(p + 1, 48); store<u8>(p + 2, 48);
        store<u8>(p + 3, <u8>HEX.charCodeAt(c >> 4)); store<u8>(p + 4, <u8>HEX.charCodeAt(c & 15));
        p += 5;
      }
      continue;
    }
    if (c < 0x800) {
      store<u8>(p, <u8>(0xC0 | (c >> 6))); store<u8>(p + 1, <u8>(0x80 | (c & 63))); p += 2;
      continue;
    }
    if (c >= 0xD800 && c < 0xE000) {
      if (c < 0xDC00 && i + 1 < n) {
        let d = <u32>load<u16>(sp + (<usize>(i + 1) << 1));
        if (d >= 0xDC00 && d < 0xE000) {
          i++;
          let cp = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
          store<u8>(p, <u8>(0xF0 | (cp >> 18))); store<u8>(p + 1, <u8>(0x80 | ((cp >> 12) & 63)));
          store<u8>(p + 2, <u8>(0x80 | ((cp >> 6) & 63))); store<u8>(p + 3, <u8>(0x80 | (cp & 63)));
          p += 4;
          continue;
        }
      }
      c = 0xFFFD;
    }
    store<u8>(p, <u8>(0xE0 | (c >> 12))); store<u8>(p + 1, <u8>(0x80 | ((c >> 6) & 63))); store<u8>(p + 2, <u8>(0x80 | (c & 63)));
    p += 3;
  }
  store<u8>(p++, 34);
  b.len += <i32>(p - start);
}

/** writeJsonString for huge strings (no up-front reservation). */
function writeJsonStringSlow(b: Buf, s: string): void {
  b.byte(34);
  let n = s.length;
  let start = 0;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x20 || c == 34 || c == 92) {
      if (i > start) b.utf8(s.substring(start, i));
      start = i + 1;
      b.byte(92);
      if (c == 34) b.byte(34);
      else if (c == 92) b.byte(92);
      else if (c == 10) b.byte(110);
      else if (c == 13) b.byte(114);
      else if (c == 9) b.byte(116);
      else if (c == 8) b.byte(98);
      else if (c == 12) b.byte(102);
      else { b.ascii("u00"); b.byte(HEX.charCodeAt(c >> 4)); b.byte(HEX.charCodeAt(c & 15)); }
    }
  }
  if (start == 0) b.utf8(s); else if (start < n) b.utf8(s.substring(start));
  b.byte(34);
}

/** rego = true: Rego term syntax (sets as {..}/set(), non-string keys kept). */
export function writeValue(b: Buf, v: Value, rego: bool, spaced: bool = false): void {
  switch (v.kind) {
    case T_NULL: b.ascii("null"); return;
    case T_BOOL: b.ascii(changetype<BoolV>(v).b ? "true" : "false"); return;
    case T_NUM: b.ascii(numFormat(changetype<NumV>(v))); return;
    case T_STR: writeJsonString(b, changetype<StrV>(v).s); return;
    case T_ARR: {
      let items = changetype<ArrV>(v).items;
      b.byte(91);
      for (let i = 0; i < items.length; i++) { if (i > 0) { b.byte(44); if (spaced) b.byte(32); } writeValue(b, unchecked(items[i]), rego, spaced); }
      b.byte(93);
      return;
    }
    case T_SET: {
      let items = changetype<SetV>(v).items;
      if (rego && items.length == 0) { b.ascii("set()"); return; }
      b.byte(rego ? 123 : 91);
      for (let i = 0; i < items.length; i++) { if (i > 0) { b.byte(44); if (spaced) b.byte(32); } writeValue(b, unchecked(items[i]), rego, spaced); }
      b.byte(rego ? 125 : 93);
      return;
    }
    case T_OBJ: {
      let o = changetype<ObjV>(v);
      b.byte(123);
      for (let i = 0; i < o.keys.length; i++) {
        if (i > 0) { b.byte(44); if (spaced) b.byte(32); }
        let k = unchecked(o.keys[i]);
        if (k.kind == T_STR || rego) writeValue(b, k, rego, spaced);
        else {
          let kb = new Buf();
          writeValue(kb, k, false);
          writeJsonString(b, kb.toString());
        }
        b.byte(58);
        if (spaced) b.byte(32);
        writeValue(b, unchecked(o.vals[i]), rego, spaced);
      }
      b.byte(125);
      return;
    }
  }
}

export function dumpJson(v: Value): string { let b = new Buf(); writeValue(b, v, false); return b.toString(); }
export function dumpTerm(v: Value): string { let b = new Buf(); writeValue(b, v, true); return b.toString(); }
/** Rego's human-readable term text (`[1, 2]`, `{"a": 1}`, `set()`), as Go's Term.String(). */
export function termString(v: Value): string { let b = new Buf(); writeValue(b, v, true, true); return b.toString(); }

/** A string from `n` bytes of 7-bit ASCII at `p` (no validation needed). */
// @ts-ignore: decorator
@inline function asciiString(p: usize, n: usize): string {
  let r = changetype<usize>(__new(n << 1, idof<String>()));
  let i: usize = 0;
  for (; i + 4 <= n; i += 4) {
    let x = <u64>load<u32>(p + i);
    store<u64>(r + (i << 1), (x & 0xFF) | ((x & 0xFF00) << 8) | ((x & 0xFF0000) << 16) | ((x & 0xFF000000) << 24));
  }
  for (; i < n; i++) store<u16>(r + (i << 1), <u16>load<u8>(p + i));
  return changetype<string>(r);
}

// ---- parser -------------------------------------------------------------------------
// Deeper documents are rejected: dumping and comparing values recurse on the native stack.
const MAX_DEPTH: i32 = 512;

const F_ARR = 0, F_BRACE = 1, F_SET = 2, F_OBJ_KEY = 3, F_OBJ_VAL = 4;

class KV {
  constructor(public k: Value, public v: Value, public i: i32) {}
}

const SMALL_SORT: i32 = 24;

/** cmp with string keys (the usual case) compared inline. */
// @ts-ignore: decorator
@inline function keyCmp(a: Value, b: Value): i32 {
  if (a.kind == T_STR && b.kind == T_STR) return strCmpFast(changetype<StrV>(a).s, changetype<StrV>(b).s);
  return cmp(a, b);
}

// Order prefixes of the keys being sorted (static: sortSmall never nests).
const PFX: usize = memory.data(SMALL_SORT << 3, 8);
// Original positions of the entries while sorting, and per key count n the
// last order found (row n; PERM_OK[n] = 1 once recorded). Requests repeat
// their objects' key order, so that order is tried first: it is used only
// when the keys come out strictly increasing, i.e. it is the sorted order.
const IDX: usize = memory.data(SMALL_SORT, 1);
const PERM: usize = memory.data((SMALL_SORT + 1) * SMALL_SORT, 1);
const PERM_OK: usize = memory.data(SMALL_SORT + 1, 1);
const TMPK: usize = memory.data(SMALL_SORT << 2, 4);
const TMPV: usize = memory.data(SMALL_SORT << 2, 4);

// @ts-ignore: decorator
@inline function unitKey(p: usize, len: i32, i: i32): u64 {
  return i < len ? <u64>cpOrder(<u32>load<u16>(p + (<usize>i << 1))) + 1 : 0;
}

/**
 * The first three code units of `s` as one integer (17 bits each, 0 past the
 * end) ordered like the strings: different prefixes order the strings,
 * equal prefixes need the full comparison.
 */
// @ts-ignore: decorator
@inline function strPrefix(s: string): u64 {
  let p = changetype<usize>(s), n = s.length;
  return (unitKey(p, n, 0) << 34) | (unitKey(p, n, 1) << 17) | unitKey(p, n, 2);
}

/** Stable insertion sort of a small object's parallel key/value arrays; the last duplicate key wins. */
function sortSmall(o: ObjV): ObjV {
  let keys = o.keys;
  let n = keys.length;
  let kp = keys.dataStart;
  for (let i = 0; i < n; i++) {
    let k = changetype<Value>(load<usize>(kp + (<usize>i << 2)));
    if (k.kind != T_STR) return sortSmallCmp(o);
    store<u64>(PFX + (<usize>i << 3), strPrefix(changetype<StrV>(k).s));
  }
  let vp = o.vals.dataStart;
  let row = PERM + <usize>n * SMALL_SORT;
  if (load<u8>(PERM_OK + <usize>n) != 0) {
    // the last order seen for n keys: use it if the keys are strictly increasing in it
    let ok = true;
    let a = <usize>load<u8>(row);
    for (let r = 1; r < n; r++) {
      let b = <usize>load<u8>(row + <usize>r);
      let pa = load<u64>(PFX + (a << 3)), pb = load<u64>(PFX + (b << 3));
      if (pa > pb || (pa == pb && strCmp(changetype<StrV>(load<usize>(kp + (a << 2))).s, changetype<StrV>(load<usize>(kp + (b << 2))).s) >= 0)) { ok = false; break; }
      a = b;
    }
    if (ok) {
      for (let r = 0; r < n; r++) {
        let b = <usize>load<u8>(row + <usize>r);
        store<usize>(TMPK + (<usize>r << 2), load<usize>(kp + (b << 2)));
        store<usize>(TMPV + (<usize>r << 2), load<usize>(vp + (b << 2)));
      }
      memory.copy(kp, TMPK, <usize>n << 2);
      memory.copy(vp, TMPV, <usize>n << 2);
      return o;
    }
  }
  for (let i = 0; i < n; i++) store<u8>(IDX + <usize>i, <u8>i);
  for (let i = 1; i < n; i++) {
    let k = load<usize>(kp + (<usize>i << 2)), v = load<usize>(vp + (<usize>i << 2));
    let pk = load<u64>(PFX + (<usize>i << 3));
    let j = i - 1;
    while (j >= 0) {
      let pj = load<u64>(PFX + (<usize>j << 3));
      if (pj < pk) break;
      if (pj == pk && strCmp(changetype<StrV>(load<usize>(kp + (<usize>j << 2))).s, changetype<StrV>(k).s) <= 0) break;
      store<usize>(kp + (<usize>(j + 1) << 2), load<usize>(kp + (<usize>j << 2)));
      store<usize>(vp + (<usize>(j + 1) << 2), load<usize>(vp + (<usize>j << 2)));
      store<u64>(PFX + (<usize>(j + 1) << 3), pj);
      store<u8>(IDX + <usize>(j + 1), load<u8>(IDX + <usize>j));
      j--;
    }
    store<usize>(kp + (<usize>(j + 1) << 2), k);
    store<usize>(vp + (<usize>(j + 1) << 2), v);
    store<u64>(PFX + (<usize>(j + 1) << 3), pk);
    store<u8>(IDX + <usize>(j + 1), <u8>i);
  }
  // equal keys are adjacent in input order: keep the last of each run
  let w = 0;
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && load<u64>(PFX + (<usize>i << 3)) == load<u64>(PFX + (<usize>(i + 1) << 3)) &&
      strCmp(changetype<StrV>(load<usize>(kp + (<usize>i << 2))).s, changetype<StrV>(load<usize>(kp + (<usize>(i + 1) << 2))).s) == 0) continue;
    store<usize>(kp + (<usize>w << 2), load<usize>(kp + (<usize>i << 2)));
    store<usize>(vp + (<usize>w << 2), load<usize>(vp + (<usize>i << 2)));
    w++;
  }
  if (w < n) { keys.length = w; o.vals.length = w; }
  else { memory.copy(row, IDX, <usize>n); store<u8>(PERM_OK + <usize>n, 1); } // no duplicates: remember the order
  return o;
}

/** sortSmall for objects with non-string keys (Rego terms). */
function sortSmallCmp(o: ObjV): ObjV {
  let keys = o.keys, vals = o.vals;
  let n = keys.length;
  // raw element access: indices are within [0, n)
  let kp = keys.dataStart, vp = vals.dataStart;
  for (let i = 1; i < n; i++) {
    let k = load<usize>(kp + (<usize>i << 2)), v = load<usize>(vp + (<usize>i << 2));
    let j = i - 1;
    while (j >= 0 && keyCmp(changetype<Value>(load<usize>(kp + (<usize>j << 2))), changetype<Value>(k)) > 0) {
      store<usize>(kp + (<usize>(j + 1) << 2), load<usize>(kp + (<usize>j << 2)));
      store<usize>(vp + (<usize>(j + 1) << 2), load<usize>(vp + (<usize>j << 2)));
      j--;
    }
    store<usize>(kp + (<usize>(j + 1) << 2), k);
    store<usize>(vp + (<usize>(j + 1) << 2), v);
  }
  // equal keys are adjacent in input order: keep the last of each run
  let w = 0;
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && keyCmp(changetype<Value>(load<usize>(kp + (<usize>i << 2))), changetype<Value>(load<usize>(kp + (<usize>(i + 1) << 2)))) == 0) continue;
    store<usize>(kp + (<usize>w << 2), load<usize>(kp + (<usize>i << 2)));
    store<usize>(vp + (<usize>w << 2), load<usize>(vp + (<usize>i << 2)));
    w++;
  }
  if (w < n) { keys.length = w; vals.length = w; }
  return o;
}

/** Objects collect entries unsorted while parsing and are sorted once (O(n log n)); the last duplicate key wins. */
function closeFrame(f: Frame): Value {
  if (f.kind != F_OBJ_VAL && f.kind != F_OBJ_KEY) return f.cont;
  let o = changetype<ObjV>(f.cont);
  let n = o.keys.length;
  let sorted = true;
  for (let i = 1; i < n; i++) if (keyCmp(unchecked(o.keys[i - 1]), unchecked(o.keys[i])) >= 0) { sorted = false; break; }
  if (sorted) return o;
  if (n <= SMALL_SORT) return sortSmall(o);
  let kvs = new Array<KV>(0);
  for (let i = 0; i < n; i++) kvs.push(new KV(unchecked(o.keys[i]), unchecked(o.vals[i]), i));
  kvs.sort((a: KV, b: KV): i32 => { let c = cmp(a.k, b.k); return c != 0 ? c : a.i - b.i; });
  let r = new ObjV();
  for (let i = 0; i < n; i++) {
    let e = unchecked(kvs[i]);
    if (i + 1 < n && cmp(e.k, unchecked(kvs[i + 1]).k) == 0) continue; // a later duplicate wins
    r.keys.push(e.k);
    r.vals.push(e.v);
  }
  return r;
}

class Frame {
  key: Value | null = null;
  constructor(public kind: i32, public cont: Value) {}
}

// Container frames of the shallowest levels are allocated once at start-up
// (below the host's base heap pointer, so heap resets keep them) and reused
// by every parse; parses never nest, and deeper levels get fresh frames.
const FRAME_POOL: i32 = 32;
let framePoolReady = false; // static initial value: safe to read before this module's start code
const framePool = makeFramePool();

function makeFramePool(): Array<Frame> {
  let a = new Array<Frame>();
  for (let i = 0; i < FRAME_POOL; i++) a.push(new Frame(F_ARR, NULL));
  framePoolReady = true;
  return a;
}

class Parser {
  p: usize;
  end: usize;
  rego: bool;
  err: bool = false;
  units: Array<u16> | null = null; // created by the first string that needs decoding
  maxDepth: i32 = MAX_DEPTH;
  constructor(p: usize, len: usize, rego: bool) { this.p = p; this.end = p + len; this.rego = rego; }

  @inline peek(): i32 { return this.p < this.end ? <i32>load<u8>(this.p) : -1; }
  @inline ws(): void {
    let p = this.p, end = this.end;
    if (p < end && load<u8>(p) > 32) return; // common case: no whitespace
    while (p < end) {
      let c = load<u8>(p);
      if (c == 32 || c == 9 || c == 10 || c == 13) p++; else break;
    }
    this.p = p;
  }
  fail(): Value { this.err = true; return NULL; }

  lit(s: string): bool {
    let n = s.length;
    if (this.p + <usize>n > this.end) return false;
    for (let i = 0; i < n; i++) if (<i32>load<u8>(this.p + <usize>i) != s.charCodeAt(i)) return false;
    this.p += <usize>n;
    return true;
  }

  number(): Value {
    let s = this.p;
    // fast path: a canonical integer of up to 18 digits ("-0" and leading zeros take the general path)
    let q = s;
    let neg = false;
    if (q < this.end && load<u8>(q) == 45) { neg = true; q++; }
    if (q < this.end && load<u8>(q) >= 49 && load<u8>(q) <= 57) {
      let v: i64 = 0;
      let d = q;
      while (d < this.end && d - q < 18) {
        let c = <u32>load<u8>(d);
        if (c < 48 || c > 57) break;
        v = v * 10 + <i64>(c - 48);
        d++;
      }
      let next = d < this.end ? <u32>load<u8>(d) : 0;
      // the literal must end here (no more digits, fraction or exponent)
      if (!((next >= 48 && next <= 57) || next == 46 || next == 101 || next == 69 || next == 45 || next == 43)) {
        this.p = d;
        return numI64(neg ? -v : v);
      }
    }
    while (this.p < this.end) {
      let c = load<u8>(this.p);
      if ((c >= 48 && c <= 57) || c == 45 || c == 43 || c == 46 || c == 101 || c == 69) this.p++; else break;
    }
    let txt = String.UTF8.decodeUnsafe(s, this.p - s);
    let n = numParse(txt);
    if (n === null) return this.fail();
    return n;
  }

  /** A scalar at the cursor (string, number, literal); containers are handled by value(). */
  @inline scalar(c: i32): Value {
    switch (c) {
      case 34: { let s = this.str(); return this.err ? NULL : newStrV(s); }
      case 116: if (this.lit("true")) return TRUE; return this.fail();
      case 102: if (this.lit("false")) return FALSE; return this.fail();
      case 110: if (this.lit("null")) return NULL; return this.fail();
      case 115: if (this.rego && this.lit("set(")) { this.ws(); if (this.peek() == 41) { this.p++; return new SetV(); } } return this.fail();
    }
    if (c == 45 || (c >= 48 && c <= 57)) return this.number();
    return this.fail();
  }

  /** Iterative (explicit stack) so deep nesting cannot exhaust the native stack. */
  value(): Value {
    let frames = framePoolReady ? framePool : new Array<Frame>();
    let depth = 0;
    while (true) {
      if (this.err) return NULL;
      // ---- parse the start of a value
      this.ws();
      let c = this.peek();
      let v: Value = NULL;
      if (c == 91 || c == 123) {
        this.p++;
        if (depth >= this.maxDepth) return this.fail();
        this.ws();
        if (c == 91) {
          if (this.peek() == 93) { this.p++; v = new ArrV(); }
          else { frames = pushFrame(frames, depth++, F_ARR, new ArrV()); continue; }
        } else {
          if (this.peek() == 125) { this.p++; v = new ObjV(); }
          else { frames = pushFrame(frames, depth++, F_BRACE, NULL); continue; }
        }
      } else {
        v = this.scalar(c);
        if (this.err) return NULL;
      }
      // ---- a complete value v: hand it to the enclosing containers
      while (true) {
        if (depth == 0) return v;
        let f = unchecked(frames[depth - 1]);
        if (f.kind == F_BRACE) {
          this.ws();
          if (this.peek() == 58) {
            if (!this.rego && v.kind != T_STR) return this.fail();
            this.p++;
            f.kind = F_OBJ_VAL; f.cont = new ObjV(); f.key = v;
            break; // parse the value
          }
          if (!this.rego) return this.fail();
          f.kind = F_SET; f.cont = new SetV();
        }
        if (f.kind == F_OBJ_KEY) {
          this.ws();
          if (this.peek() != 58) return this.fail();
          this.p++;
          f.key = v; f.kind = F_OBJ_VAL;
          break;
        }
        if (f.kind == F_ARR) pushValue(changetype<ArrV>(f.cont).items, v);
        else if (f.kind == F_SET) setAdd(changetype<SetV>(f.cont), v);
        else { let o = changetype<ObjV>(f.cont); pushValue(o.keys, changetype<Value>(f.key)); pushValue(o.vals, v); } // sorted on close
        this.ws();
        let d = this.peek();
        let close = f.kind == F_ARR ? 93 : 125;
        if (d == 44) {
          this.p++;
          this.ws();
          if (this.rego && this.peek() == close) { this.p++; v = closeFrame(f); depth--; continue; }
          if (f.kind == F_OBJ_VAL) {
            f.kind = F_OBJ_KEY;
            if (!this.rego && this.peek() != 34) return this.fail();
          }
          break; // next element
        }
        if (d == close) { this.p++; v = closeFrame(f); depth--; continue; }
        return this.fail();
      }
    }
  }

  hex4(): i32 {
    if (this.p + 4 > this.end) return -1;
    let v = 0;
    for (let i = 0; i < 4; i++) {
      let c = <i32>load<u8>(this.p + <usize>i);
      let d: i32;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else return -1;
      v = (v << 4) | d;
    }
    this.p += 4;
    return v;
  }

  str(): string {
    let start = this.p + 1; // after the opening quote
    // fast path: printable ASCII without escapes
    let p = start, end = this.end;
    // skip 8 bytes at a time while none is '"', '\\', a control character or
    // non-ASCII (each test below is exact for "some byte is ...")
    while (p + 8 <= end) {
      let x = load<u64>(p);
      let q = x ^ 0x2222222222222222; // '"' bytes become zero
      let b = x ^ 0x5C5C5C5C5C5C5C5C; // '\\' bytes become zero
      let t = x | ((q - 0x0101010101010101) & ~q) | ((b - 0x0101010101010101) & ~b) | ((x - 0x2020202020202020) & ~x);
      if ((t & 0x8080808080808080) != 0) break;
      p += 8;
    }
    while (p < end) {
      let c = load<u8>(p);
      if (c == 34) { this.p = p + 1; return asciiString(start, p - start); }
      if (c == 92 || c < 0x20 || c >= 0x80) break;
      p++;
    }
    this.p = p;
    let u0 = this.units;
    if (u0 === null) { u0 = new Array<u16>(); this.units = u0; }
    let u = u0;
    u.length = 0;
    for (let q = start; q < this.p; q++) u.push(<u16>load<u8>(q));
    while (true) {
      if (this.p >= this.end) { this.err = true; return ""; }
      let c = <u32>load<u8>(this.p);
      if (c == 34) { this.p++; break; }
      if (c < 0x20) { this.err = true; return ""; }
      if (c == 92) {
        this.p++;
        if (this.p >= this.end) { this.err = true; return ""; }
        let e = load<u8>(this.p); this.p++;
        switch (e) {
          case 34: u.push(34); break;
          case 92: u.push(92); break;
          case 47: u.push(47); break;
          case 98: u.push(8); break;
          case 102: u.push(12); break;
          case 110: u.push(10); break;
          case 114: u.push(13); break;
          case 116: u.push(9); break;
          case 117: {
            let h = this.hex4();
            if (h < 0) { this.err = true; return ""; }
            if (h >= 0xD800 && h < 0xDC00) {
              // try a low surrogate
              let save = this.p;
              if (this.p + 6 <= this.end && load<u8>(this.p) == 92 && load<u8>(this.p + 1) == 117) {
                this.p += 2;
                let l = this.hex4();
                if (l >= 0xDC00 && l < 0xE000) { u.push(<u16>h); u.push(<u16>l); break; }
              }
              this.p = save;
              u.push(0xFFFD);
            } else if (h >= 0xDC00 && h < 0xE000) u.push(0xFFFD);
            else u.push(<u16>h);
            break;
          }
          default: this.err = true; return "";
        }
        continue;
      }
      if (c < 0x80) { u.push(<u16>c); this.p++; continue; }
      // multi-byte UTF-8, validated
      let need = 0; let cp: u32 = 0; let min: u32 = 0;
      if ((c & 0xE0) == 0xC0) { need = 1; cp = c & 0x1F; min = 0x80; }
      else if ((c & 0xF0) == 0xE0) { need = 2; cp = c & 0x0F; min = 0x800; }
      else if ((c & 0xF8) == 0xF0) { need = 3; cp = c & 0x07; min = 0x10000; }
      else { this.err = true; return ""; }
      if (this.p + <usize>need >= this.end) { this.err = true; return ""; }
      for (let k = 1; k <= need; k++) {
        let cc = <u32>load<u8>(this.p + <usize>k);
        if ((cc & 0xC0) != 0x80) { this.err = true; return ""; }
        cp = (cp << 6) | (cc & 0x3F);
      }
      if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) { this.err = true; return ""; }
      this.p += <usize>(need + 1);
      if (cp >= 0x10000) {
        let v = cp - 0x10000;
        u.push(<u16>(0xD800 + (v >> 10)));
        u.push(<u16>(0xDC00 + (v & 0x3FF)));
      } else u.push(<u16>cp);
    }
    return String.UTF16.decodeUnsafe(u.dataStart, <usize>u.length << 1);
  }
}

/** Frame `depth` set to (kind, cont); `frames` or, once the pool is outgrown, a per-parse copy of it. */
function pushFrame(frames: Array<Frame>, depth: i32, kind: i32, cont: Value): Array<Frame> {
  if (depth < frames.length) {
    let f = unchecked(frames[depth]);
    f.kind = kind; f.cont = cont; f.key = null;
    return frames;
  }
  if (frames === framePool) frames = framePool.slice(0); // the pool itself never grows (heap resets)
  frames.push(new Frame(kind, cont));
  return frames;
}

/** Parses `len` bytes at `p`; null on malformed input. */
export function parseJson(p: usize, len: usize, rego: bool, maxDepth: i32 = MAX_DEPTH): Value | null {
  let ps = new Parser(p, len, rego);
  ps.maxDepth = maxDepth;
  let v = ps.value();
  if (ps.err) return null;
  ps.ws();
  if (ps.p != ps.end) return null;
  return v;
}

export function parseJsonString(s: string, rego: bool): Value | null {
  let buf = String.UTF8.encode(s);
  return parseJson(changetype<usize>(buf), <usize>buf.byteLength, rego);
}

/** Decodes bytes as Go converts []byte to runes: each invalid byte becomes U+FFFD. */
export function decodeUtf8Lossy(p: usize, len: usize): string {
  let u = new Array<u16>();
  let end = p + len;
  while (p < end) {
    let c = <u32>load<u8>(p);
    if (c < 0x80) { u.push(<u16>c); p++; continue; }
    let need = 0; let cp: u32 = 0; let min: u32 = 0;
    if ((c & 0xE0) == 0xC0) { need = 1; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { need = 2; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { need = 3; cp = c & 0x07; min = 0x10000; }
    let ok = need > 0;
    if (ok) {
      for (let k = 1; k <= need; k++) {
        if (p + <usize>k >= end) { ok = false; break; }
        let cc = <u32>load<u8>(p + <usize>k);
        if ((cc & 0xC0) != 0x80) { ok = false; break; }
        cp = (cp << 6) | (cc & 0x3F);
      }
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))) ok = false;
    if (!ok) { u.push(0xFFFD); p++; continue; }
    p += <usize>(need + 1);
    if (cp >= 0x10000) {
      let v = cp - 0x10000;
      u.push(<u16>(0xD800 + (v >> 10)));
      u.push(<u16>(0xDC00 + (v & 0x3FF)));
    } else u.push(<u16>cp);
  }
  return String.UTF16.decodeUnsafe(u.dataStart, <usize>u.length << 1);
}
