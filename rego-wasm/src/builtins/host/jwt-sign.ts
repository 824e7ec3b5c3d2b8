/** io.jwt.encode_sign / io.jwt.encode_sign_raw: JWS compact serialization with a JWK (node:crypto). */
import { constants, createHmac, createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { BuiltinEvalError } from './errors';
import { goMarshal } from './json-marshal';
import { TOKEN_ALGORITHMS } from './jwt-keys';
import { isObject, str } from './operands';
import type { HostBuiltin, JsonValue } from './types';

type SigningKey = { kind: 'secret'; bytes: Buffer } | { kind: 'private'; key: KeyObject };

function firstJwk(builtin: string, text: string): SigningKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BuiltinEvalError(builtin, 'failed to parse JWK');
  }
  if (!isObject(parsed as JsonValue)) throw new BuiltinEvalError(builtin, 'failed to parse JWK');
  const rec = parsed as Record<string, unknown>;
  const jwk = Array.isArray(rec.keys) ? rec.keys[0] : rec;
  if (!isObject(jwk as JsonValue)) throw new BuiltinEvalError(builtin, 'no keys found in JWK set');
  const k = jwk as Record<string, unknown>;
  if (k.kty === 'oct') {
    if (typeof k.k !== 'string') throw new BuiltinEvalError(builtin, 'oct JWK without k');
    return { kind: 'secret', bytes: Buffer.from(k.k, 'base64url') };
  }
  try {
    return { kind: 'private', key: createPrivateKey({ key: k as import('node:crypto').JsonWebKey, format: 'jwk' }) };
  } catch (e) {
    throw new BuiltinEvalError(builtin, `failed to parse JWK: ${String(e)}`);
  }
}

const HASH: Readonly<Record<string, string>> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };
const HASH_LEN: Readonly<Record<string, number>> = { '256': 32, '384': 48, '512': 64 };

function signJws(builtin: string, alg: string, key: SigningKey, data: Buffer): Buffer {
  const bits = alg.slice(2);
  const hash = HASH[bits];
  if (alg === 'EdDSA') {
    if (key.kind !== 'private') throw new BuiltinEvalError(builtin, 'EdDSA needs an OKP private key');
    return cryptoSign(null, data, key.key);
  }
  if (!hash) throw new BuiltinEvalError(builtin, `unknown JWS algorithm: ${alg}`);
  if (alg.startsWith('HS')) {
    if (key.kind !== 'secret') throw new BuiltinEvalError(builtin, `${alg} needs an oct key`);
    return createHmac(hash, key.bytes).update(data).digest();
  }
  if (key.kind !== 'private') throw new BuiltinEvalError(builtin, `${alg} needs a private key`);
  if (alg.startsWith('RS')) return cryptoSign(hash, data, { key: key.key, padding: constants.RSA_PKCS1_PADDING });
  if (alg.startsWith('PS')) return cryptoSign(hash, data, { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_LEN[bits] });
  if (alg.startsWith('ES')) return cryptoSign(hash, data, { key: key.key, dsaEncoding: 'ieee-p1363' });
  throw new BuiltinEvalError(builtin, `unknown JWS algorithm: ${alg}`);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function encodeSign(builtin: string, headerText: string, payloadText: string, jwkText: string): string {
  const key = firstJwk(builtin, jwkText);
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch {
    throw new BuiltinEvalError(builtin, "missing or invalid 'alg' header: cannot parse JSON");
  }
  const h = isObject(header as JsonValue) ? (header as Record<string, unknown>) : {};
  if (typeof h.alg !== 'string') throw new BuiltinEvalError(builtin, "missing or invalid 'alg' header");
  if (!TOKEN_ALGORITHMS.has(h.alg)) throw new BuiltinEvalError(builtin, `unknown JWS algorithm: ${h.alg}`);
  if ((typeof h.typ !== 'string' || h.typ === 'JWT') && !isJson(payloadText)) {
    throw new BuiltinEvalError(builtin, 'type is JWT but payload is not JSON');
  }
  const input = `${Buffer.from(headerText, 'utf8').toString('base64url')}.${Buffer.from(payloadText, 'utf8').toString('base64url')}`;
  const signature = signJws(builtin, h.alg, key, Buffer.from(input, 'utf8'));
  return `${input}.${signature.toString('base64url')}`;
}

const encodeSignRaw: HostBuiltin = (headers, payload, key) => {
  const name = 'io.jwt.encode_sign_raw';
  return encodeSign(name, str(name, headers, 1), str(name, payload, 2), str(name, key, 3));
};

/** Objects are serialised like Go's json.Marshal (sorted keys); sets arrive as arrays already. */
const encodeSignObjects: HostBuiltin = (headers, payload, key) => {
  const name = 'io.jwt.encode_sign';
  if (headers === undefined || payload === undefined || key === undefined) return undefined;
  return encodeSign(name, goMarshal(headers, '', undefined), goMarshal(payload, '', undefined), goMarshal(key, '', undefined));
};

export const jwtSignBuiltins: Record<string, HostBuiltin> = {
  'io.jwt.encode_sign_raw': encodeSignRaw,
  'io.jwt.encode_sign': encodeSignObjects,
};
