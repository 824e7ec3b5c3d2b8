import type { TokenVerifierOptions } from '../../../functions/shared/token-verifier';
/** Test keys and JWT signing with node:crypto only. */
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export interface TestKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Public JWK as Okta publishes it (alg RS256, use sig). */
  readonly jwk: Record<string, string>;
}

export function rsaKey(kid: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  return { kid, privateKey, publicKey, jwk: { ...jwk, kid, alg: 'RS256', use: 'sig' } };
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function signRs256(key: TestKey, payload: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const data = `${b64({ alg: 'RS256', kid: key.kid, ...header })}.${b64(payload)}`;
  return `${data}.${sign('RSA-SHA256', Buffer.from(data), key.privateKey).toString('base64url')}`;
}

/** The classic key-confusion attack: HS256 keyed with the RSA public key. */
export function signHs256WithPublicKey(key: TestKey, payload: Record<string, unknown>): string {
  const data = `${b64({ alg: 'HS256', kid: key.kid })}.${b64(payload)}`;
  const pem = key.publicKey.export({ format: 'pem', type: 'spki' });
  return `${data}.${createHmac('sha256', pem).update(data).digest('base64url')}`;
}

export function unsigned(key: TestKey, payload: Record<string, unknown>, signature = ''): string {
  return `${b64({ alg: 'none', kid: key.kid })}.${b64(payload)}.${signature}`;
}

export const ISSUER_PATH = '/oauth2/default';
export const AUDIENCE = 'api://default';
export const CLIENT_ID = '0oa-acme-portal';

/** An Okta-shaped access token payload for Acme member `id`. */
export function accessClaims(issuer: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    ver: 1,
    jti: `AT.${Math.random().toString(36).slice(2)}`,
    iss: issuer,
    aud: AUDIENCE,
    iat: now - 10,
    exp: now + 3600,
    cid: CLIENT_ID,
    uid: '00u1001alice',
    sub: 'alice@acme.example',
    scp: ['claims:read', 'claims:write'],
    enrolleeId: '1001',
    enrolleeType: 'primary',
    groups: ['Everyone'],
    dependants: ['1002', '1003', '1004'],
    ...overrides,
  };
}

/** Verifier options for a test issuer (RS256, 60 s skew), with the test's own overrides. */
export function verifierOptions(issuer: string, overrides: Partial<TokenVerifierOptions> = {}): TokenVerifierOptions {
  return {
    issuers: [issuer],
    audiences: [AUDIENCE],
    jwksUris: [`${issuer}/v1/keys`],
    algorithms: ['RS256'],
    clockSkewSeconds: 60,
    jwksMaxAgeSeconds: 900,
    jwksFetchTimeoutMs: 5000,
    ...overrides,
  };
}
