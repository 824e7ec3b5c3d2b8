/**
 * The verifier's key cache: aws-jwt-verify's `JwksCache` interface,
 * implemented here instead of its SimpleJwksCache + SimplePenaltyBox, because
 * that pair lets a stream of made-up `kid`s keep the penalty box armed and so
 * hold off the refresh that a key rotation needs.
 *
 * Rules, per JWKS URI (the URIs come from the configuration, never from a
 * token):
 *
 * - A token whose `alg` is not configured is refused before any lookup: it
 *   can never cause a fetch.
 * - A known `kid` in a set younger than `maxAgeSeconds` is served from memory.
 * - A set older than that is refetched before use; if the refetch fails the
 *   old set is NOT used (fail closed).
 * - An unknown `kid` never fails on the spot: it joins the next fetch. Fetches
 *   start at most once per `refreshMinIntervalMs` for the whole container,
 *   however many different unknown `kid`s arrive; every request that needs a
 *   fetch shares the one in flight (or the one scheduled for the end of the
 *   interval). A request that arrived while a fetch was already under way
 *   also waits for the next one (that fetch may predate a key published just
 *   before the request), so a key published before a token's first use is
 *   found within about one interval. There is no negative cache of `kid`s: the
 *   interval is the only thing that remembers a miss.
 * - A failed fetch (network, status, size, malformed document) backs off:
 *   the next fetch waits `refreshMinIntervalMs × 2^(failures−1)`, at most
 *   `maxBackoffMs`. Meanwhile a request that needs a fetch fails at once with
 *   JwksUnavailableError (fail closed, 503) and a request whose key is known
 *   and fresh is served as usual.
 * - What is kept is bounded: a document with more than MAX_JWKS_KEYS entries
 *   is rejected, and of each usable key only the public members that
 *   verification reads are kept, each length-checked.
 *
 * Keys the configuration could never use are SKIPPED, not trusted and not
 * fatal: `use` other than `sig`, `key_ops` without `verify`, an `alg` (or a
 * key type/curve) outside the configured algorithms, RSA moduli under 2048 or
 * over 8192 bits, and keys that carry private members (a key whose private
 * half is published can sign anything). A skipped key can never verify a
 * token, so dropping it costs nothing; rejecting the whole document instead
 * would let one stray encryption key in the IdP's JWKS lock every user out.
 * The whole document IS rejected (like a failed fetch) when it is not a JSON
 * object with a `keys` array, has too many entries, an entry that is not an
 * object, two usable keys with the same `kid`, or no usable key at all.
 */
import { JwksNotAvailableInCacheError, JwtInvalidSignatureAlgorithmError, JwtWithoutValidKidError, KidNotFoundInJwksError } from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import type { Jwks, JwksCache, JwkWithKid } from 'aws-jwt-verify/jwk';
import { JwksUnavailableError } from './errors';

type DecomposedJwt = Parameters<JwksCache['getJwk']>[1];

/** Entries a JWKS document may have (Okta publishes two or three). */
export const MAX_JWKS_KEYS = 16;
/** Default for JWKS_REFRESH_MIN_INTERVAL_MS. */
export const DEFAULT_JWKS_REFRESH_MIN_INTERVAL_MS = 2000;
/** Longest pause after repeated fetch failures. */
export const DEFAULT_JWKS_MAX_BACKOFF_MS = 30_000;

const MAX_KID_LENGTH = 256;
/** Base64url length bounds of an RSA modulus of 2048 and 8192 bits. */
const MIN_RSA_N_CHARS = 342;
const MAX_RSA_N_CHARS = 1366;
const MAX_COORDINATE_CHARS = 128;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Which key type (and curve) each algorithm verifies with. */
const KEY_TYPE_OF: Readonly<Record<string, { kty: string; crv?: readonly string[] }>> = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: ['P-256'] },
  ES384: { kty: 'EC', crv: ['P-384'] },
  ES512: { kty: 'EC', crv: ['P-521'] },
  EdDSA: { kty: 'OKP', crv: ['Ed25519', 'Ed448'] },
};

