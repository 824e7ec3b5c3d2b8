// sprintf with Go fmt semantics, with arguments converted as OPA does:
// integers → Go int / big.Int, other numbers → float64 (or their text when
// out of range), strings → string, everything else → its Rego term text.
import { Value, StrV, ArrV, T_NUM, T_STR } from "./value";
import { NumV, numFormat, numParse, numDec } from "./num";
import { termString } from "./json";

const A_INT = 0, A_FLOAT = 1, A_STR = 2;

class Arg {
  kind: i32 = A_STR;
  text: string = "";   // int digits (with sign) or string value
  f: f64 = 0;
}

function toArg(v: Value): Arg {
  let a = new Arg();
  if (v.kind == T_NUM) {
    let t = numFormat(changetype<NumV>(v));
    let isInt = t.length > 0;
    for (let i = 0; i < t.length; i++) {
      let c = t.charCodeAt(i);
      if (!((c >= 48 && c <= 57) || (c == 45 && i == 0))) { isInt = false; break; }
    }
    if (isInt) { a.kind = A_INT; a.text = t; return a; }
    let f = F64.parseFloat(t);
    if (isFinite(f)) { a.kind = A_FLOAT; a.f = f; return a; }
    a.kind = A_STR; a.text = t; return a;
  }
  a.kind = A_STR;
  a.text = v.kind == T_STR ? changetype<StrV>(v).s : termString(v);
  return a;
}

function goType(a: Arg): string {
  if (a.kind == A_INT) return a.text.length > 19 ? "*big.Int" : "int";
  if (a.kind == A_FLOAT) return "float64";
  return "string";
}

function bad(verb: i32, a: Arg): string {
  return "%!" + String.fromCharCode(verb) + "(" + goType(a) + "=" + plain(a) + ")";
}

function plain(a: Arg): string {
  if (a.kind == A_FLOAT) return fmtG(a.f, -1, false);
  return a.text;
}

// ---- float formatting -------------------------------------------------------------------
/** Shortest decimal digits and exponent of f (f != 0): value = 0.d1d2... × 10^dp */
function digitsOf(f: f64): NumV {
  let s = Math.abs(f).toString();
  let n = numParse(s.replace("e+", "e"));
  if (n === null) return numDec(false, "0", 0);
  return n;
}

/** Rounds a digit string (value 0.DIGITS × 10^dp) to `nd` digits, half up. Returns [digits, dp]. */
function roundDigits(d: string, dp: i32, nd: i32): string[] {
  if (nd >= d.length) return [d, dp.toString()];
  if (nd < 0) return ["", dp.toString()];
  let up = d.charCodeAt(nd) >= 53;
  let kept = d.substring(0, nd);
  if (up) {
    let arr = new Array<i32>();
    for (let i = 0; i < kept.length; i++) arr.push(kept.charCodeAt(i) - 48);
    let i = arr.length - 1;
    while (i >= 0) { arr[i]++; if (arr[i] < 10) break; arr[i] = 0; i--; }
    let out = "";
    if (i < 0) { out = "1"; dp++; }
    for (let k = 0; k < arr.length; k++) out += String.fromCharCode(48 + arr[k]);
    if (i < 0) out = out.substring(0, out.length > nd && nd > 0 ? nd : out.length);
    return [out, dp.toString()];
  }
  return [kept, dp.toString()];
}

function fmtF(f: f64, prec: i32): string {
  let neg = f < 0 || (f == 0 && 1 / f < 0);
  if (prec < 0) prec = 6;
  let body: string;
  if (f == 0) body = prec > 0 ? "0." + "0".repeat(prec) : "0";
  else {
    let n = digitsOf(f);
    let d = n.coef;
    let dp = d.length + n.exp; // decimal point position
    let r = roundDigits(d, dp, dp + prec);
    let digs = r[0];
    let ndp = I32.parseInt(r[1]);
    if (digs.length == 0) digs = "0";
    // integer part
    let ip = ndp > 0 ? (digs.length >= ndp ? digs.substring(0, ndp) : digs + "0".repeat(ndp - digs.length)) : "0";
    let frac = "";
    if (prec > 0) {
      let fd = ndp >= 0 ? (digs.length > ndp ? digs.substring(ndp) : "") : "0".repeat(-ndp) + digs;
      if (fd.length < prec) fd += "0".repeat(prec - fd.length);
      frac = "." + fd.substring(0, prec);
    }
    body = ip + frac;
  }
  return (neg ? "-" : "") + body;
}

function expStr(e: i32): string {
  let a = e < 0 ? -e : e;
  return (e < 0 ? "-" : "+") + (a < 10 ? "0" : "") + a.toString();
}

