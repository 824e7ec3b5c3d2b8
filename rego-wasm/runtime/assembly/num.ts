// Exact decimal numbers: value = (neg ? -1 : 1) * coef * 10^exp with `coef`
// a digit string without leading/trailing zeros ("0" for zero). Integers that
// fit in i64 also carry `i` for a fast path. `text` keeps source text.
import { Value, T_NUM } from "./value";

export class NumV extends Value {
  isInt: bool = false;  // small integer fast path valid
  i: i64 = 0;
  hasDec: bool = false; // decimal form computed (lazily for small integers)
  _neg: bool = false;
  _coef: string = "0";
  _exp: i32 = 0;
  text: string | null = null;
  constructor() { super(2 /* T_NUM; a literal: this module may initialise before value.ts */); }
  get neg(): bool { if (!this.hasDec) setDecFromI64(this, this.i); return this._neg; }
  set neg(v: bool) { this._neg = v; }
  get coef(): string { if (!this.hasDec) setDecFromI64(this, this.i); return this._coef; }
  set coef(v: string) { this._coef = v; this.hasDec = true; }
  get exp(): i32 { if (!this.hasDec) setDecFromI64(this, this.i); return this._exp; }
  set exp(v: i32) { this._exp = v; }
}

const I64_SAFE: i64 = 999999999999999999; // 18 digits

const SMALL_MIN: i64 = -16;
const SMALL_MAX: i64 = 1024;
let smallReady = false; // static initial value: safe to read before this module's start code
const SMALL = makeSmall();

function makeSmall(): Array<NumV> {
  let a = new Array<NumV>();
  for (let v = SMALL_MIN; v <= SMALL_MAX; v++) {
    let n = new NumV();
    n.isInt = true;
    n.i = v;
    setDecFromI64(n, v);
    a.push(n);
  }
  smallReady = true;
  return a;
}

export function numI64(v: i64): NumV {
  if (v >= SMALL_MIN && v <= SMALL_MAX && smallReady) return unchecked(SMALL[<i32>(v - SMALL_MIN)]);
  let n = new NumV();
  n.isInt = true;
  n.i = v;
  return n;
}

function setDecFromI64(n: NumV, v: i64): void {
  n.hasDec = true;
  if (v == 0) { n._neg = false; n._coef = "0"; n._exp = 0; return; }
  n._neg = v < 0;
  let s: string;
  if (v == i64.MIN_VALUE) s = "9223372036854775808";
  else s = (v < 0 ? -v : v).toString();
  let e = 0;
  let end = s.length;
  while (end > 1 && s.charCodeAt(end - 1) == 48) { end--; e++; }
  n._coef = end == s.length ? s : s.substring(0, end);
  n._exp = e;
}

function stripLeading(s: string): string {
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) == 48) i++;
  return i == 0 ? s : s.substring(i);
}

/** Builds a normalized number from sign, magnitude digits and exponent. */
export function numDec(neg: bool, digits: string, exp: i32): NumV {
  let d = stripLeading(digits);
  let n = new NumV();
  if (d == "0") { n.coef = "0"; n.exp = 0; n.neg = false; n.isInt = true; n.i = 0; return n; }
  let end = d.length;
  while (end > 1 && d.charCodeAt(end - 1) == 48) { end--; exp++; }
  if (end != d.length) d = d.substring(0, end);
  n.neg = neg; n.coef = d; n.exp = exp;
  if (exp >= 0 && d.length + exp <= 18) {
    let v: i64 = 0;
    for (let k = 0; k < d.length; k++) v = v * 10 + <i64>(d.charCodeAt(k) - 48);
    for (let k = 0; k < exp; k++) v *= 10;
    n.isInt = true; n.i = neg ? -v : v;
  }
  return n;
}

