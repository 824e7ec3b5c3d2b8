// Builtins implemented natively (no host round trip). Type errors and other
// builtin errors return null, i.e. "undefined" (OPA's non-strict mode).
import {
  Value, StrV, ArrV, ObjV, SetV, BoolV, NULL, TRUE, FALSE, boolV,
  T_NULL, T_BOOL, T_NUM, T_STR, T_ARR, T_OBJ, T_SET,
  cmp, eq, objGet, objPut, objCopy, objRemove, setAdd, setHas, setFrom, typeName, cpCount, strCmp,
} from "./value";
import {
  NumV, numI64, numAdd, numSub, numMul, numDiv, numRem, numAbs, numRound, numParse, numCmp,
  numIsInt, numFormat, numDec, magDivmod,
} from "./num";
import { dumpJson, termString, parseJsonString, decodeUtf8Lossy } from "./json";
import { println } from "./env";
import { goSprintf } from "./sprintf";
import { jsonPatch } from "./json-patch";

const NAMES: string[] = [
  "plus", "minus", "mul", "div", "rem", "abs", "round", "ceil", "floor",
  "equal", "neq", "lt", "lte", "gt", "gte",
  "count", "sum", "product", "max", "min", "sort", "all", "any",
  "is_number", "is_string", "is_boolean", "is_array", "is_set", "is_object", "is_null", "type_name",
  "and", "or", "union", "intersection", "set_diff",
  "array.concat", "array.slice", "array.reverse",
  "internal.member_2", "internal.member_3", "walk", "to_number", "numbers.range",
  "object.get", "object.keys", "object.remove", "object.union", "object.union_n", "object.filter",
  "concat", "contains", "startswith", "endswith", "lower", "upper", "split", "replace",
  "strings.replace_n", "substring", "indexof", "indexof_n", "trim", "trim_left", "trim_right",
  "trim_prefix", "trim_suffix", "trim_space", "format_int", "strings.reverse",
  "internal.template_string", "internal.print", "print",
  "json.marshal", "json.unmarshal", "json.is_valid",
  "base64.encode", "base64.decode", "base64.is_valid", "base64url.encode", "base64url.decode",
  "base64url.encode_no_pad", "hex.encode", "hex.decode",
  "bits.or", "bits.and", "bits.negate", "bits.xor", "bits.lsh", "bits.rsh",
  "strings.any_prefix_match", "strings.any_suffix_match", "strings.count",
  "object.subset", "array.flatten", "json.filter", "json.remove", "sprintf", "trace",
  "json.patch",
  "cast_array", "cast_set", "cast_string", "cast_boolean", "cast_null", "cast_object",
];

let ids: Map<string, i32> | null = null;

export function nativeId(name: string): i32 {
  if (ids === null) {
    let m = new Map<string, i32>();
    for (let i = 0; i < NAMES.length; i++) m.set(NAMES[i], i);
    ids = m;
  }
  let m = ids!;
  return m.has(name) ? m.get(name) : -1;
}

// @ts-ignore: decorator
@inline function num(v: Value): NumV { return changetype<NumV>(v); }
// @ts-ignore: decorator
@inline function s(v: Value): string { return changetype<StrV>(v).s; }
// @ts-ignore: decorator
@inline function isNum(v: Value): bool { return v.kind == T_NUM; }
// @ts-ignore: decorator
@inline function isStr(v: Value): bool { return v.kind == T_STR; }

function items(v: Value): Array<Value> | null {
  if (v.kind == T_ARR) return changetype<ArrV>(v).items;
  if (v.kind == T_SET) return changetype<SetV>(v).items;
  return null;
}

function arrOf(list: Array<Value>): ArrV { let a = new ArrV(); a.items = list; return a; }

function smallInt(v: Value, ok: StaticArray<bool>): i64 {
  ok[0] = false;
  if (v.kind != T_NUM) return 0;
  let n = num(v);
  if (!n.isInt) return 0;
  ok[0] = true;
  return n.i;
}

const okBuf = new StaticArray<bool>(1);

// ---- code point helpers ---------------------------------------------------------------
function codepoints(str: string): Array<i32> {
  let out = new Array<i32>();
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c >= 0xD800 && c < 0xDC00 && i + 1 < str.length) {
      let d = str.charCodeAt(i + 1);
      if (d >= 0xDC00 && d < 0xE000) { out.push(0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00)); i++; continue; }
    }
    out.push(c);
  }
  return out;
}

function fromCodepoints(cps: Array<i32>, start: i32, end: i32): string {
  let parts = new Array<i32>();
  for (let i = start; i < end; i++) {
    let c = cps[i];
    if (c >= 0x10000) { let v = c - 0x10000; parts.push(0xD800 + (v >> 10)); parts.push(0xDC00 + (v & 0x3FF)); }
    else parts.push(c);
  }
  return String.fromCharCodes(parts);
}

/** code point index of a UTF-16 index */
function cpIndex(str: string, unitIdx: i32): i32 {
  let n = 0;
  for (let i = 0; i < unitIdx; i++) {
    let c = str.charCodeAt(i);
    if (c < 0xDC00 || c > 0xDFFF) n++;
  }
  return n;
}

