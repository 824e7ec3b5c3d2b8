/**
 * Hostile tokens for the rejection tests, made with node:crypto from the
 * stand-in's persisted dev key (the stack was started with LOCAL_KEYS_DIR in
 * a temp dir) or from keys the attacker owns. Good tokens always come from
 * the stand-in over HTTP.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function decodeHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function standInKey(keysDir: string): { jwk: crypto.JsonWebKey & { kid: string }; privateKey: crypto.KeyObject; publicKey: crypto.KeyObject } {
  const jwk = JSON.parse(fs.readFileSync(path.join(keysDir, 'okta-signing-key.json'), 'utf8')) as crypto.JsonWebKey & { kid: string };
  const privateKey = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  return { jwk, privateKey, publicKey: crypto.createPublicKey(privateKey) };
}

export function signRs256(header: Record<string, unknown>, payload: Record<string, unknown>, key: crypto.KeyObject): string {
  const input = `${b64({ alg: 'RS256', ...header })}.${b64(payload)}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

/** Re-sign a genuine token's claims with changes (wrong iss, aud ...) using the stand-in's real key. */
export function resignWith(keysDir: string, genuine: string, changes: Record<string, unknown>): string {
  const { jwk, privateKey } = standInKey(keysDir);
  return signRs256({ kid: jwk.kid }, { ...decodePayload(genuine), ...changes }, privateKey);
}

export function algNone(genuine: string): string {
  return `${b64({ alg: 'none', kid: decodeHeader(genuine).kid })}.${b64(decodePayload(genuine))}.`;
}

/** Key confusion: HS256 with the stand-in's PUBLIC key (PEM) as the HMAC secret. */
export function hs256WithPublicKey(keysDir: string, genuine: string): string {
  const { jwk, publicKey } = standInKey(keysDir);
  const secret = publicKey.export({ format: 'pem', type: 'spki' });
  const input = `${b64({ alg: 'HS256', kid: jwk.kid })}.${b64(decodePayload(genuine))}`;
  return `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** Signed by a key the issuer never published, under a kid it does not have. */
export function unknownKid(genuine: string): string {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return signRs256({ kid: 'attacker-key-1' }, decodePayload(genuine), privateKey);
}

/** The stand-in's kid but a different key (a forged signature). */
export function badSignature(keysDir: string, genuine: string): string {
  const { jwk } = standInKey(keysDir);
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return signRs256({ kid: jwk.kid }, decodePayload(genuine), privateKey);
}