/** Parses JSON number syntax (also accepts a leading '+', no). Returns null if invalid. */
export function numParse(s: string): NumV | null {
  let i = 0, len = s.length;
  if (len == 0) return null;
  // canonical small integers ("0", "7", "-3", "1024") share one instance
  if (len <= 4) {
    let neg = s.charCodeAt(0) == 45;
    let k = neg ? 1 : 0;
    if (k < len && (s.charCodeAt(k) != 48 || len == 1)) {
      let v: i64 = 0;
      let ok = true;
      for (; k < len; k++) {
        let c = s.charCodeAt(k);
        if (c < 48 || c > 57) { ok = false; break; }
        v = v * 10 + <i64>(c - 48);
      }
      if (ok) {
        if (neg) v = -v;
        if (v >= SMALL_MIN && v <= SMALL_MAX && smallReady) return numI64(v);
      }
    }
  }
  let neg = false;
  if (s.charCodeAt(0) == 45) { neg = true; i++; }
  let intStart = i;
  while (i < len && isDigit(s.charCodeAt(i))) i++;
  let intDigits = s.substring(intStart, i);
  if (intDigits.length == 0) return null;
  if (intDigits.length > 1 && intDigits.charCodeAt(0) == 48) return null;
  let frac = "";
  if (i < len && s.charCodeAt(i) == 46) {
    i++;
    let fs = i;
    while (i < len && isDigit(s.charCodeAt(i))) i++;
    if (i == fs) return null;
    frac = s.substring(fs, i);
  }
  let e: i64 = 0;
  if (i < len && (s.charCodeAt(i) == 101 || s.charCodeAt(i) == 69)) {
    i++;
    let eneg = false;
    if (i < len && (s.charCodeAt(i) == 43 || s.charCodeAt(i) == 45)) { eneg = s.charCodeAt(i) == 45; i++; }
    let es = i;
    while (i < len && isDigit(s.charCodeAt(i))) { if (e < 100000000) e = e * 10 + <i64>(s.charCodeAt(i) - 48); i++; }
    if (i == es) return null;
    if (eneg) e = -e;
  }
  if (i != len) return null;
  if (e > 1000000 || e < -1000000) return null;
  let n = numDec(neg, intDigits + frac, <i32>e - frac.length);
  n.text = s;
  return n;
}

// @ts-ignore: decorator
@inline function isDigit(c: i32): bool { return c >= 48 && c <= 57; }

export function numIsZero(n: NumV): bool { return n.coef == "0"; }
export function numIsInt(n: NumV): bool { return n.isInt || n.exp >= 0; }

