/**
 * Signing keys of the Okta stand-in: RS256 with a `kid` (Okta's shape).
 * Generated at first start and, when a directory is given, kept there as a
 * private JWK so tokens survive restarts (the default directory `local/.keys/`
 * is git-ignored by `local/.gitignore`; never commit it). No key is ever
 * committed to the repository.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface SigningJwk {
  readonly kty: 'RSA';
  readonly kid: string;
  readonly alg: 'RS256';
  readonly use: 'sig';
  readonly n: string;
  readonly e: string;
  readonly d: string;
  readonly p: string;
  readonly q: string;
  readonly dp: string;
  readonly dq: string;
  readonly qi: string;
}

export type PublicJwk = Pick<SigningJwk, 'kty' | 'kid' | 'alg' | 'use' | 'n' | 'e'>;

export const KEY_FILE = 'okta-signing-key.json';

/** RFC 7638 thumbprint, the kid Okta-style tooling expects to be stable per key. */
function thumbprint(n: string, e: string): string {
  const canonical = JSON.stringify({ e, kty: 'RSA', n });
  return crypto.createHash('sha256').update(canonical).digest('base64url');
}

export function generateSigningJwk(): SigningJwk {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as crypto.JsonWebKey;
  const field = (name: keyof crypto.JsonWebKey): string => {
    const v = jwk[name];
    if (typeof v !== 'string') throw new Error(`generated RSA key lacks ${String(name)}`);
    return v;
  };
  const n = field('n');
  const e = field('e');
  return {
    kty: 'RSA', kid: thumbprint(n, e), alg: 'RS256', use: 'sig',
    n, e, d: field('d'), p: field('p'), q: field('q'), dp: field('dp'), dq: field('dq'), qi: field('qi'),
  };
}

function isSigningJwk(value: unknown): value is SigningJwk {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.kty === 'RSA' && v.alg === 'RS256' && ['kid', 'n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'].every((k) => typeof v[k] === 'string');
}

/** Load the key from `dir` (creating it with mode 0600 when absent) or make an in-memory one. */
export function loadOrCreateSigningJwk(dir: string | undefined): SigningJwk {
  if (dir === undefined) return generateSigningJwk();
  const file = path.join(dir, KEY_FILE);
  if (fs.existsSync(file)) {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (isSigningJwk(parsed)) return parsed;
    throw new Error(`${file} is not an RS256 private JWK; delete it to generate a new key`);
  }
  const jwk = generateSigningJwk();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify(jwk), { mode: 0o600 });
  return jwk;
}

export function publicPart(jwk: SigningJwk): PublicJwk {
  return { kty: jwk.kty, kid: jwk.kid, alg: jwk.alg, use: jwk.use, n: jwk.n, e: jwk.e };
}