/** Time, injectable for tests. */
export interface JwksClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: JwksClock = {
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RotationSafeJwksCacheOptions {
  readonly fetcher: Fetcher;
  /** The accepted JWT algorithms: keys for anything else are skipped. */
  readonly algorithms: readonly string[];
  readonly maxAgeSeconds: number;
  /** @default DEFAULT_JWKS_REFRESH_MIN_INTERVAL_MS */
  readonly refreshMinIntervalMs?: number;
  /** @default DEFAULT_JWKS_MAX_BACKOFF_MS */
  readonly maxBackoffMs?: number;
  /** @default systemClock */
  readonly clock?: JwksClock;
}

/** The usable keys of a JWKS document, and how many entries were skipped. */
export interface ParsedJwks {
  readonly keys: ReadonlyMap<string, JwkWithKid>;
  readonly skipped: number;
}

/** A header value for a log message: short and printable, or a placeholder (headers are attacker-controlled). */
function shown(v: unknown): string {
  return typeof v === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(v) ? `"${v}"` : '(not shown)';
}

function str(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max;
}

/** The verification-relevant public members of `entry`, or undefined when this configuration cannot use it. */
function usableKey(entry: Record<string, unknown>, algorithms: readonly string[]): JwkWithKid | undefined {
  const { kid, kty, alg, use, crv } = entry;
  if (!str(kid, MAX_KID_LENGTH) || typeof kty !== 'string') return undefined;
  if (use !== undefined && use !== 'sig') return undefined;
  const ops = entry.key_ops;
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) return undefined;
  if (PRIVATE_MEMBERS.some((m) => m in entry)) return undefined;
  if (alg !== undefined && (typeof alg !== 'string' || !algorithms.includes(alg))) return undefined;
  const candidates = typeof alg === 'string' ? [alg] : algorithms;
  const fits = candidates.some((a) => {
    const t = KEY_TYPE_OF[a];
    return t !== undefined && t.kty === kty && (t.crv === undefined || (typeof crv === 'string' && t.crv.includes(crv)));
  });
  if (!fits) return undefined;
  const base: JwkWithKid = { kty, kid, ...(typeof alg === 'string' ? { alg } : {}), ...(use === 'sig' ? { use } : {}) };
  if (kty === 'RSA') {
    const { n, e } = entry;
    if (!str(n, MAX_RSA_N_CHARS) || n.length < MIN_RSA_N_CHARS || !BASE64URL.test(n)) return undefined;
    if (!str(e, 8) || !BASE64URL.test(e)) return undefined;
    return { ...base, n, e };
  }
  const { x, y } = entry;
  if (!str(x, MAX_COORDINATE_CHARS) || !BASE64URL.test(x) || typeof crv !== 'string') return undefined;
  if (kty === 'OKP') return { ...base, crv, x };
  if (!str(y, MAX_COORDINATE_CHARS) || !BASE64URL.test(y)) return undefined;
  return { ...base, crv, x, y };
}

/**
 * Validate a JWKS document (already parsed JSON) and keep its usable keys.
 * @throws JwksUnavailableError when the document as a whole is unacceptable.
 */
export function usableJwks(doc: unknown, algorithms: readonly string[]): ParsedJwks {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new JwksUnavailableError('JWKS is not a JSON object');
  const entries = (doc as Record<string, unknown>).keys;
  if (!Array.isArray(entries)) throw new JwksUnavailableError('JWKS has no keys array');
  if (entries.length > MAX_JWKS_KEYS) throw new JwksUnavailableError(`JWKS has ${entries.length} keys (at most ${MAX_JWKS_KEYS} accepted)`);
  const keys = new Map<string, JwkWithKid>();
  let skipped = 0;
  for (const entry of entries as unknown[]) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new JwksUnavailableError('JWKS has a key that is not an object');
    const key = usableKey(entry as Record<string, unknown>, algorithms);
    if (key === undefined) {
      skipped++;
      continue;
    }
    if (keys.has(key.kid)) throw new JwksUnavailableError('JWKS has two usable keys with the same kid');
    keys.set(key.kid, key);
  }
  if (keys.size === 0) throw new JwksUnavailableError(`JWKS has no key usable for ${algorithms.join(', ')}`);
  return { keys, skipped };
}

/** Decode (strict UTF-8) and validate a fetched JWKS document. */
export function parseJwksDocument(body: ArrayBuffer, algorithms: readonly string[]): ParsedJwks {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new JwksUnavailableError('JWKS is not UTF-8 JSON');
  }
  return usableJwks(doc, algorithms);
}

interface UriState {
  keys: ReadonlyMap<string, JwkWithKid> | undefined;
  /** When the current set was fetched (ms). */
  fetchedAt: number;
  /** When the last fetch started (ms); the next may start one interval (or back-off) later. */
  lastAttemptAt: number;
  /** Failed fetches in a row. */
  failures: number;
  /** A fetch has started and not finished. */
  fetching: boolean;
  /** The fetch every waiting request shares: under way, or scheduled for the end of the interval. */
  next: Promise<void> | undefined;
}

export class RotationSafeJwksCache implements JwksCache {
  private readonly states = new Map<string, UriState>();
  private readonly fetcher: Fetcher;
  private readonly algorithms: readonly string[];
  private readonly maxAgeMs: number;
  private readonly intervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly clock: JwksClock;

  constructor(options: RotationSafeJwksCacheOptions) {
    this.fetcher = options.fetcher;
    this.algorithms = [...options.algorithms];
    this.maxAgeMs = options.maxAgeSeconds * 1000;
    this.intervalMs = options.refreshMinIntervalMs ?? DEFAULT_JWKS_REFRESH_MIN_INTERVAL_MS;
    this.maxBackoffMs = Math.max(this.intervalMs, options.maxBackoffMs ?? DEFAULT_JWKS_MAX_BACKOFF_MS);
    this.clock = options.clock ?? systemClock;
  }

