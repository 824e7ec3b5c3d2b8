// Native builtins: strings (code points, trimming, replace, sprintf), template strings, print, trace.
// Type errors and other builtin errors return null, i.e. "undefined" (OPA's non-strict mode).
import {
  Value, StrV, ArrV, ObjV, SetV, BoolV, NULL, TRUE, FALSE, boolV,
  T_NULL, T_BOOL, T_NUM, T_STR, T_ARR, T_OBJ, T_SET,
  cmp, eq, objGet, objPut, objCopy, objRemove, setAdd, setHas, setFrom, typeName, cpCount,
} from "./value";
import { NumV, numI64 } from "./num";
import { termString } from "./json";
import { println } from "./env";
import { goSprintf } from "./sprintf";
import { num, s, isNum, isStr, items, arrOf, smallInt, okBuf } from "./builtins-common";

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
export const STRINGS_NAMES: string[] = [
  "concat",
  "contains",
  "startswith",
  "endswith",
  "lower",
  "upper",
  "split",
  "replace",
  "strings.replace_n",
  "substring",
  "indexof",
  "indexof_n",
  "trim",
  "trim_left",
  "trim_right",
  "trim_prefix",
  "trim_suffix",
  "trim_space",
  "strings.reverse",
  "strings.count",
  "strings.any_prefix_match",
  "strings.any_suffix_match",
  "sprintf",
  "internal.template_string",
  "internal.print",
  "print",
  "trace",
];

/** String builtins, `internal.template_string`, `print` (all of `a` is printed). `id` indexes STRINGS_NAMES; null = undefined (a builtin error). */
export function callStrings(id: i32, x: Value, y: Value, z: Value, a: Array<Value>): Value | null {
  switch (id) {
    case 0: { // concat
      if (!isStr(x)) return null;
      let it = items(y);
      if (it === null) return null;
      let parts = new Array<string>();
      for (let i = 0; i < it.length; i++) { if (!isStr(it[i])) return null; parts.push(s(it[i])); }
      return new StrV(parts.join(s(x)));
    }
    case 1: if (!isStr(x) || !isStr(y)) return null; return boolV(s(x).includes(s(y)));
    case 2: if (!isStr(x) || !isStr(y)) return null; return boolV(s(x).startsWith(s(y)));
    case 3: if (!isStr(x) || !isStr(y)) return null; return boolV(s(x).endsWith(s(y)));
    case 4: if (!isStr(x)) return null; return new StrV(s(x).toLowerCase());
    case 5: if (!isStr(x)) return null; return new StrV(s(x).toUpperCase());
    case 6: { // split
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
    case 7: { // replace
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
    case 8: { // strings.replace_n(patterns, string)
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
    case 9: { // substring(s, start, length)
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
    case 10: { // indexof
      if (!isStr(x) || !isStr(y) || s(y).length == 0) return null; // OPA: "empty search character"
      let idx = s(x).indexOf(s(y));
      if (idx < 0) return numI64(-1);
      return numI64(cpIndex(s(x), idx));
    }
    case 11: { // indexof_n
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
    case 12: if (!isStr(x) || !isStr(y)) return null; return new StrV(trimSet(s(x), s(y), true, true));
    case 13: if (!isStr(x) || !isStr(y)) return null; return new StrV(trimSet(s(x), s(y), true, false));
    case 14: if (!isStr(x) || !isStr(y)) return null; return new StrV(trimSet(s(x), s(y), false, true));
    case 15: { // trim_prefix
      if (!isStr(x) || !isStr(y)) return null;
      let str = s(x), p = s(y);
      return new StrV(str.startsWith(p) ? str.substring(p.length) : str);
    }
    case 16: { // trim_suffix
      if (!isStr(x) || !isStr(y)) return null;
      let str = s(x), p = s(y);
      return new StrV(p.length > 0 && str.endsWith(p) ? str.substring(0, str.length - p.length) : str);
    }
    case 17: if (!isStr(x)) return null; return new StrV(trimSpace(s(x)));
    case 18: { // strings.reverse
      if (!isStr(x)) return null;
      let cps = codepoints(s(x));
      cps.reverse();
      return new StrV(fromCodepoints(cps, 0, cps.length));
    }
    case 19: { // strings.count
      if (!isStr(x) || !isStr(y)) return null;
      let str = s(x), sub = s(y);
      if (sub.length == 0) return numI64(cpCount(str) + 1);
      let c = 0, from = 0;
      while (true) { let i = str.indexOf(sub, from); if (i < 0) break; c++; from = i + sub.length; }
      return numI64(c);
    }
    case 20: case 21: { // strings.any_prefix_match / any_suffix_match
      let xs = strList(x), ys = strList(y);
      if (xs === null || ys === null) return null;
      for (let i = 0; i < xs.length; i++) for (let j = 0; j < ys.length; j++) {
        if (id == 20 ? xs[i].startsWith(ys[j]) : xs[i].endsWith(ys[j])) return TRUE;
      }
      return FALSE;
    }
    case 22: { // sprintf
      if (!isStr(x) || y.kind != T_ARR) return null;
      return new StrV(goSprintf(s(x), changetype<ArrV>(y).items));
    }
    case 23: { // internal.template_string
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
    case 24: case 25: { // internal.print / print
      let it = items(x);
      let parts = new Array<string>();
      if (it !== null && id == 24) {
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
    case 26: return isStr(x) ? TRUE : null; // trace: notes only matter to topdown's explain mode
  }
  return null;
}