function fmtE(f: f64, prec: i32, upper: bool): string {
  let neg = f < 0;
  if (prec < 0) prec = 6;
  let mant: string, e: i32;
  if (f == 0) { mant = prec > 0 ? "0." + "0".repeat(prec) : "0"; e = 0; }
  else {
    let n = digitsOf(f);
    let d = n.coef;
    let dp = d.length + n.exp;
    let r = roundDigits(d, dp, prec + 1);
    let digs = r[0];
    dp = I32.parseInt(r[1]);
    if (digs.length < prec + 1) digs += "0".repeat(prec + 1 - digs.length);
    mant = digs.substring(0, 1) + (prec > 0 ? "." + digs.substring(1, prec + 1) : "");
    e = dp - 1;
  }
  return (neg ? "-" : "") + mant + (upper ? "E" : "e") + expStr(e);
}

/** %g / %v: shortest when prec < 0 (exponent form if exp < -4 || exp >= eprec). */
function fmtG(f: f64, prec: i32, upper: bool): string {
  if (f == 0) return "0";
  let neg = f < 0;
  let n = digitsOf(f);
  let d = n.coef;
  let dp = d.length + n.exp;
  let eprec = 6;
  if (prec >= 0) {
    if (prec == 0) prec = 1;
    let r = roundDigits(d, dp, prec);
    d = r[0]; dp = I32.parseInt(r[1]);
    eprec = prec;
    // trailing zeros removed
    let end = d.length;
    while (end > 1 && d.charCodeAt(end - 1) == 48) end--;
    d = d.substring(0, end);
  }
  let x = dp - 1;
  let out: string;
  if (x < -4 || x >= eprec) {
    out = d.substring(0, 1) + (d.length > 1 ? "." + d.substring(1) : "") + (upper ? "E" : "e") + expStr(x);
  } else if (dp <= 0) out = "0." + "0".repeat(-dp) + d;
  else if (dp >= d.length) out = d + "0".repeat(dp - d.length);
  else out = d.substring(0, dp) + "." + d.substring(dp);
  return (neg ? "-" : "") + out;
}

// ---- integers in other bases ------------------------------------------------------------
function intBase(digits: string, base: i32, upper: bool): string {
  let neg = digits.startsWith("-");
  let mag = neg ? digits.substring(1) : digits;
  if (mag == "0") return "0";
  const H = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  let out = new Array<i32>();
  // repeated division of a decimal digit string
  let cur = new Array<i32>();
  for (let i = 0; i < mag.length; i++) cur.push(mag.charCodeAt(i) - 48);
  while (cur.length > 0) {
    let rem = 0;
    let next = new Array<i32>();
    for (let i = 0; i < cur.length; i++) {
      let v = rem * 10 + cur[i];
      let q = v / base;
      rem = v % base;
      if (next.length > 0 || q > 0) next.push(q);
    }
    out.push(H.charCodeAt(rem));
    cur = next;
  }
  out.reverse();
  return (neg ? "-" : "") + String.fromCharCodes(out);
}

function hexBytes(s: string, upper: bool): string {
  let b = Uint8Array.wrap(String.UTF8.encode(s));
  const H = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  let out = new Array<i32>();
  for (let i = 0; i < b.length; i++) { out.push(H.charCodeAt(b[i] >> 4)); out.push(H.charCodeAt(b[i] & 15)); }
  return String.fromCharCodes(out);
}

function goQuote(s: string): string {
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c == 34) out += "\\\"";
    else if (c == 92) out += "\\\\";
    else if (c == 10) out += "\\n";
    else if (c == 13) out += "\\r";
    else if (c == 9) out += "\\t";
    else if (c < 0x20 || c == 0x7F) {
      const H = "0123456789abcdef";
      out += "\\x" + H.charAt(c >> 4) + H.charAt(c & 15);
    } else out += String.fromCharCode(c);
  }
  return out + "\"";
}

function pad(body: string, width: i32, minus: bool, zero: bool): string {
  // width counts runes
  let n = 0;
  for (let i = 0; i < body.length; i++) { let c = body.charCodeAt(i); if (c < 0xDC00 || c > 0xDFFF) n++; }
  if (width <= n) return body;
  let fill = width - n;
  if (minus) return body + " ".repeat(fill);
  if (zero) {
    let sign = "";
    if (body.startsWith("-") || body.startsWith("+") || body.startsWith(" ")) { sign = body.substring(0, 1); body = body.substring(1); }
    return sign + "0".repeat(fill) + body;
  }
  return " ".repeat(fill) + body;
}