  private state(jwksUri: string): UriState {
    let s = this.states.get(jwksUri);
    if (s === undefined) {
      s = { keys: undefined, fetchedAt: -Infinity, lastAttemptAt: -Infinity, failures: 0, fetching: false, next: undefined };
      this.states.set(jwksUri, s);
    }
    return s;
  }

  private isFresh(s: UriState): boolean {
    return s.keys !== undefined && this.clock.now() - s.fetchedAt <= this.maxAgeMs;
  }

  /** Earliest time the next fetch may start. */
  private nextSlot(s: UriState): number {
    const pause = s.failures === 0 ? this.intervalMs : Math.min(this.maxBackoffMs, this.intervalMs * 2 ** (s.failures - 1));
    return s.lastAttemptAt + pause;
  }

  /** Join the shared fetch, or start/schedule it. Rejects at once while backing off after a failure. */
  private refresh(jwksUri: string, s: UriState): Promise<void> {
    if (s.next !== undefined) return s.next;
    const wait = this.nextSlot(s) - this.clock.now();
    if (wait > 0 && s.failures > 0) {
      return Promise.reject(new JwksUnavailableError(`JWKS refresh backing off for ${wait} ms after ${s.failures} failed fetch(es)`));
    }
    const run = async (): Promise<void> => {
      if (wait > 0) await this.clock.sleep(wait);
      s.lastAttemptAt = this.clock.now();
      s.fetching = true;
      try {
        const parsed = parseJwksDocument(await this.fetcher.fetch(jwksUri), this.algorithms);
        s.keys = parsed.keys;
        s.fetchedAt = this.clock.now();
        s.failures = 0;
      } catch (error) {
        s.failures++;
        throw error instanceof JwksUnavailableError ? error : new JwksUnavailableError('JWKS fetch failed', { cause: error });
      } finally {
        s.fetching = false;
      }
    };
    const next = run().finally(() => {
      s.next = undefined;
    });
    s.next = next;
    return next;
  }

  getJwk(jwksUri: string, decomposedJwt: DecomposedJwt): Promise<JwkWithKid> {
    const kid = decomposedJwt.header.kid;
    if (typeof kid !== 'string') return Promise.reject(new JwtWithoutValidKidError('JWT header does not have valid kid claim'));
    // No key of this cache could verify it: refuse before any lookup, so such tokens never cause a fetch.
    const alg = decomposedJwt.header.alg;
    if (typeof alg !== 'string' || !this.algorithms.includes(alg)) {
      return Promise.reject(new JwtInvalidSignatureAlgorithmError(`algorithm ${shown(alg)} is not allowed`, shown(alg), this.algorithms));
    }
    const s = this.state(jwksUri);
    if (this.isFresh(s)) {
      const jwk = s.keys?.get(kid);
      // Known key: no promise chain beyond this one.
      if (jwk !== undefined) return Promise.resolve(jwk);
    }
    return this.fetchAndFind(jwksUri, s, kid);
  }

  private async fetchAndFind(jwksUri: string, s: UriState, kid: string): Promise<JwkWithKid> {
    // A fetch that started before this request arrived may predate the key's publication.
    const joinedLate = s.fetching && s.lastAttemptAt < this.clock.now();
    await this.refresh(jwksUri, s);
    let jwk = this.isFresh(s) ? s.keys?.get(kid) : undefined;
    if (jwk === undefined && joinedLate) {
      await this.refresh(jwksUri, s);
      jwk = this.isFresh(s) ? s.keys?.get(kid) : undefined;
    }
    if (jwk === undefined) throw new KidNotFoundInJwksError(`JWK for kid ${shown(kid)} not found in the JWKS`);
    return jwk;
  }

  getCachedJwk(jwksUri: string, decomposedJwt: DecomposedJwt): JwkWithKid {
    const kid = decomposedJwt.header.kid;
    if (typeof kid !== 'string') throw new JwtWithoutValidKidError('JWT header does not have valid kid claim');
    const s = this.state(jwksUri);
    if (!this.isFresh(s)) throw new JwksNotAvailableInCacheError(`JWKS for ${jwksUri} is not cached or older than its max age; use the async verify()`);
    const jwk = s.keys?.get(kid);
    if (jwk === undefined) throw new KidNotFoundInJwksError(`JWK for kid ${shown(kid)} not found in the JWKS`);
    return jwk;
  }

  /** Install a JWKS obtained elsewhere (validated like a fetched one). */
  addJwks(jwksUri: string, jwks: Jwks): void {
    const s = this.state(jwksUri);
    s.keys = usableJwks(jwks, this.algorithms).keys;
    s.fetchedAt = this.clock.now();
    s.failures = 0;
  }

  /** The usable keys, fetched when missing or older than the max age (hydrate). */
  async getJwks(jwksUri: string): Promise<Jwks> {
    const s = this.state(jwksUri);
    if (!this.isFresh(s)) await this.refresh(jwksUri, s);
    if (!this.isFresh(s)) throw new JwksUnavailableError('JWKS could not be refreshed');
    return { keys: [...(s.keys?.values() ?? [])] };
  }
}
