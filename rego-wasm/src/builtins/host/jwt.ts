/** io.jwt.decode, io.jwt.verify_*, io.jwt.decode_verify (OPA's topdown/tokens.go) on node:crypto. */
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { decodeBase64Url, bytesToString } from './encoding';
import { BuiltinEvalError } from './errors';
import { JwtKeyError, keysFromCertOrJwk, verifyJws, type VerificationKey } from './jwt-keys';
import { isObject, obj, str } from './operands';
import { evaluationNowNs } from './time';
import type { HostBuiltin, JsonObject, JsonValue } from './types';

interface Token {
  header: string;
  payload: string;
  signature: string;
}

/** Nesting limit for `cty: JWT` tokens. */
const MAX_NESTING = 16;

function splitJwt(builtin: string, v: JsonValue | undefined): Token {
  const s = str(builtin, v, 1);
  if (!s.includes('.')) throw new BuiltinEvalError(builtin, 'encoded JWT had no period separators');
  const parts = s.split('.');
  if (parts.length !== 3) throw new BuiltinEvalError(builtin, `encoded JWT must have 3 sections, found ${parts.length}`);
  return { header: parts[0] ?? '', payload: parts[1] ?? '', signature: parts[2] ?? '' };
}

function b64(builtin: string, what: string, s: string): Buffer {
  const b = decodeBase64Url(s);
  if (!b) throw new BuiltinEvalError(builtin, `JWT ${what} had invalid encoding: illegal base64 data`);
  return b;
}

function jsonObject(builtin: string, text: string): JsonObject {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new BuiltinEvalError(builtin, `invalid JSON: ${String(e)}`);
  }
  if (!isObject(v as JsonValue)) throw new BuiltinEvalError(builtin, 'decoded JSON type was not an Object');
  return v as JsonObject;
}

function decodeHeader(builtin: string, t: Token): JsonObject {
  const h = jsonObject(builtin, bytesToString(b64(builtin, 'header', t.header)));
  if ('enc' in h) throw new BuiltinEvalError(builtin, 'JWT is a JWE object, which is not supported');
  return h;
}

