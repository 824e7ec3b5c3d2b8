/** base64*, hex.* and urlquery.* builtins with Go's encoding/base64, encoding/hex and net/url semantics. */
import { BuiltinEvalError, OperandTypeError } from './errors';
import { isObject, str } from './operands';
import type { HostBuiltin } from './types';

const utf8 = new TextDecoder('utf-8');

/** Go's base64 (Std or URL) DecodeString: padded, strict alphabet, CR/LF ignored. */
export function decodeBase64Strict(s: string, url: boolean): Buffer | undefined {
  const t = s.replace(/[\r\n]/g, '');
  if (t.length % 4 !== 0) return undefined;
  const re = url ? /^[A-Za-z0-9_-]*={0,2}$/ : /^[A-Za-z0-9+/]*={0,2}$/;
  if (!re.test(t)) return undefined;
  return Buffer.from(t, url ? 'base64url' : 'base64');
}

/** OPA's base64url.decode: adds missing padding (RFC 7515 appendix C), then decodes strictly. */
export function decodeBase64Url(s: string): Buffer | undefined {
  let t = s;
  if (!t.endsWith('=')) {
    switch (t.length % 4) {
      case 0:
        break;
      case 2:
        t += '==';
        break;
      case 3:
        t += '=';
        break;
      default:
        return undefined;
    }
  }
  return decodeBase64Strict(t, true);
}

export function bytesToString(b: Uint8Array): string {
  return utf8.decode(b);
}

const base64Encode: HostBuiltin = (x) => Buffer.from(str('base64.encode', x, 1), 'utf8').toString('base64');

const base64Decode: HostBuiltin = (x) => {
  const b = decodeBase64Strict(str('base64.decode', x, 1), false);
  if (!b) throw new BuiltinEvalError('base64.decode', 'illegal base64 data');
  return bytesToString(b);
};

const base64IsValid: HostBuiltin = (x) => decodeBase64Strict(str('base64.is_valid', x, 1), false) !== undefined;

const base64UrlEncode: HostBuiltin = (x) => {
  const b64 = Buffer.from(str('base64url.encode', x, 1), 'utf8').toString('base64url');
  return b64 + '='.repeat((4 - (b64.length % 4)) % 4);
};

const base64UrlEncodeNoPad: HostBuiltin = (x) => Buffer.from(str('base64url.encode_no_pad', x, 1), 'utf8').toString('base64url');

const base64UrlDecode: HostBuiltin = (x) => {
  const b = decodeBase64Url(str('base64url.decode', x, 1));
  if (!b) throw new BuiltinEvalError('base64url.decode', 'illegal base64 data');
  return bytesToString(b);
};

const hexEncode: HostBuiltin = (x) => Buffer.from(str('hex.encode', x, 1), 'utf8').toString('hex');

const hexDecode: HostBuiltin = (x) => {
  const s = str('hex.decode', x, 1);
  const bad = /[^0-9a-fA-F]/u.exec(s);
  if (bad) {
    const cp = bad[0].codePointAt(0) ?? 0;
    throw new BuiltinEvalError('hex.decode', `encoding/hex: invalid byte: U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${bad[0]}'`);
  }
  if (s.length % 2) throw new BuiltinEvalError('hex.decode', 'encoding/hex: odd length hex string');
  return bytesToString(Buffer.from(s, 'hex'));
};

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Go's url.QueryUnescape; throws on a malformed escape. */
export function queryUnescape(builtin: string, s: string): string {
  const bytes: number[] = [];
  const enc = Buffer.from(s, 'utf8');
  for (let i = 0; i < enc.length; i++) {
    const c = enc[i] ?? 0;
    if (c === 0x25) {
      const h = enc.subarray(i + 1, i + 3).toString('latin1');
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new BuiltinEvalError(builtin, `invalid URL escape "%${h}"`);
      bytes.push(parseInt(h, 16));
      i += 2;
    } else bytes.push(c === 0x2b ? 0x20 : c);
  }
  return bytesToString(Uint8Array.from(bytes));
}

const urlEncode: HostBuiltin = (x) => queryEscape(str('urlquery.encode', x, 1));
const urlDecode: HostBuiltin = (x) => queryUnescape('urlquery.decode', str('urlquery.decode', x, 1));

/** Go's url.Values.Encode: keys sorted, values in order. */
const urlEncodeObject: HostBuiltin = (x) => {
  const name = 'urlquery.encode_object';
  if (!isObject(x)) throw new OperandTypeError(name, 1, x, 'object');
  const parts: string[] = [];
  for (const k of Object.keys(x).sort()) {
    const v = x[k];
    const values = typeof v === 'string' ? [v] : Array.isArray(v) ? v : undefined;
    if (!values) throw new BuiltinEvalError(name, 'only strings, arrays, and sets of strings are permitted');
    for (const e of values) {
      if (typeof e !== 'string') throw new BuiltinEvalError(name, 'only arrays of strings are permitted');
      parts.push(`${queryEscape(k)}=${queryEscape(e)}`);
    }
  }
  return parts.join('&');
};

/** Go's url.ParseQuery → {key: [values...]}. */
const urlDecodeObject: HostBuiltin = (x) => {
  const name = 'urlquery.decode_object';
  const s = str(name, x, 1);
  const out: Record<string, string[]> = {};
  for (const part of s.split('&')) {
    if (part === '') continue;
    if (part.includes(';')) throw new BuiltinEvalError(name, 'invalid semicolon separator in query');
    const eq = part.indexOf('=');
    const k = queryUnescape(name, eq < 0 ? part : part.slice(0, eq));
    const v = queryUnescape(name, eq < 0 ? '' : part.slice(eq + 1));
    (out[k] ??= []).push(v);
  }
  return out;
};

export const encodingBuiltins: Record<string, HostBuiltin> = {
  'base64.encode': base64Encode,
  'base64.decode': base64Decode,
  'base64.is_valid': base64IsValid,
  'base64url.encode': base64UrlEncode,
  'base64url.encode_no_pad': base64UrlEncodeNoPad,
  'base64url.decode': base64UrlDecode,
  'hex.encode': hexEncode,
  'hex.decode': hexDecode,
  'urlquery.encode': urlEncode,
  'urlquery.decode': urlDecode,
  'urlquery.encode_object': urlEncodeObject,
  'urlquery.decode_object': urlDecodeObject,
};