// ---- magnitude arithmetic on digit strings -------------------------------------------
export function magCmp(a: string, b: string): i32 {
  if (a.length != b.length) return a.length < b.length ? -1 : 1;
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

function zeros(n: i32): string { return n <= 0 ? "" : "0".repeat(n); }

export function magAdd(a: string, b: string): string {
  let la = a.length, lb = b.length;
  let n = (la > lb ? la : lb) + 1;
  let buf = new Array<i32>(n);
  let carry = 0;
  for (let k = 0; k < n; k++) {
    let da = k < la ? a.charCodeAt(la - 1 - k) - 48 : 0;
    let db = k < lb ? b.charCodeAt(lb - 1 - k) - 48 : 0;
    let s = da + db + carry;
    carry = s >= 10 ? 1 : 0;
    buf[n - 1 - k] = 48 + (s % 10);
  }
  return stripLeading(String.fromCharCodes(buf));
}

/** a - b, requires a >= b */
export function magSub(a: string, b: string): string {
  let la = a.length, lb = b.length;
  let buf = new Array<i32>(la);
  let borrow = 0;
  for (let k = 0; k < la; k++) {
    let da = a.charCodeAt(la - 1 - k) - 48;
    let db = k < lb ? b.charCodeAt(lb - 1 - k) - 48 : 0;
    let s = da - db - borrow;
    if (s < 0) { s += 10; borrow = 1; } else borrow = 0;
    buf[la - 1 - k] = 48 + s;
  }
  return stripLeading(String.fromCharCodes(buf));
}

export function magMul(a: string, b: string): string {
  let la = a.length, lb = b.length;
  let res = new Array<i32>(la + lb);
  for (let i = la - 1; i >= 0; i--) {
    let da = a.charCodeAt(i) - 48;
    if (da == 0) continue;
    for (let j = lb - 1; j >= 0; j--) {
      res[i + j + 1] += da * (b.charCodeAt(j) - 48);
    }
  }
  for (let k = la + lb - 1; k > 0; k--) {
    let v = res[k];
    if (v >= 10) { res[k - 1] += v / 10; res[k] = v % 10; }
  }
  for (let k = 0; k < la + lb; k++) res[k] += 48;
  return stripLeading(String.fromCharCodes(res));
}

/** [quotient, remainder] of integer magnitudes; b != "0". */
export function magDivmod(a: string, b: string): string[] {
  if (magCmp(a, b) < 0) return [ "0", a ];
  let q = new Array<i32>();
  let r = "0";
  for (let i = 0; i < a.length; i++) {
    r = stripLeading(r + String.fromCharCode(a.charCodeAt(i)));
    let d = 0;
    while (magCmp(r, b) >= 0) { r = magSub(r, b); d++; }
    q.push(48 + d);
  }
  return [ stripLeading(String.fromCharCodes(q)), r ];
}

// ---- comparisons -------------------------------------------------------------------------
export function numCmp(a: NumV, b: NumV): i32 {
  if (a.isInt && b.isInt) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  let za = a.coef == "0", zb = b.coef == "0";
  let sa = za ? 0 : (a.neg ? -1 : 1);
  let sb = zb ? 0 : (b.neg ? -1 : 1);
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  let c = absCmp(a, b);
  return sa < 0 ? -c : c;
}

function absCmp(a: NumV, b: NumV): i32 {
  let adjA = a.coef.length + a.exp, adjB = b.coef.length + b.exp;
  if (adjA != adjB) return adjA < adjB ? -1 : 1;
  let ca = a.coef, cb = b.coef;
  let n = ca.length < cb.length ? ca.length : cb.length;
  for (let i = 0; i < n; i++) {
    let x = ca.charCodeAt(i), y = cb.charCodeAt(i);
    if (x != y) return x < y ? -1 : 1;
  }
  return ca.length == cb.length ? 0 : (ca.length < cb.length ? -1 : 1);
}

// ---- arithmetic ---------------------------------------------------------------------------
const MAX_EXP_GAP: i32 = 5000;

export function numAdd(a: NumV, b: NumV): NumV {
  if (a.isInt && b.isInt) {
    let r = a.i + b.i;
    if (((a.i ^ r) & (b.i ^ r)) >= 0) return numI64(r);
  }
  return decAdd(a.neg, a.coef, a.exp, b.neg, b.coef, b.exp);
}

export function numNeg(a: NumV): NumV {
  if (a.isInt && a.i != i64.MIN_VALUE) return numI64(-a.i);
  return numDec(!a.neg, a.coef, a.exp);
}

export function numSub(a: NumV, b: NumV): NumV {
  if (a.isInt && b.isInt) {
    let r = a.i - b.i;
    if (((a.i ^ b.i) & (a.i ^ r)) >= 0) return numI64(r);
  }
  return decAdd(a.neg, a.coef, a.exp, !b.neg, b.coef, b.exp);
}

function decAdd(na: bool, ca: string, ea: i32, nb: bool, cb: string, eb: i32): NumV {
  if (ca == "0") return numDec(nb, cb, eb);
  if (cb == "0") return numDec(na, ca, ea);
  let e = ea < eb ? ea : eb;
  if (ea - e > MAX_EXP_GAP || eb - e > MAX_EXP_GAP) {
    // magnitudes too far apart: the smaller is negligible at any sane precision
    let adjA = ca.length + ea, adjB = cb.length + eb;
    return adjA > adjB ? numDec(na, ca, ea) : numDec(nb, cb, eb);
  }
  let A = ca + zeros(ea - e), B = cb + zeros(eb - e);
  if (na == nb) return numDec(na, magAdd(A, B), e);
  let c = magCmp(A, B);
  if (c == 0) return numI64(0);
  if (c > 0) return numDec(na, magSub(A, B), e);
  return numDec(nb, magSub(B, A), e);
}

/**
 * Work limits: exact digit-string arithmetic is quadratic, and operands may come
 * from request input, so huge operands fall back to float64 (or undefined)
 * instead of stalling the evaluation.
 */
const MAX_MUL_WORK: i64 = 4000000;   // digit products per multiplication
const MAX_DIV_DIGITS: i32 = 1000;    // integer digits for exact division/remainder

export function numMul(a: NumV, b: NumV): NumV | null {
  if (a.isInt && b.isInt) {
    let x = a.i, y = b.i;
    let ax = x < 0 ? -x : x, ay = y < 0 ? -y : y;
    if (ax < 3037000499 && ay < 3037000499) return numI64(x * y);
  }
  if (a.coef == "0" || b.coef == "0") return numI64(0);
  if (<i64>a.coef.length * <i64>b.coef.length > MAX_MUL_WORK) return numFromF64(numToF64(a) * numToF64(b));
  return numDec(a.neg != b.neg, magMul(a.coef, b.coef), a.exp + b.exp);
}

function intDigits(a: NumV): i32 { return a.coef.length + a.exp; }

/** null on division by zero. */
export function numDiv(a: NumV, b: NumV): NumV | null {
  if (b.coef == "0") return null;
  if (a.coef == "0") return numI64(0);
  if (a.isInt && b.isInt && a.i % b.i == 0) return numI64(a.i / b.i);
  if (a.coef.length > MAX_DIV_DIGITS || b.coef.length > MAX_DIV_DIGITS) return numFromF64(numToF64(a) / numToF64(b));
  // exact decimal quotient if it terminates within 40 digits
  let shift = 40;
  let num = a.coef + zeros(shift + (b.coef.length > a.coef.length ? b.coef.length - a.coef.length : 0));
  let extra = num.length - a.coef.length;
  let qr = magDivmod(num, b.coef);
  if (qr[1] == "0") return numDec(a.neg != b.neg, qr[0], a.exp - b.exp - extra);
  let f = numToF64(a) / numToF64(b);
  return numFromF64(f);
}

/** Integer remainder (sign of dividend); null when not integers or b == 0. */
export function numRem(a: NumV, b: NumV): NumV | null {
  if (!numIsInt(a) || !numIsInt(b) || b.coef == "0") return null;
  if (a.isInt && b.isInt) return numI64(a.i % b.i);
  if (intDigits(a) > MAX_DIV_DIGITS || intDigits(b) > MAX_DIV_DIGITS) return null;
  let qr = magDivmod(a.coef + zeros(a.exp), b.coef + zeros(b.exp));
  return numDec(a.neg, qr[1], 0);
}

/** Integer division truncating toward zero (for big integers). */
export function numIntDiv(a: NumV, b: NumV): NumV | null {
  if (!numIsInt(a) || !numIsInt(b) || b.coef == "0") return null;
  if (a.isInt && b.isInt) return numI64(a.i / b.i);
  if (intDigits(a) > MAX_DIV_DIGITS || intDigits(b) > MAX_DIV_DIGITS) return null;
  let qr = magDivmod(a.coef + zeros(a.exp), b.coef + zeros(b.exp));
  return numDec(a.neg != b.neg, qr[0], 0);
}

export function numAbs(a: NumV): NumV {
  if (!a.neg) return a;
  return numNeg(a);
}

// mode: 0 round half away from zero, 1 ceil, 2 floor
export function numRound(a: NumV, mode: i32): NumV {
  if (a.exp >= 0 || a.coef == "0") return a;
  let ip = a.coef.length + a.exp; // number of integer digits
  let intDigits = ip > 0 ? a.coef.substring(0, ip) : "0";
  let fracNonZero = true; // normalized coef has no trailing zeros, so fraction != 0
  let up = false;
  if (mode == 0) {
    let first = ip >= 0 ? a.coef.charCodeAt(ip) - 48 : 0;
    up = ip >= 0 && first >= 5;
  } else if (mode == 1) up = !a.neg && fracNonZero;
  else up = a.neg && fracNonZero;
  let mag = up ? magAdd(intDigits, "1") : intDigits;
  return numDec(a.neg, mag, 0);
}

export function numToF64(a: NumV): f64 {
  if (a.isInt) return <f64>a.i;
  let s = (a.neg ? "-" : "") + a.coef + "e" + a.exp.toString();
  return F64.parseFloat(s);
}

export function numFromF64(f: f64): NumV | null {
  if (!isFinite(f)) return null;
  if (f == Math.floor(f) && Math.abs(f) < 9e15) return numI64(<i64>f);
  let s = f.toString();
  let r = numParse(s.replace("e+", "e"));
  if (r === null) return null;
  r.text = null;
  return r;
}

/** i64 value if the number is an integer in range. */
export function numToI64(a: NumV, ok: StaticArray<bool>): i64 {
  if (a.isInt) { ok[0] = true; return a.i; }
  ok[0] = false;
  return 0;
}

export function numFormat(a: NumV): string {
  let t = a.text;
  if (t !== null) return t;
  if (a.isInt) return a.i.toString();
  let sign = a.neg ? "-" : "";
  let c = a.coef, e = a.exp;
  if (e >= 0) {
    if (c.length + e <= 400) return sign + c + zeros(e);
    return sign + sci(c, e);
  }
  let ip = c.length + e;
  if (ip > 0) return sign + c.substring(0, ip) + "." + c.substring(ip);
  if (ip > -20) return sign + "0." + zeros(-ip) + c;
  return sign + sci(c, e);
}

function sci(c: string, e: i32): string {
  let adj = c.length - 1 + e;
  let m = c.length > 1 ? c.substring(0, 1) + "." + c.substring(1) : c;
  return m + "e" + (adj >= 0 ? "+" : "") + adj.toString();
}