function truncRunes(s: string, n: i32): string {
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0xDC00 || c > 0xDFFF) { if (count == n) return s.substring(0, i); count++; }
  }
  return s;
}

export function goSprintf(format: string, args: Array<Value>): string {
  let out = "";
  let argi = 0;
  let i = 0;
  let n = format.length;
  while (i < n) {
    let c = format.charCodeAt(i);
    if (c != 37) {
      let j = i;
      while (j < n && format.charCodeAt(j) != 37) j++;
      out += format.substring(i, j);
      i = j;
      continue;
    }
    i++;
    if (i >= n) { out += "%!(NOVERB)"; break; }
    let minus = false, plus = false, zero = false, space = false, sharp = false;
    while (i < n) {
      let f = format.charCodeAt(i);
      if (f == 45) minus = true; else if (f == 43) plus = true; else if (f == 48) zero = true;
      else if (f == 32) space = true; else if (f == 35) sharp = true; else break;
      i++;
    }
    let width = -1, prec = -1;
    while (i < n && format.charCodeAt(i) >= 48 && format.charCodeAt(i) <= 57) { width = (width < 0 ? 0 : width) * 10 + format.charCodeAt(i) - 48; i++; }
    if (i < n && format.charCodeAt(i) == 46) {
      i++; prec = 0;
      while (i < n && format.charCodeAt(i) >= 48 && format.charCodeAt(i) <= 57) { prec = prec * 10 + format.charCodeAt(i) - 48; i++; }
    }
    if (i >= n) { out += "%!(NOVERB)"; break; }
    let verb = format.charCodeAt(i);
    i++;
    if (verb == 37) { out += "%"; continue; }
    if (argi >= args.length) { out += "%!" + String.fromCharCode(verb) + "(MISSING)"; continue; }
    let a = toArg(args[argi++]);
    let body = "";
    let numeric = false;
    switch (verb) {
      case 118: // v
        if (a.kind == A_FLOAT) { body = fmtG(a.f, prec, false); numeric = true; }
        else if (a.kind == A_INT) { body = a.text; numeric = true; }
        else body = prec >= 0 ? truncRunes(a.text, prec) : a.text;
        break;
      case 115: // s
        if (a.kind == A_STR) body = prec >= 0 ? truncRunes(a.text, prec) : a.text;
        else if (a.kind == A_INT && a.text.length > 19) body = a.text;
        else body = bad(verb, a);
        break;
      case 100: // d
        if (a.kind == A_INT) { body = a.text; numeric = true; } else body = bad(verb, a);
        break;
      case 120: case 88: // x X
        if (a.kind == A_INT) { body = intBase(a.text, 16, verb == 88); if (sharp) body = (body.startsWith("-") ? "-0x" + body.substring(1) : "0x" + body); numeric = true; }
        else if (a.kind == A_STR) body = hexBytes(a.text, verb == 88);
        else body = bad(verb, a);
        break;
      case 111: // o
        if (a.kind == A_INT) { body = intBase(a.text, 8, false); numeric = true; } else body = bad(verb, a);
        break;
      case 98: // b
        if (a.kind == A_INT) { body = intBase(a.text, 2, false); numeric = true; } else body = bad(verb, a);
        break;
      case 102: case 70: // f F
        if (a.kind == A_FLOAT) { body = fmtF(a.f, prec); numeric = true; } else body = bad(verb, a);
        break;
      case 101: case 69: // e E
        if (a.kind == A_FLOAT) { body = fmtE(a.f, prec, verb == 69); numeric = true; } else body = bad(verb, a);
        break;
      case 103: case 71: // g G
        if (a.kind == A_FLOAT) { body = fmtG(a.f, prec, verb == 71); numeric = true; } else body = bad(verb, a);
        break;
      case 113: // q
        if (a.kind == A_STR) body = goQuote(a.text); else body = bad(verb, a);
        break;
      case 116: // t
        body = bad(verb, a);
        break;
      default:
        body = "%!" + String.fromCharCode(verb) + "(" + goType(a) + "=" + plain(a) + ")";
    }
    if (numeric && !body.startsWith("-")) { if (plus) body = "+" + body; else if (space) body = " " + body; }
    out += pad(body, width, minus, zero && numeric && !minus);
  }
  if (argi < args.length) {
    out += "%!(EXTRA ";
    for (let k = argi; k < args.length; k++) {
      let a = toArg(args[k]);
      if (k > argi) out += ", ";
      out += goType(a) + "=" + plain(a);
    }
    out += ")";
  }
  return out;
}
