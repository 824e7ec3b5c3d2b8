// Native builtins: json.marshal/unmarshal/is_valid, base64, base64url, hex.
// Type errors and other builtin errors return null, i.e. "undefined" (OPA's non-strict mode).
import {
  Value, StrV, ArrV, ObjV, SetV, BoolV, NULL, TRUE, FALSE, boolV,
  T_NULL, T_BOOL, T_NUM, T_STR, T_ARR, T_OBJ, T_SET,
  cmp, eq, objGet, objPut, objCopy, objRemove, setAdd, setHas, setFrom, typeName, cpCount,
} from "./value";
import { dumpJson, parseJsonString, decodeUtf8Lossy } from "./json";
import { num, s, isNum, isStr, items, arrOf, smallInt, okBuf } from "./builtins-common";

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

export const ENCODING_NAMES: string[] = [
  "json.marshal",
  "json.unmarshal",
  "json.is_valid",
  "base64.encode",
  "base64.decode",
  "base64.is_valid",
  "base64url.encode",
  "base64url.decode",
  "base64url.encode_no_pad",
  "hex.encode",
  "hex.decode",
];

/** JSON text and base64 / hex codecs. `id` indexes ENCODING_NAMES; null = undefined (a builtin error). */
export function callEncoding(id: i32, x: Value, y: Value, z: Value): Value | null {
  switch (id) {
    case 0: return new StrV(dumpJson(x)); // json.marshal
    case 1: { // json.unmarshal
      if (!isStr(x)) return null;
      return parseJsonString(s(x), false);
    }
    case 2: if (!isStr(x)) return FALSE; return boolV(parseJsonString(s(x), false) !== null);
    case 3: if (!isStr(x)) return null; return new StrV(b64enc(s(x), B64, true));
    case 4: { if (!isStr(x)) return null; let b = b64dec(s(x), false, false); return b === null ? null : new StrV(bytesToString(b)); }
    case 5: { if (!isStr(x)) return null; return boolV(b64dec(s(x), false, false) !== null); }
    case 6: if (!isStr(x)) return null; return new StrV(b64enc(s(x), B64URL, true));
    case 7: { if (!isStr(x)) return null; let b = b64dec(s(x), true, true); return b === null ? null : new StrV(bytesToString(b)); }
    case 8: if (!isStr(x)) return null; return new StrV(b64enc(s(x), B64URL, false));
    case 9: if (!isStr(x)) return null; return new StrV(hexEnc(s(x)));
    case 10: { // hex.decode
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
  }
  return null;
}