function isSpace(c: i32): bool {
  return c == 32 || (c >= 9 && c <= 13) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
    (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/** Whether `str` has a UTF-16 surrogate unit (so code units and code points differ). */
function hasSurrogate(str: string): bool {
  let p = changetype<usize>(str);
  let n = str.length;
  for (let i = 0; i < n; i++) {
    let c = <u32>load<u16>(p + (<usize>i << 1));
    if (c >= 0xD800 && c < 0xE000) return true;
  }
  return false;
}

/** Whether unit `c` occurs in `cut`. */
// @ts-ignore: decorator
@inline function unitIn(cut: string, c: u32): bool {
  let p = changetype<usize>(cut);
  let n = cut.length;
  for (let i = 0; i < n; i++) if (<u32>load<u16>(p + (<usize>i << 1)) == c) return true;
  return false;
}

function trimSet(str: string, cut: string, left: bool, right: bool): string {
  if (!hasSurrogate(str) && !hasSurrogate(cut)) {
    // no surrogates: code units are code points
    let p = changetype<usize>(str);
    let a = 0, b = str.length;
    if (left) while (a < b && unitIn(cut, <u32>load<u16>(p + (<usize>a << 1)))) a++;
    if (right) while (b > a && unitIn(cut, <u32>load<u16>(p + (<usize>(b - 1) << 1)))) b--;
    if (a == 0 && b == str.length) return str;
    return str.substring(a, b);
  }
  let cps = codepoints(str);
  let cs = codepoints(cut);
  let a = 0, b = cps.length;
  if (left) while (a < b && cs.includes(cps[a])) a++;
  if (right) while (b > a && cs.includes(cps[b - 1])) b--;
  return fromCodepoints(cps, a, b);
}

function trimSpace(str: string): string {
  let cps = codepoints(str);
  let a = 0, b = cps.length;
  while (a < b && isSpace(cps[a])) a++;
  while (b > a && isSpace(cps[b - 1])) b--;
  return fromCodepoints(cps, a, b);
}

// ---- value formatting for print / template strings ---------------------------------------
function display(v: Value): string {
  if (v.kind == T_STR) return s(v);
  return termString(v);
}

// ---- walk ---------------------------------------------------------------------------------
function walkInto(path: Array<Value>, v: Value, out: Array<Value>): void {
  let pair = new ArrV();
  pair.items.push(arrOf(path.slice(0)));
  pair.items.push(v);
  out.push(pair);
  if (v.kind == T_ARR) {
    let it = changetype<ArrV>(v).items;
    for (let i = 0; i < it.length; i++) { path.push(numI64(i)); walkInto(path, it[i], out); path.pop(); }
  } else if (v.kind == T_OBJ) {
    let o = changetype<ObjV>(v);
    for (let i = 0; i < o.keys.length; i++) { path.push(o.keys[i]); walkInto(path, o.vals[i], out); path.pop(); }
  } else if (v.kind == T_SET) {
    let it = changetype<SetV>(v).items;
    for (let i = 0; i < it.length; i++) { path.push(it[i]); walkInto(path, it[i], out); path.pop(); }
  }
}

function unionObj(a: ObjV, b: ObjV): ObjV {
  let r = objCopy(a);
  for (let i = 0; i < b.keys.length; i++) {
    let k = b.keys[i], bv = b.vals[i];
    let av = objGet(a, k);
    if (av !== null && av.kind == T_OBJ && bv.kind == T_OBJ) objPut(r, k, unionObj(changetype<ObjV>(av), changetype<ObjV>(bv)));
    else objPut(r, k, bv);
  }
  return r;
}

function isCollection(v: Value): bool { return v.kind == T_OBJ || v.kind == T_SET || v.kind == T_ARR; }

function isSubset(sup: Value, sub: Value): bool {
  if (sup.kind == T_OBJ) {
    if (sub.kind != T_OBJ) return false;
    let a = changetype<ObjV>(sup), b = changetype<ObjV>(sub);
    for (let i = 0; i < b.keys.length; i++) {
      let av = objGet(a, b.keys[i]);
      if (av === null) return false;
      let bv = b.vals[i];
      if (isCollection(av) && isCollection(bv) && av.kind != T_OBJ && bv.kind != T_OBJ) { if (!isSubset(av, bv)) return false; }
      else if (av.kind == T_OBJ && bv.kind == T_OBJ) { if (!isSubset(av, bv)) return false; }
      else if (!eq(av, bv)) return false;
    }
    return true;
  }
  if (sup.kind == T_SET) {
    let b = items(sub);
    if (b === null) return false;
    for (let i = 0; i < b.length; i++) if (!setHas(changetype<SetV>(sup), b[i])) return false;
    return true;
  }
  if (sup.kind == T_ARR) {
    let a = changetype<ArrV>(sup).items;
    if (sub.kind == T_SET) {
      let b = changetype<SetV>(sub).items;
      for (let i = 0; i < b.length; i++) {
        let found = false;
        for (let k = 0; k < a.length; k++) if (eq(a[k], b[i])) { found = true; break; }
        if (!found) return false;
      }
      return true;
    }
    if (sub.kind != T_ARR) return false;
    let b = changetype<ArrV>(sub).items;
    if (b.length == 0) return true;
    for (let i = 0; i + b.length <= a.length; i++) {
      let all = true;
      for (let j = 0; j < b.length; j++) if (!eq(a[i + j], b[j])) { all = false; break; }
      if (all) return true;
    }
    return false;
  }
  return false;
}

function flatten(v: Array<Value>, out: Array<Value>): void {
  for (let i = 0; i < v.length; i++) {
    if (v[i].kind == T_ARR) { let inner = changetype<ArrV>(v[i]).items; for (let k = 0; k < inner.length; k++) out.push(inner[k]); }
    else out.push(v[i]);
  }
}

// ---- base64 / hex ---------------------------------------------------------------------------
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function utf8Bytes(str: string): Uint8Array { return Uint8Array.wrap(String.UTF8.encode(str)); }

function b64enc(str: string, alpha: string, pad: bool): string {
  let b = utf8Bytes(str);
  let out = new Array<i32>();
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    let n = (<i32>b[i] << 16) | (<i32>b[i + 1] << 8) | <i32>b[i + 2];
    out.push(alpha.charCodeAt((n >> 18) & 63)); out.push(alpha.charCodeAt((n >> 12) & 63));
    out.push(alpha.charCodeAt((n >> 6) & 63)); out.push(alpha.charCodeAt(n & 63));
  }
  let rem = b.length - i;
  if (rem == 1) {
    let n = <i32>b[i] << 16;
    out.push(alpha.charCodeAt((n >> 18) & 63)); out.push(alpha.charCodeAt((n >> 12) & 63));
    if (pad) { out.push(61); out.push(61); }
  } else if (rem == 2) {
    let n = (<i32>b[i] << 16) | (<i32>b[i + 1] << 8);
    out.push(alpha.charCodeAt((n >> 18) & 63)); out.push(alpha.charCodeAt((n >> 12) & 63)); out.push(alpha.charCodeAt((n >> 6) & 63));
    if (pad) out.push(61);
  }
  return String.fromCharCodes(out);
}

/** Decodes base64 (std or url alphabet) to bytes; null if invalid. Padding optional only if `loosePad`. */
function b64dec(str: string, url: bool, loosePad: bool): Uint8Array | null {
  let vals = new Array<i32>();
  let padCount = 0;
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c == 61) { padCount++; continue; }
    if (padCount > 0) return null;
    let v = -1;
    if (c >= 65 && c <= 90) v = c - 65;
    else if (c >= 97 && c <= 122) v = c - 71;
    else if (c >= 48 && c <= 57) v = c + 4;
    else if (c == (url ? 45 : 43)) v = 62;
    else if (c == (url ? 95 : 47)) v = 63;
    else if (c == 10 || c == 13) continue;
    else return null;
    vals.push(v);
  }
  let n = vals.length;
  if (n % 4 == 1) return null;
  if (padCount > 0) { if ((n + padCount) % 4 != 0 || padCount > 2) return null; }
  else if (!loosePad && n % 4 != 0) return null;
  let out = new Array<u8>();
  let i = 0;
  for (; i + 3 < n; i += 4) {
    let x = (vals[i] << 18) | (vals[i + 1] << 12) | (vals[i + 2] << 6) | vals[i + 3];
    out.push(<u8>(x >> 16)); out.push(<u8>(x >> 8)); out.push(<u8>x);
  }
  let rem = n - i;
  if (rem == 2) { let x = (vals[i] << 18) | (vals[i + 1] << 12); out.push(<u8>(x >> 16)); }
  else if (rem == 3) { let x = (vals[i] << 18) | (vals[i + 1] << 12) | (vals[i + 2] << 6); out.push(<u8>(x >> 16)); out.push(<u8>(x >> 8)); }
  let r = new Uint8Array(out.length);
  for (let k = 0; k < out.length; k++) r[k] = out[k];
  return r;
}