const decode: HostBuiltin = (jwt) => {
  const name = 'io.jwt.decode';
  let current: JsonValue | undefined = jwt;
  for (let depth = 0; depth < MAX_NESTING; depth++) {
    const t = splitJwt(name, current);
    const header = decodeHeader(name, t);
    const payloadText = bytesToString(b64(name, 'payload', t.payload));
    if (header.cty === 'JWT') {
      current = payloadText.replace(/^["']+|["']+$/g, '');
      continue;
    }
    const payload = jsonObject(name, payloadText);
    const sig = b64(name, 'signature', t.signature).toString('hex');
    return [header, payload, sig];
  }
  throw new BuiltinEvalError(name, 'JWT nested too deeply');
};

/** The signing input and decoded signature of a token. */
function signed(builtin: string, t: Token): { data: Buffer; signature: Buffer } {
  return { data: Buffer.from(`${t.header}.${t.payload}`, 'utf8'), signature: b64(builtin, 'signature', t.signature) };
}

function keysOperand(builtin: string, v: JsonValue | undefined): VerificationKey[] {
  try {
    return keysFromCertOrJwk(str(builtin, v, 2));
  } catch (e) {
    if (e instanceof JwtKeyError) throw new BuiltinEvalError(builtin, e.message);
    throw e;
  }
}

/** io.jwt.verify_{RS,PS,ES}*, verify_eddsa: fixed algorithm, key from PEM/JWK(S). */
function verifyAsymmetric(builtin: string, alg: string): HostBuiltin {
  return (jwt, cert) => {
    const t = splitJwt(builtin, jwt);
    const keys = keysOperand(builtin, cert);
    const { data, signature } = signed(builtin, t);
    const header = decodeHeader(builtin, t);
    const kid = typeof header.kid === 'string' ? header.kid : '';
    const headerAlg = typeof header.alg === 'string' ? header.alg : '';
    if (kid !== '') {
      const byKid = keys.find((k) => k.kid === kid);
      if (byKid) return verifyJws(alg, byKid.key, data, signature);
    }
    return keys.some((k) => (k.alg === '' || k.alg === headerAlg) && verifyJws(alg, k.key, data, signature));
  };
}

const HMAC_HASH: Readonly<Record<string, string>> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

function verifyHmac(builtin: string, alg: string): HostBuiltin {
  return (jwt, secret) => {
    str(builtin, jwt, 1);
    const key = str(builtin, secret, 2);
    const t = splitJwt(builtin, jwt);
    const mac = createHmac(HMAC_HASH[alg] ?? 'sha256', Buffer.from(key, 'utf8')).update(`${t.header}.${t.payload}`, 'utf8').digest();
    const signature = b64(builtin, 'signature', t.signature);
    return mac.length === signature.length && timingSafeEqual(mac, signature);
  };
}

interface Constraints {
  keys?: VerificationKey[];
  secret: string;
  alg: string;
  iss: string;
  aud: string;
  /** Nanoseconds since the epoch. */
  time: number;
}

function parseConstraints(builtin: string, o: JsonObject): Constraints {
  const c: Constraints = { secret: '', alg: '', iss: '', aud: '', time: -1 };
  for (const [k, v] of Object.entries(o)) {
    switch (k) {
      case 'cert':
        if (typeof v !== 'string') throw new BuiltinEvalError(builtin, 'cert constraint: must be a string');
        c.keys = keysOperand(builtin, v);
        break;
      case 'secret':
      case 'alg':
      case 'iss':
      case 'aud':
        if (typeof v !== 'string') throw new BuiltinEvalError(builtin, `${k} constraint: must be a string`);
        c[k] = v;
        break;
      case 'time':
        if (typeof v !== 'number') throw new BuiltinEvalError(builtin, 'token time constraint: must be a number');
        if (v < 0) throw new BuiltinEvalError(builtin, 'token time constraint: must not be negative');
        c.time = v;
        break;
      default:
        throw new BuiltinEvalError(builtin, `unknown token validation constraint: ${k}`);
    }
  }
  if (c.time === -1) c.time = evaluationNowNs();
  const keyKinds = (c.keys ? 1 : 0) + (c.secret !== '' ? 1 : 0);
  if (keyKinds > 1) throw new BuiltinEvalError(builtin, 'duplicate key constraints');
  if (keyKinds < 1) throw new BuiltinEvalError(builtin, 'no key constraint');
  return c;
}

function signatureOk(c: Constraints, kid: string, alg: string, data: Buffer, signature: Buffer): boolean {
  if (c.keys) {
    if (kid !== '') {
      const byKid = c.keys.find((k) => k.kid === kid);
      if (byKid) return verifyJws(alg, byKid.key, data, signature);
    }
    return c.keys.some((k) => (k.alg === '' || k.alg === alg) && verifyJws(alg, k.key, data, signature));
  }
  return verifyJws(alg, createSecretKey(Buffer.from(c.secret, 'utf8')), data, signature);
}

function validHeader(h: JsonObject): { ok: boolean; alg: string; kid: string; cty: string } {
  const known = new Set(['alg', 'kid', 'typ', 'cty', 'crit']);
  for (const k of ['alg', 'kid', 'typ', 'cty']) {
    if (k in h && typeof h[k] !== 'string') throw new BuiltinEvalError('io.jwt.decode_verify', `${k}: must be a string`);
  }
  let crit: string[] = [];
  if ('crit' in h) {
    const v = h.crit;
    if (!Array.isArray(v)) throw new BuiltinEvalError('io.jwt.decode_verify', 'crit: must be a list');
    crit = v.filter((e): e is string => typeof e === 'string');
    if (crit.length === 0) throw new BuiltinEvalError('io.jwt.decode_verify', 'crit: must be a nonempty list');
  }
  const alg = typeof h.alg === 'string' ? h.alg : '';
  const unknownCritical = Object.keys(h).some((k) => !known.has(k) && crit.includes(k));
  return {
    ok: alg !== '' && !unknownCritical,
    alg,
    kid: typeof h.kid === 'string' ? h.kid : '',
    cty: typeof h.cty === 'string' ? h.cty : '',
  };
}

const UNVERIFIED: JsonValue = [false, {}, {}];

const decodeVerify: HostBuiltin = (jwt, constraints) => {
  const name = 'io.jwt.decode_verify';
  const c = parseConstraints(name, obj(name, constraints, 2));
  let current: JsonValue | undefined = jwt;
  let header: JsonObject = {};
  let payloadText = '';
  for (let depth = 0; ; depth++) {
    if (depth >= MAX_NESTING) throw new BuiltinEvalError(name, 'JWT nested too deeply');
    const t = splitJwt(name, current);
    header = decodeHeader(name, t);
    const h = validHeader(header);
    if (!h.ok) return UNVERIFIED;
    if (c.alg !== '' && c.alg !== h.alg) return UNVERIFIED;
    const { data, signature } = signed(name, t);
    if (!signatureOk(c, h.kid, h.alg, data, signature)) return UNVERIFIED;
    payloadText = bytesToString(b64(name, 'payload', t.payload));
    if (h.cty.toUpperCase() === 'JWT') {
      current = payloadText;
      continue;
    }
    break;
  }
  const payload = jsonObject(name, payloadText);
  if (c.iss !== '' && payload.iss !== c.iss) return UNVERIFIED;
  if ('aud' in payload) {
    const aud = payload.aud;
    const ok = typeof aud === 'string' ? aud === c.aud : Array.isArray(aud) && aud.some((a) => typeof a === 'string' && a === c.aud);
    if (!ok) return UNVERIFIED;
  } else if (c.aud !== '') return UNVERIFIED;
  const now = c.time / 1e9;
  if ('exp' in payload) {
    if (typeof payload.exp !== 'number') throw new BuiltinEvalError(name, 'exp value must be a number');
    if (now >= payload.exp) return UNVERIFIED;
  }
  if ('nbf' in payload) {
    if (typeof payload.nbf !== 'number') throw new BuiltinEvalError(name, 'nbf value must be a number');
    if (now < payload.nbf) return UNVERIFIED;
  }
  return [true, header, payload];
};

export const jwtBuiltins: Record<string, HostBuiltin> = {
  'io.jwt.decode': decode,
  'io.jwt.decode_verify': decodeVerify,
  'io.jwt.verify_hs256': verifyHmac('io.jwt.verify_hs256', 'HS256'),
  'io.jwt.verify_hs384': verifyHmac('io.jwt.verify_hs384', 'HS384'),
  'io.jwt.verify_hs512': verifyHmac('io.jwt.verify_hs512', 'HS512'),
  'io.jwt.verify_rs256': verifyAsymmetric('io.jwt.verify_rs256', 'RS256'),
  'io.jwt.verify_rs384': verifyAsymmetric('io.jwt.verify_rs384', 'RS384'),
  'io.jwt.verify_rs512': verifyAsymmetric('io.jwt.verify_rs512', 'RS512'),
  'io.jwt.verify_ps256': verifyAsymmetric('io.jwt.verify_ps256', 'PS256'),
  'io.jwt.verify_ps384': verifyAsymmetric('io.jwt.verify_ps384', 'PS384'),
  'io.jwt.verify_ps512': verifyAsymmetric('io.jwt.verify_ps512', 'PS512'),
  'io.jwt.verify_es256': verifyAsymmetric('io.jwt.verify_es256', 'ES256'),
  'io.jwt.verify_es384': verifyAsymmetric('io.jwt.verify_es384', 'ES384'),
  'io.jwt.verify_es512': verifyAsymmetric('io.jwt.verify_es512', 'ES512'),
  'io.jwt.verify_eddsa': verifyAsymmetric('io.jwt.verify_eddsa', 'EdDSA'),
};
