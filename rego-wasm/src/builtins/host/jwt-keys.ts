/**
 * Verification keys for io.jwt.*: a PEM certificate or public key, a JWK, or
 * a JWK set (OPA's getKeysFromCertOrJWK), and JWS signature checks per
 * algorithm (jwsbb.Verify), all on node:crypto.
 */
import {
  constants,
  createHmac,
  createPublicKey,
  createSecretKey,
  timingSafeEqual,
  verify as cryptoVerify,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';

export class JwtKeyError extends Error {}

export interface VerificationKey {
  key: KeyObject;
  alg: string;
  kid: string;
}

export const TOKEN_ALGORITHMS: ReadonlySet<string> = new Set([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512', 'EdDSA',
]);

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?\r?\n-----END \1-----(?:\r?\n)?/;

const KEY_CACHE_SIZE = 32;
const keyCache = new Map<string, VerificationKey[]>();

/** Parse a PEM block or a JWK / JWK set into verification keys (parsed sets are cached, 32 entries). */
export function keysFromCertOrJwk(certificate: string): VerificationKey[] {
  const hit = keyCache.get(certificate);
  if (hit) return hit;
  const keys = parseKeys(certificate);
  if (keyCache.size >= KEY_CACHE_SIZE) {
    const first = keyCache.keys().next();
    if (!first.done) keyCache.delete(first.value);
  }
  keyCache.set(certificate, keys);
  return keys;
}

function parseKeys(certificate: string): VerificationKey[] {
  const pem = PEM_BLOCK.exec(certificate);
  if (pem) {
    const rest = certificate.slice((pem.index ?? 0) + pem[0].length);
    if (rest.length > 0) throw new JwtKeyError('extra data after a PEM certificate block');
    try {
      if (pem[1] === 'CERTIFICATE') return [{ key: new X509Certificate(pem[0]).publicKey, alg: '', kid: '' }];
      if (pem[1] === 'PUBLIC KEY') return [{ key: createPublicKey(pem[0]), alg: '', kid: '' }];
    } catch (e) {
      throw new JwtKeyError(`failed to parse a PEM ${pem[1] === 'CERTIFICATE' ? 'certificate' : 'public key'}: ${String(e)}`);
    }
    throw new JwtKeyError('failed to extract a Key from the PEM certificate');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(certificate);
  } catch {
    throw new JwtKeyError('failed to parse a JWK key (set)');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new JwtKeyError('failed to parse a JWK key (set)');
  const record = parsed as Record<string, unknown>;
  const list: unknown[] = Array.isArray(record.keys) ? record.keys : [record];
  const out: VerificationKey[] = [];
  for (const jwk of list) {
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new JwtKeyError('failed to parse a JWK key (set)');
    const k = jwk as Record<string, unknown>;
    const alg = typeof k.alg === 'string' ? k.alg : '';
    if (alg !== '' && !TOKEN_ALGORITHMS.has(alg)) continue;
    out.push({ key: jwkToKey(k), alg, kid: typeof k.kid === 'string' ? k.kid : '' });
  }
  return out;
}

function jwkToKey(k: Record<string, unknown>): KeyObject {
  try {
    if (k.kty === 'oct') {
      if (typeof k.k !== 'string') throw new JwtKeyError('oct key without k');
      return createSecretKey(Buffer.from(k.k, 'base64url'));
    }
    return createPublicKey({ key: k as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch (e) {
    if (e instanceof JwtKeyError) throw e;
    throw new JwtKeyError(`failed to parse a JWK key (set): ${String(e)}`);
  }
}

const HASH: Readonly<Record<string, string>> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

/** jwsbb.Verify: does `signature` sign `data` under `key` with JWS algorithm `alg`? Never throws. */
export function verifyJws(alg: string, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    const family = alg.slice(0, 2);
    const hash = HASH[alg.slice(2)];
    if (alg === 'EdDSA') return key.asymmetricKeyType === 'ed25519' && cryptoVerify(null, data, key, signature);
    if (!hash) return false;
    switch (family) {
      case 'HS': {
        if (key.type !== 'secret') return false;
        const mac = createHmac(hash, key).update(data).digest();
        return mac.length === signature.length && timingSafeEqual(mac, signature);
      }
      case 'RS':
        return key.asymmetricKeyType === 'rsa' && cryptoVerify(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'PS':
        return (
          (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') &&
          cryptoVerify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature)
        );
      case 'ES':
        return key.asymmetricKeyType === 'ec' && cryptoVerify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
      default:
        return false;
    }
  } catch {
    return false;
  }
}