/** Bytes → string, invalid UTF-8 replaced with U+FFFD (as Go's string conversion keeps bytes). */
function bytesToString(b: Uint8Array): string {
  return decodeUtf8Lossy(b.dataStart, <usize>b.length);
}

function hexEnc(str: string): string {
  let b = utf8Bytes(str);
  let out = new Array<i32>();
  const H = "0123456789abcdef";
  for (let i = 0; i < b.length; i++) { out.push(H.charCodeAt(b[i] >> 4)); out.push(H.charCodeAt(b[i] & 15)); }
  return String.fromCharCodes(out);
}

function hexVal(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

// ---- format_int ------------------------------------------------------------------------------
const MAX_RANGE: i64 = 1000000;

function formatInt(n: NumV, base: i32): string | null {
  if (n.coef.length + n.exp > 1000) return null;
  // truncate toward zero
  let t = n.exp >= 0 ? n : numRoundTrunc(n);
  let digits = t.coef + (t.exp > 0 ? "0".repeat(t.exp) : "");
  if (digits == "0") return "0";
  let sign: string = t.neg ? "-" : "";
  if (base == 10) { let r: string = sign + digits; return r; }
  const H = "0123456789abcdef";
  let out = new Array<i32>();
  let cur = digits;
  let b = base.toString();
  while (cur != "0") {
    let qr = magDivmod(cur, b);
    out.push(H.charCodeAt(I32.parseInt(qr[1])));
    cur = qr[0];
  }
  out.reverse();
  let r: string = sign + String.fromCharCodes(out);
  return r;
}

function numRoundTrunc(n: NumV): NumV {
  let ip = n.coef.length + n.exp;
  if (ip <= 0) return numI64(0);
  return numDec(n.neg, n.coef.substring(0, ip), 0);
}

// ---- dispatcher -------------------------------------------------------------------------------
export function callNative(id: i32, a: Array<Value>): Value | null {
  let n = a.length;
  let x: Value = n > 0 ? unchecked(a[0]) : NULL;
  let y: Value = n > 1 ? unchecked(a[1]) : NULL;
  let z: Value = n > 2 ? unchecked(a[2]) : NULL;
  switch (id) {
    case 0: { // plus
      if (!isNum(x) || !isNum(y)) return null;
      return numAdd(num(x), num(y));
    }
    case 1: { // minus
      if (isNum(x) && isNum(y)) return numSub(num(x), num(y));
      if (x.kind == T_SET && y.kind == T_SET) return setDiff(changetype<SetV>(x), changetype<SetV>(y));
      return null;
    }
    case 2: if (!isNum(x) || !isNum(y)) return null; return numMul(num(x), num(y));
    case 3: if (!isNum(x) || !isNum(y)) return null; return numDiv(num(x), num(y));
    case 4: if (!isNum(x) || !isNum(y)) return null; return numRem(num(x), num(y));
    case 5: if (!isNum(x)) return null; return numAbs(num(x));
    case 6: if (!isNum(x)) return null; return numRound(num(x), 0);
    case 7: if (!isNum(x)) return null; return numRound(num(x), 1);
    case 8: if (!isNum(x)) return null; return numRound(num(x), 2);
    case 9: return boolV(eq(x, y));
    case 10: return boolV(!eq(x, y));
    case 11: return boolV(cmp(x, y) < 0);
    case 12: return boolV(cmp(x, y) <= 0);
    case 13: return boolV(cmp(x, y) > 0);
    case 14: return boolV(cmp(x, y) >= 0);
    case 15: { // count
      if (x.kind == T_STR) return numI64(cpCount(s(x)));
      if (x.kind == T_OBJ) return numI64(changetype<ObjV>(x).keys.length);
      let it = items(x);
      if (it === null) return null;
      return numI64(it.length);
    }
    case 16: case 17: { // sum, product
      let it = items(x);
      if (it === null) return null;
      let acc: NumV = numI64(id == 16 ? 0 : 1);
      for (let i = 0; i < it.length; i++) {
        if (!isNum(it[i])) return null;
        let next = id == 16 ? numAdd(acc, num(it[i])) : numMul(acc, num(it[i]));
        if (next === null) return null;
        acc = next;
      }
      return acc;
    }
    case 18: case 19: { // max, min
      let it = items(x);
      if (it === null || it.length == 0) return null;
      let best = it[0];
      for (let i = 1; i < it.length; i++) {
        let c = cmp(it[i], best);
        if (id == 18 ? c > 0 : c < 0) best = it[i];
      }
      return best;
    }
    case 20: { // sort
      let it = items(x);
      if (it === null) return null;
      let c = it.slice(0);
      if (x.kind == T_ARR) c.sort((p: Value, q: Value): i32 => cmp(p, q));
      return arrOf(c);
    }
    case 21: case 22: { // all, any
      let it = items(x);
      if (it === null) return null;
      for (let i = 0; i < it.length; i++) {
        let t = it[i].kind == T_BOOL && changetype<BoolV>(it[i]).b;
        if (id == 21 && !t) return FALSE;
        if (id == 22 && t) return TRUE;
      }
      return boolV(id == 21);
    }
    case 23: return boolV(x.kind == T_NUM);
    case 24: return boolV(x.kind == T_STR);
    case 25: return boolV(x.kind == T_BOOL);
    case 26: return boolV(x.kind == T_ARR);
    case 27: return boolV(x.kind == T_SET);
    case 28: return boolV(x.kind == T_OBJ);
    case 29: return boolV(x.kind == T_NULL);
    case 30: return new StrV(typeName(x));
    case 31: { // and
      if (x.kind != T_SET || y.kind != T_SET) return null;
      return setAnd(changetype<SetV>(x), changetype<SetV>(y));
    }
    case 32: { // or
      if (x.kind != T_SET || y.kind != T_SET) return null;
      return setOr(changetype<SetV>(x), changetype<SetV>(y));
    }
    case 33: { // union(set of sets)
      if (x.kind != T_SET) return null;
      let it = changetype<SetV>(x).items;
      let r = new SetV();
      for (let i = 0; i < it.length; i++) {
        if (it[i].kind != T_SET) return null;
        r = setOr(r, changetype<SetV>(it[i]));
      }
      return r;
    }
    case 34: { // intersection(set of sets)
      if (x.kind != T_SET) return null;
      let it = changetype<SetV>(x).items;
      if (it.length == 0) return new SetV();
      if (it[0].kind != T_SET) return null;
      let r = changetype<SetV>(it[0]);
      for (let i = 1; i < it.length; i++) {
        if (it[i].kind != T_SET) return null;
        r = setAnd(r, changetype<SetV>(it[i]));
      }
      return r;
    }
    case 35: if (x.kind != T_SET || y.kind != T_SET) return null; return setDiff(changetype<SetV>(x), changetype<SetV>(y));
    case 36: { // array.concat
      if (x.kind != T_ARR || y.kind != T_ARR) return null;
      return arrOf(changetype<ArrV>(x).items.concat(changetype<ArrV>(y).items));
    }
    case 37: { // array.slice
      if (x.kind != T_ARR) return null;
      let lo = smallInt(y, okBuf); if (!okBuf[0]) return null;
      let hi = smallInt(z, okBuf); if (!okBuf[0]) return null;
      let it = changetype<ArrV>(x).items;
      let len = <i64>it.length;
      if (lo < 0) lo = 0;
      if (hi > len) hi = len;
      if (lo >= hi) return new ArrV();
      return arrOf(it.slice(<i32>lo, <i32>hi));
    }
    case 38: { // array.reverse
      if (x.kind != T_ARR) return null;
      let c = changetype<ArrV>(x).items.slice(0);
      c.reverse();
      return arrOf(c);
    }
    case 39: { // internal.member_2
      if (y.kind == T_SET) return boolV(setHas(changetype<SetV>(y), x));
      if (y.kind == T_ARR) { let it = changetype<ArrV>(y).items; for (let i = 0; i < it.length; i++) if (eq(it[i], x)) return TRUE; return FALSE; }
      if (y.kind == T_OBJ) { let vs = changetype<ObjV>(y).vals; for (let i = 0; i < vs.length; i++) if (eq(vs[i], x)) return TRUE; return FALSE; }
      return FALSE;
    }
    case 40: { // internal.member_3(key, value, coll)
      if (z.kind == T_OBJ) { let v = objGet(changetype<ObjV>(z), x); return boolV(v !== null && eq(v, y)); }
      if (z.kind == T_ARR) {
        if (x.kind != T_NUM || !num(x).isInt) return FALSE;
        let it = changetype<ArrV>(z).items; let i = num(x).i;
        return boolV(i >= 0 && i < <i64>it.length && eq(it[<i32>i], y));
      }
      if (z.kind == T_SET) return boolV(eq(x, y) && setHas(changetype<SetV>(z), x));
      return FALSE;
    }
    case 41: { // walk
      let out = new Array<Value>();
      walkInto(new Array<Value>(), x, out);
      return arrOf(out);
    }
    case 42: { // to_number
      if (x.kind == T_NUM) return x;
      if (x.kind == T_NULL) return numI64(0);
      if (x.kind == T_BOOL) return numI64(changetype<BoolV>(x).b ? 1 : 0);
      if (x.kind == T_STR) {
        let t = s(x);
        if (t.startsWith("+")) t = t.substring(1);
        let r = numParse(t);
        if (r === null) {
          // Go's ParseFloat also accepts forms such as "1." / ".5" / "01"
          let f = F64.parseFloat(t);
          if (isNaN(f) || !isFinite(f) || t.length == 0) return null;
          for (let i = 0; i < t.length; i++) { let c = t.charCodeAt(i); if (!((c >= 48 && c <= 57) || c == 46 || c == 45 || c == 101 || c == 69 || c == 43)) return null; }
          return numParse(f.toString().replace("e+", "e"));
        }
        r.text = null;
        return r;
      }
      return null;
    }
    case 43: { // numbers.range
      if (!isNum(x) || !isNum(y) || !numIsInt(num(x)) || !numIsInt(num(y))) return null;
      let lo = smallInt(x, okBuf); if (!okBuf[0]) return null;
      let hi = smallInt(y, okBuf); if (!okBuf[0]) return null;
      // bounded: the bounds may come from request input
      if ((hi > lo ? hi - lo : lo - hi) >= MAX_RANGE) return null;
      let r = new ArrV();
      if (lo <= hi) { for (let i = lo; i <= hi; i++) r.items.push(numI64(i)); }
      else { for (let i = lo; i >= hi; i--) r.items.push(numI64(i)); }
      return r;
    }
    case 44: { // object.get(obj, key, default)
      if (x.kind != T_OBJ) return null;
      if (y.kind == T_ARR) {
        let path = changetype<ArrV>(y).items;
        let cur: Value = x;
        for (let i = 0; i < path.length; i++) {
          let nx: Value | null = null;
          if (cur.kind == T_OBJ) nx = objGet(changetype<ObjV>(cur), path[i]);
          else if (cur.kind == T_ARR && path[i].kind == T_NUM && num(path[i]).isInt) {
            let it = changetype<ArrV>(cur).items; let k = num(path[i]).i;
            if (k >= 0 && k < <i64>it.length) nx = it[<i32>k];
          } else if (cur.kind == T_SET) { if (setHas(changetype<SetV>(cur), path[i])) nx = path[i]; }
          if (nx === null) return z;
          cur = nx;
        }
        return cur;
      }
      let v = objGet(changetype<ObjV>(x), y);
      return v !== null ? v : z;
    }
    case 45: { // object.keys
      if (x.kind != T_OBJ) return null;
      let r = new SetV(); r.items = changetype<ObjV>(x).keys.slice(0); return r;
    }
    case 46: { // object.remove
      if (x.kind != T_OBJ) return null;
      let ks: Array<Value>;
      if (y.kind == T_OBJ) ks = changetype<ObjV>(y).keys;
      else { let it = items(y); if (it === null) return null; ks = it; }
      let r = objCopy(changetype<ObjV>(x));
      for (let i = 0; i < ks.length; i++) objRemove(r, ks[i]);
      return r;
    }
    case 47: { // object.union
      if (x.kind != T_OBJ || y.kind != T_OBJ) return null;
      return unionObj(changetype<ObjV>(x), changetype<ObjV>(y));
    }
    case 48: { // object.union_n
      if (x.kind != T_ARR) return null;
      let it = changetype<ArrV>(x).items;
      let r = new ObjV();
      for (let i = 0; i < it.length; i++) { if (it[i].kind != T_OBJ) return null; r = unionObj(r, changetype<ObjV>(it[i])); }
      return r;
    }
    case 49: { // object.filter
      if (x.kind != T_OBJ) return null;
      let ks: Array<Value>;
      if (y.kind == T_OBJ) ks = changetype<ObjV>(y).keys;
      else { let it = items(y); if (it === null) return null; ks = it; }
      let r = new ObjV();
      for (let i = 0; i < ks.length; i++) { let v = objGet(changetype<ObjV>(x), ks[i]); if (v !== null) objPut(r, ks[i], v); }
      return r;
    }
    case 50: { // concat
      if (!isStr(x)) return null;
      let it = items(y);
      if (it === null) return null;
      let parts = new Array<string>();
      for (let i = 0; i < it.length; i++) { if (!isStr(it[i])) return null; parts.push(s(it[i])); }
      return new StrV(parts.join(s(x)));
    }
    case 51: if (!isStr(x) || !isStr(y)) return null; return boolV(s(x).includes(s(y)));
    case 52: if (!isStr(x) || !isStr(y)) return null; return boolV(s(x).startsWith(s(y)));
    case 53: if (!isStr(x) || !isStr(y)) return null; return boolV(s(x).endsWith(s(y)));
    case 54: if (!isStr(x)) return null; return new StrV(s(x).toLowerCase());
    case 55: if (!isStr(x)) return null; return new StrV(s(x).toUpperCase());
    case 56: { // split
      if (!isStr(x) || !isStr(y)) return null;
      let r = new ArrV();
      let str = s(x), d = s(y);
      if (d.length == 0) {
        let cps = codepoints(str);
        for (let i = 0; i < cps.length; i++) r.items.push(new StrV(fromCodepoints(cps, i, i + 1)));
        return r;
      }
      let parts = str.split(d);
      for (let i = 0; i < parts.length; i++) r.items.push(new StrV(parts[i]));
      return r;
    }
    case 57: { // replace
      if (!isStr(x) || !isStr(y) || !isStr(z)) return null;
      let str = s(x), old = s(y), nw = s(z);
      if (old.length == 0) {
        let cps = codepoints(str);
        let out = nw;
        for (let i = 0; i < cps.length; i++) out += fromCodepoints(cps, i, i + 1) + nw;
        return new StrV(out);
      }
      return new StrV(str.replaceAll(old, nw));
    }
    case 58: { // strings.replace_n(patterns, string)
      if (x.kind != T_OBJ || !isStr(y)) return null;
      let o = changetype<ObjV>(x);
      for (let i = 0; i < o.keys.length; i++) if (!isStr(o.keys[i]) || !isStr(o.vals[i])) return null;
      let str = s(y);
      let parts = new Array<string>();
      let i = 0;
      let hasEmpty = false;
      for (let k = 0; k < o.keys.length; k++) if (s(o.keys[k]).length == 0) hasEmpty = true;
      while (i <= str.length) {
        let matched = false;
        for (let k = 0; k < o.keys.length; k++) {
          let key = s(o.keys[k]);
          if (key.length == 0) continue;
          if (i + key.length <= str.length && str.substr(i, key.length) == key) {
            parts.push(s(o.vals[k])); i += key.length; matched = true; break;
          }
        }
        if (matched) continue;
        if (i == str.length) break;
        // copy the run up to the next possible match start in one piece
        let j = i + 1;
        while (j < str.length && !startsAnyKey(str, j, o)) j++;
        parts.push(str.substring(i, j));
        i = j;
      }
      if (hasEmpty) return null;
      return new StrV(parts.join(""));
    }
    case 59: { // substring(s, start, length)
      if (!isStr(x)) return null;
      let st = smallInt(y, okBuf); if (!okBuf[0]) return null;
      let ln = smallInt(z, okBuf); if (!okBuf[0]) return null;
      if (st < 0) return null;
      let cps = codepoints(s(x));
      let len = <i64>cps.length;
      if (st >= len) return new StrV("");
      let end = ln < 0 || st + ln > len ? len : st + ln;
      return new StrV(fromCodepoints(cps, <i32>st, <i32>end));
    }
    case 60: { // indexof
      if (!isStr(x) || !isStr(y) || s(y).length == 0) return null; // OPA: "empty search character"
      let idx = s(x).indexOf(s(y));
      if (idx < 0) return numI64(-1);
      return numI64(cpIndex(s(x), idx));
    }
    case 61: { // indexof_n
      if (!isStr(x) || !isStr(y) || s(y).length == 0) return null; // OPA: "empty search character"
      let str = s(x), sub = s(y);
      let r = new ArrV();
      let from = 0;
      while (true) {
        let idx = str.indexOf(sub, from);
        if (idx < 0) break;
        r.items.push(numI64(cpIndex(str, idx)));
        from = idx + 1;
        if (from > str.length) break;
      }
      return r;
    }
    case 62: if (!isStr(x) || !isStr(y)) return null; return new StrV(trimSet(s(x), s(y), true, true));
    case 63: if (!isStr(x) || !isStr(y)) return null; return new StrV(trimSet(s(x), s(y), true, false));
    case 64: if (!isStr(x) || !isStr(y)) return null; return new StrV(trimSet(s(x), s(y), false, true));
    case 65: { // trim_prefix
      if (!isStr(x) || !isStr(y)) return null;
      let str = s(x), p = s(y);
      return new StrV(str.startsWith(p) ? str.substring(p.length) : str);
    }
    case 66: { // trim_suffix
      if (!isStr(x) || !isStr(y)) return null;
      let str = s(x), p = s(y);
      return new StrV(p.length > 0 && str.endsWith(p) ? str.substring(0, str.length - p.length) : str);
    }
    case 67: if (!isStr(x)) return null; return new StrV(trimSpace(s(x)));
    case 68: { // format_int
      if (!isNum(x)) return null;
      let b = smallInt(y, okBuf); if (!okBuf[0]) return null;
      if (b != 2 && b != 8 && b != 10 && b != 16) return null;
      let f = formatInt(num(x), <i32>b);
      return f === null ? null : new StrV(f);
    }
    case 69: { // strings.reverse
      if (!isStr(x)) return null;
      let cps = codepoints(s(x));
      cps.reverse();
      return new StrV(fromCodepoints(cps, 0, cps.length));
    }
    case 70: { // internal.template_string
      if (x.kind != T_ARR) return null;
      let it = changetype<ArrV>(x).items;
      let out = "";
      for (let i = 0; i < it.length; i++) {
        let v = it[i];
        if (v.kind == T_SET) {
          let e = changetype<SetV>(v).items;
          if (e.length == 0) out += "<undefined>";
          else if (e.length == 1) out += display(e[0]);
          else return null;
        } else if (v.kind == T_STR) out += s(v);
        else out += display(v);
      }
      return new StrV(out);
    }
    case 71: case 72: { // internal.print / print
      let it = items(x);
      let parts = new Array<string>();
      if (it !== null && id == 71) {
        for (let i = 0; i < it.length; i++) {
          let v = it[i];
          if (v.kind == T_SET) {
            let e = changetype<SetV>(v).items;
            if (e.length == 0) parts.push("<undefined>");
            else {
              let sub = new Array<string>();
              for (let k = 0; k < e.length; k++) sub.push(display(e[k]));
              parts.push(sub.join(" "));
            }
          } else parts.push(display(v));
        }
      } else for (let i = 0; i < a.length; i++) parts.push(display(a[i]));
      println(parts.join(" "));
      return TRUE;
    }
    case 73: return new StrV(dumpJson(x)); // json.marshal
    case 74: { // json.unmarshal
      if (!isStr(x)) return null;
      return parseJsonString(s(x), false);
    }
    case 75: if (!isStr(x)) return FALSE; return boolV(parseJsonString(s(x), false) !== null);
    case 76: if (!isStr(x)) return null; return new StrV(b64enc(s(x), B64, true));
    case 77: { if (!isStr(x)) return null; let b = b64dec(s(x), false, false); return b === null ? null : new StrV(bytesToString(b)); }
    case 78: { if (!isStr(x)) return null; return boolV(b64dec(s(x), false, false) !== null); }
    case 79: if (!isStr(x)) return null; return new StrV(b64enc(s(x), B64URL, true));
    case 80: { if (!isStr(x)) return null; let b = b64dec(s(x), true, true); return b === null ? null : new StrV(bytesToString(b)); }
    case 81: if (!isStr(x)) return null; return new StrV(b64enc(s(x), B64URL, false));
    case 82: if (!isStr(x)) return null; return new StrV(hexEnc(s(x)));
    case 83: { // hex.decode
      if (!isStr(x)) return null;
      let str = s(x);
      if (str.length % 2 != 0) return null;
      let out = new Uint8Array(str.length / 2);
      for (let i = 0; i < out.length; i++) {
        let h = hexVal(str.charCodeAt(2 * i)), l = hexVal(str.charCodeAt(2 * i + 1));
        if (h < 0 || l < 0) return null;
        out[i] = <u8>((h << 4) | l);
      }
      return new StrV(bytesToString(out));
    }
    case 84: case 85: case 87: case 88: case 89: { // bits.or/and/xor/lsh/rsh
      let p = smallInt(x, okBuf); if (!okBuf[0]) return null;
      let q = smallInt(y, okBuf); if (!okBuf[0]) return null;
      if (id == 84) return numI64(p | q);
      if (id == 85) return numI64(p & q);
      if (id == 87) return numI64(p ^ q);
      if (q < 0) return null;
      if (id == 88) {
        if (q < 62) { let r = p << q; if ((r >> q) == p) return numI64(r); }
        if (q > 4096) return null;
        // beyond int64: exact, as Go's big.Int
        let pow = numI64(1);
        for (let k: i64 = 0; k < q; k++) pow = numAdd(pow, pow);
        return numMul(num(x), pow);
      }
      return numI64(q >= 63 ? (p < 0 ? -1 : 0) : p >> q);
    }
    case 86: { let p = smallInt(x, okBuf); if (!okBuf[0]) return null; return numI64(~p); }
    case 90: case 91: { // strings.any_prefix_match / any_suffix_match
      let xs = strList(x), ys = strList(y);
      if (xs === null || ys === null) return null;
      for (let i = 0; i < xs.length; i++) for (let j = 0; j < ys.length; j++) {
        if (id == 90 ? xs[i].startsWith(ys[j]) : xs[i].endsWith(ys[j])) return TRUE;
      }
      return FALSE;
    }
    case 92: { // strings.count
      if (!isStr(x) || !isStr(y)) return null;
      let str = s(x), sub = s(y);
      if (sub.length == 0) return numI64(cpCount(str) + 1);
      let c = 0, from = 0;
      while (true) { let i = str.indexOf(sub, from); if (i < 0) break; c++; from = i + sub.length; }
      return numI64(c);
    }
    case 93: { // object.subset
      if (!isCollection(x) || !isCollection(y)) return null;
      if (x.kind == T_OBJ && y.kind != T_OBJ) return null;
      return boolV(isSubset(x, y));
    }
    case 95: case 96: { // json.filter / json.remove
      if (x.kind != T_OBJ) return null;
      let tree = pathTree(y);
      if (tree === null) return null;
      return id == 95 ? jsonFilter(x, tree) : jsonRemove(x, tree);
    }
    case 99: return jsonPatch(x, y);
    // deprecated v0 casts: a value of the target type (arrays and sets convert), else an error
    case 100: return x.kind == T_ARR ? x : x.kind == T_SET ? arrOf(changetype<SetV>(x).items.slice(0)) : null;
    case 101: return x.kind == T_SET ? x : x.kind == T_ARR ? setFrom(changetype<ArrV>(x).items) : null;
    case 102: return x.kind == T_STR ? x : null;
    case 103: return x.kind == T_BOOL ? x : null;
    case 104: return x.kind == T_NULL ? x : null;
    case 105: return x.kind == T_OBJ ? x : null;
    case 98: return isStr(x) ? TRUE : null; // trace: notes only matter to topdown's explain mode
    case 97: { // sprintf
      if (!isStr(x) || y.kind != T_ARR) return null;
      return new StrV(goSprintf(s(x), changetype<ArrV>(y).items));
    }
    case 94: { // array.flatten
      if (x.kind != T_ARR) return null;
      let out = new Array<Value>();
      flatten(changetype<ArrV>(x).items, out);
      return arrOf(out);
    }
  }
  return null;
}

function startsAnyKey(str: string, i: i32, o: ObjV): bool {
  let c = str.charCodeAt(i);
  for (let k = 0; k < o.keys.length; k++) {
    let key = s(o.keys[k]);
    if (key.length > 0 && key.charCodeAt(0) == c) return true;
  }
  return false;
}

function strList(v: Value): Array<string> | null {
  let out = new Array<string>();
  if (v.kind == T_STR) { out.push(s(v)); return out; }
  let it = items(v);
  if (it === null) return null;
  for (let i = 0; i < it.length; i++) { if (!isStr(it[i])) return null; out.push(s(it[i])); }
  return out;
}

function setAnd(a: SetV, b: SetV): SetV {
  let r = new SetV();
  let it = a.items;
  for (let i = 0; i < it.length; i++) if (setHas(b, it[i])) r.items.push(it[i]);
  return r;
}

function setOr(a: SetV, b: SetV): SetV {
  // merge two sorted lists
  let r = new SetV();
  let x = a.items, y = b.items;
  let i = 0, j = 0;
  while (i < x.length && j < y.length) {
    let c = cmp(x[i], y[j]);
    if (c < 0) r.items.push(x[i++]);
    else if (c > 0) r.items.push(y[j++]);
    else { r.items.push(x[i++]); j++; }
  }
  while (i < x.length) r.items.push(x[i++]);
  while (j < y.length) r.items.push(y[j++]);
  return r;
}

function setDiff(a: SetV, b: SetV): SetV {
  let r = new SetV();
  let it = a.items;
  for (let i = 0; i < it.length; i++) if (!setHas(b, it[i])) r.items.push(it[i]);
  return r;
}

// ---- json.filter / json.remove -----------------------------------------------------------------
// Paths become a tree: ObjV segment → subtree; an empty ObjV marks "whole value".
const LEAF = new ObjV();

function pathTree(paths: Value): ObjV | null {
  let list = items(paths);
  if (list === null) return null;
  let root = new ObjV();
  for (let i = 0; i < list.length; i++) {
    let segs = new Array<Value>();
    let p = list[i];
    if (p.kind == T_STR) {
      let str = s(p);
      while (str.startsWith("/")) str = str.substring(1);
      while (str.endsWith("/")) str = str.substring(0, str.length - 1);
      let parts = str.split("/");
      for (let k = 0; k < parts.length; k++) segs.push(new StrV(parts[k].replaceAll("~1", "/").replaceAll("~0", "~")));
    } else if (p.kind == T_ARR) {
      let it = changetype<ArrV>(p).items;
      for (let k = 0; k < it.length; k++) segs.push(it[k]);
    } else return null;
    let node = root;
    for (let k = 0; k < segs.length; k++) {
      if (node === LEAF) break;
      let seg = segs[k];
      let child = objGet(node, seg);
      if (k == segs.length - 1) { objPut(node, seg, LEAF); break; }
      if (child === null) { let c = new ObjV(); objPut(node, seg, c); node = c; }
      else node = changetype<ObjV>(child);
    }
  }
  return root;
}

// OPA looks object keys and set members up by value, and array elements by their index
// text ("1"): a numeric path segment never selects an array element.
function indexSeg(tree: ObjV, i: i32): Value | null {
  return objGet(tree, new StrV(i.toString()));
}

function jsonFilter(v: Value, tree: ObjV): Value {
  if (tree === LEAF) return v;
  if (v.kind == T_OBJ) {
    let o = changetype<ObjV>(v);
    let r = new ObjV();
    for (let i = 0; i < o.keys.length; i++) {
      let sub = objGet(tree, o.keys[i]);
      if (sub !== null) objPut(r, o.keys[i], jsonFilter(o.vals[i], changetype<ObjV>(sub)));
    }
    return r;
  }
  if (v.kind == T_ARR) {
    let it = changetype<ArrV>(v).items;
    let r = new ArrV();
    for (let i = 0; i < it.length; i++) {
      let sub = indexSeg(tree, i);
      if (sub !== null) r.items.push(jsonFilter(it[i], changetype<ObjV>(sub)));
    }
    return r;
  }
  if (v.kind == T_SET) {
    let it = changetype<SetV>(v).items;
    let r = new SetV();
    for (let i = 0; i < it.length; i++) {
      let sub = objGet(tree, it[i]);
      if (sub !== null) setAdd(r, jsonFilter(it[i], changetype<ObjV>(sub)));
    }
    return r;
  }
  return v;
}

function jsonRemove(v: Value, tree: ObjV): Value {
  if (v.kind == T_OBJ) {
    let o = changetype<ObjV>(v);
    let r = new ObjV();
    for (let i = 0; i < o.keys.length; i++) {
      let sub = objGet(tree, o.keys[i]);
      if (sub === null) { objPut(r, o.keys[i], o.vals[i]); continue; }
      if (sub === LEAF) continue;
      objPut(r, o.keys[i], jsonRemove(o.vals[i], changetype<ObjV>(sub)));
    }
    return r;
  }
  if (v.kind == T_ARR) {
    let it = changetype<ArrV>(v).items;
    let r = new ArrV();
    for (let i = 0; i < it.length; i++) {
      let sub = indexSeg(tree, i);
      if (sub === null) { r.items.push(it[i]); continue; }
      if (sub === LEAF) continue;
      r.items.push(jsonRemove(it[i], changetype<ObjV>(sub)));
    }
    return r;
  }
  if (v.kind == T_SET) {
    let it = changetype<SetV>(v).items;
    let r = new SetV();
    for (let i = 0; i < it.length; i++) {
      let sub = objGet(tree, it[i]);
      if (sub === null) { setAdd(r, it[i]); continue; }
      if (sub === LEAF) continue;
      setAdd(r, jsonRemove(it[i], changetype<ObjV>(sub)));
    }
    return r;
  }
  return v;
}
