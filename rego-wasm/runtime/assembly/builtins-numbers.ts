// Native builtins: arithmetic, comparison, to_number, numbers.range, format_int, bits.*.
// Type errors and other builtin errors return null, i.e. "undefined" (OPA's non-strict mode).
import {
  Value, StrV, ArrV, ObjV, SetV, BoolV, NULL, TRUE, FALSE, boolV,
  T_NULL, T_BOOL, T_NUM, T_STR, T_ARR, T_OBJ, T_SET,
  cmp, eq, objGet, objPut, objCopy, objRemove, setAdd, setHas, setFrom, typeName, cpCount,
} from "./value";
import {
  NumV, numI64, numAdd, numSub, numMul, numDiv, numRem, numAbs, numRound, numParse, numCmp,
  numIsInt, numFormat, numDec, magDivmod,
} from "./num";
import { setDiff } from "./builtins-collections";
import { num, s, isNum, isStr, items, arrOf, smallInt, okBuf } from "./builtins-common";

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

export const NUMBERS_NAMES: string[] = [
  "plus",
  "minus",
  "mul",
  "div",
  "rem",
  "abs",
  "round",
  "ceil",
  "floor",
  "equal",
  "neq",
  "lt",
  "lte",
  "gt",
  "gte",
  "to_number",
  "numbers.range",
  "format_int",
  "bits.or",
  "bits.and",
  "bits.negate",
  "bits.xor",
  "bits.lsh",
  "bits.rsh",
];

/** Arithmetic (`-` also on sets), comparison and number builtins. `id` indexes NUMBERS_NAMES; null = undefined (a builtin error). */
export function callNumbers(id: i32, x: Value, y: Value, z: Value): Value | null {
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
    case 15: { // to_number
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
    case 16: { // numbers.range
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
    case 17: { // format_int
      if (!isNum(x)) return null;
      let b = smallInt(y, okBuf); if (!okBuf[0]) return null;
      if (b != 2 && b != 8 && b != 10 && b != 16) return null;
      let f = formatInt(num(x), <i32>b);
      return f === null ? null : new StrV(f);
    }
    case 18: case 19: case 21: case 22: case 23: { // bits.or/and/xor/lsh/rsh
      let p = smallInt(x, okBuf); if (!okBuf[0]) return null;
      let q = smallInt(y, okBuf); if (!okBuf[0]) return null;
      if (id == 18) return numI64(p | q);
      if (id == 19) return numI64(p & q);
      if (id == 21) return numI64(p ^ q);
      if (q < 0) return null;
      if (id == 22) {
        if (q < 62) { let r = p << q; if ((r >> q) == p) return numI64(r); }
        if (q > 4096) return null;
        // beyond int64: exact, as Go's big.Int
        let pow = numI64(1);
        for (let k: i64 = 0; k < q; k++) pow = numAdd(pow, pow);
        return numMul(num(x), pow);
      }
      return numI64(q >= 63 ? (p < 0 ? -1 : 0) : p >> q);
    }
    case 20: { let p = smallInt(x, okBuf); if (!okBuf[0]) return null; return numI64(~p); }
  }
  return null;
}
