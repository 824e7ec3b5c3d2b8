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
import { LocalStackError } from '../errors';

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

export const KEY_RING_FILE = 'okta-signing-keys.json';
/** Published keys at most (Okta publishes two or three). */
export const MAX_RING_KEYS = 4;

export interface KeyRingStatus {
  /** The kid new tokens are signed with. */
  readonly active: string;
  /** Kids in the JWKS, oldest first. */
  readonly published: readonly string[];
}

/**
 * The stand-in's keys, for rotation the way Okta does it: a new key is
 * published (`add`), then signs (`activate`), and the old one is removed from
 * the JWKS once its tokens have expired (`retire`); `rotate` is `add` +
 * `activate` in one step (an emergency rotation). With a directory the ring
 * is kept there (mode 0600) and the active key is also written to KEY_FILE,
 * so tools that read the single key keep finding the signing key.
 */
export class KeyRing {
  private constructor(
    private keys: SigningJwk[],
    private activeKid: string,
    private readonly dir: string | undefined,
  ) {}

  static load(dir: string | undefined): KeyRing {
    if (dir !== undefined) {
      const file = path.join(dir, KEY_RING_FILE);
      if (fs.existsSync(file)) {
        const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { active?: unknown; keys?: unknown };
        const keys = Array.isArray(parsed.keys) ? parsed.keys : [];
        if (keys.length === 0 || keys.length > MAX_RING_KEYS || !keys.every(isSigningJwk) || !keys.some((k) => k.kid === parsed.active)) {
          throw new Error(`${file} is not a key ring of RS256 private JWKs; delete it to start from ${KEY_FILE}`);
        }
        return new KeyRing(keys, parsed.active as string, dir);
      }
    }
    const jwk = loadOrCreateSigningJwk(dir);
    return new KeyRing([jwk], jwk.kid, dir);
  }

  get active(): SigningJwk {
    const key = this.keys.find((k) => k.kid === this.activeKid);
    if (key === undefined) throw new Error('key ring lost its active key');
    return key;
  }

  /** The JWKS document: public parts only, the signing key first. */
  publicJwks(): { keys: PublicJwk[] } {
    return { keys: [this.active, ...this.keys.filter((k) => k.kid !== this.activeKid)].map(publicPart) };
  }

  status(): KeyRingStatus {
    return { active: this.activeKid, published: this.keys.map((k) => k.kid) };
  }

  /** Publish a new key (tokens are still signed with the active one). */
  add(): KeyRingStatus {
    if (this.keys.length >= MAX_RING_KEYS) throw new KeyRingError(`at most ${MAX_RING_KEYS} keys are published; retire old ones first`);
    this.keys.push(generateSigningJwk());
    this.persist();
    return this.status();
  }

  /** Sign with the newest published key. */
  activate(): KeyRingStatus {
    const newest = this.keys[this.keys.length - 1];
    if (newest === undefined || newest.kid === this.activeKid) throw new KeyRingError('no newer published key to activate; add one first');
    this.activeKid = newest.kid;
    this.persist();
    return this.status();
  }

  /** Remove every key but the active one from the JWKS (their private parts are discarded). */
  retire(): KeyRingStatus {
    if (this.keys.length === 1) throw new KeyRingError('only the active key is published; nothing to retire');
    this.keys = [this.active];
    this.persist();
    return this.status();
  }

  /** Emergency rotation: publish a new key and sign with it at once; the old one stays published until retire(). */
  rotate(): KeyRingStatus {
    this.add();
    return this.activate();
  }

  private persist(): void {
    if (this.dir === undefined) return;
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const write = (name: string, value: unknown): void => {
      const file = path.join(this.dir as string, name);
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(value), { mode: 0o600 });
      fs.renameSync(`${file}.tmp`, file);
    };
    write(KEY_RING_FILE, { active: this.activeKid, keys: this.keys });
    write(KEY_FILE, this.active);
  }
}

/** A rotation step that does not apply to the ring's current state. */
export class KeyRingError extends LocalStackError {}
