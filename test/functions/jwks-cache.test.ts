/**
 * The verifier's key cache (functions/shared/jwks-cache.ts) with a fake clock
 * and a counting fake fetcher: one fetch per interval whatever the `kid`s,
 * shared fetches, rotation found on first use, no negative cache, bounded
 * back-off that never blocks known keys, and the JWKS document rules.
 */
import { generateKeyPairSync } from 'node:crypto';
import { KidNotFoundInJwksError } from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import type { JwkWithKid } from 'aws-jwt-verify/jwk';
import { loadAuthorizerConfig } from '../../functions/shared/config';
import { ConfigError, JwksUnavailableError } from '../../functions/shared/errors';
import {
  DEFAULT_JWKS_REFRESH_MIN_INTERVAL_MS, MAX_JWKS_KEYS, RotationSafeJwksCache, parseJwksDocument, usableJwks, type JwksClock,
} from '../../functions/shared/jwks-cache';

const URI = 'https://acme.okta.example/oauth2/default/v1/keys';
const INTERVAL = 1000;
const MAX_AGE_S = 60;

type Jwk = { kty: string } & Record<string, string>;

function rsaJwk(kid: string, bits = 2048): Jwk {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { ...(publicKey.export({ format: 'jwk' }) as Jwk), kid, alg: 'RS256', use: 'sig' };
}

const K1 = rsaJwk('k1');
const K2 = rsaJwk('k2');
const K3 = rsaJwk('k3');

/** Let pending promise callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

class FakeClock implements JwksClock {
  t = 1_700_000_000_000;
  private sleepers: Array<{ at: number; wake: () => void }> = [];
  now = (): number => this.t;
  sleep = (ms: number): Promise<void> => new Promise((wake) => this.sleepers.push({ at: this.t + ms, wake }));
  /** Move time forward, waking every sleeper that is due. */
  async advance(ms: number): Promise<void> {
    this.t += ms;
    const due = this.sleepers.filter((s) => s.at <= this.t);
    this.sleepers = this.sleepers.filter((s) => s.at > this.t);
    for (const s of due) s.wake();
    await settle();
    await settle();
  }
}

/** Counts fetches and records when each started; answers with `keys`, fails, or waits for release(). */
class FakeFetcher implements Fetcher {
  keys: Jwk[] = [K1];
  body: string | undefined;
  mode: 'ok' | 'fail' | 'held' = 'ok';
  readonly startedAt: number[] = [];
  private held: Array<() => void> = [];
  constructor(private readonly clock: FakeClock) {}
  get calls(): number {
    return this.startedAt.length;
  }
  async fetch(): Promise<ArrayBuffer> {
    this.startedAt.push(this.clock.now());
    if (this.mode === 'fail') throw new JwksUnavailableError('JWKS endpoint answered 503');
    // The document is the one published when the fetch started.
    const body = this.body ?? JSON.stringify({ keys: this.keys });
    if (this.mode === 'held') await new Promise<void>((resolve) => this.held.push(resolve));
    return new TextEncoder().encode(body).buffer as ArrayBuffer;
  }
  release(): void {
    for (const r of this.held.splice(0)) r();
  }
}

function jwt(kid: unknown): { header: { alg: string; kid?: string }; payload: Record<string, never> } {
  return { header: { alg: 'RS256', ...(kid === undefined ? {} : { kid: kid as string }) }, payload: {} };
}

let clock: FakeClock;
let fetcher: FakeFetcher;
let cache: RotationSafeJwksCache;

function newCache(overrides: { maxBackoffMs?: number; algorithms?: string[] } = {}): RotationSafeJwksCache {
  return new RotationSafeJwksCache({
    fetcher,
    algorithms: overrides.algorithms ?? ['RS256'],
    maxAgeSeconds: MAX_AGE_S,
    refreshMinIntervalMs: INTERVAL,
    maxBackoffMs: overrides.maxBackoffMs ?? 8000,
    clock,
  });
}

beforeEach(async () => {
  clock = new FakeClock();
  fetcher = new FakeFetcher(clock);
  cache = newCache();
  await cache.getJwks(URI); // hydrate: fetch #1
  await clock.advance(INTERVAL); // the refresh slot is open again
});

/** Outcome of a promise once the clock and microtasks have moved on, without awaiting forever. */
function track<T>(p: Promise<T>): { readonly state: 'pending' | 'resolved' | 'rejected'; readonly value?: T; readonly error?: unknown } {
  const t: { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = { state: 'pending' };
  p.then(
    (value) => Object.assign(t, { state: 'resolved', value }),
    (error: unknown) => Object.assign(t, { state: 'rejected', error }),
  );
  return t;
}

const randomKid = (): string => `forged-${Math.random().toString(36).slice(2)}`;

describe('known keys', () => {
  it('a known kid is served from memory, without a fetch', async () => {
    for (let i = 0; i < 100; i++) expect((await cache.getJwk(URI, jwt('k1'))).kid).toBe('k1');
    expect(fetcher.calls).toBe(1);
  });

  it('a token whose alg is not configured is refused before any lookup, and never causes a fetch', async () => {
    for (const alg of ['HS256', 'none', 'RS512', 'ES256']) {
      await expect(cache.getJwk(URI, { header: { alg, kid: randomKid() }, payload: {} })).rejects.toThrow('is not allowed');
    }
    expect(fetcher.calls).toBe(1);
  });

  it('error messages (logged) never echo a hostile kid or alg', async () => {
    const hostile = `"}\n{"level":"error","forged":true${'x'.repeat(5000)}`;
    const byKid = await cache.getJwk(URI, jwt(hostile)).catch((e: unknown) => e);
    expect(byKid).toBeInstanceOf(KidNotFoundInJwksError);
    expect((byKid as Error).message).toBe('JWK for kid (not shown) not found in the JWKS');
    const byAlg = await cache.getJwk(URI, { header: { alg: hostile, kid: 'k1' }, payload: {} }).catch((e: unknown) => e);
    expect((byAlg as Error).message).toBe('algorithm (not shown) is not allowed');
    const plain = track(cache.getJwk(URI, jwt('k9')));
    await clock.advance(INTERVAL);
    expect((plain.error as Error).message).toBe('JWK for kid "k9" not found in the JWKS');
  });

  it('the kid must be a string', async () => {
    await expect(cache.getJwk(URI, jwt(undefined))).rejects.toThrow('kid');
    await expect(cache.getJwk(URI, jwt(42))).rejects.toThrow('kid');
    expect(fetcher.calls).toBe(1);
  });
});

describe('unknown kids: one fetch per interval for the whole container', () => {
  it('a fetch that brings the wanted kid serves it at once', async () => {
    fetcher.keys = [K1, K2]; // the IdP rotated in k2
    const jwk = await cache.getJwk(URI, jwt('k2'));
    expect(jwk.kid).toBe('k2');
    expect(fetcher.calls).toBe(2);
  });

  it('500 different unknown kids at once share ONE fetch and are all refused', async () => {
    const results = await Promise.allSettled(Array.from({ length: 500 }, () => cache.getJwk(URI, jwt(randomKid()))));
    expect(fetcher.calls).toBe(2);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(KidNotFoundInJwksError);
    }
  });

  it('a continuous stream of random kids causes at most one fetch per interval', async () => {
    const pending: Promise<unknown>[] = [];
    const start = clock.now();
    for (let step = 0; step < 300; step++) {
      // 20 forged kids every 50 ms, 15 s in all
      for (let i = 0; i < 20; i++) pending.push(cache.getJwk(URI, jwt(randomKid())).catch(() => undefined));
      await clock.advance(50);
    }
    await clock.advance(INTERVAL);
    await Promise.all(pending);
    const fetches = fetcher.startedAt.slice(1);
    expect(fetches.length).toBeGreaterThan(0);
    expect(fetches.length).toBeLessThanOrEqual(Math.ceil((clock.now() - start) / INTERVAL) + 1);
    for (let i = 1; i < fetches.length; i++) expect(fetches[i] - fetches[i - 1]).toBeGreaterThanOrEqual(INTERVAL);
  });

  it('while forged kids keep the refresh busy, a key published by a rotation is accepted on its first use within one interval', async () => {
    const flood: Promise<unknown>[] = [];
    const floodFor = async (ms: number): Promise<void> => {
      for (let t = 0; t < ms; t += 50) {
        for (let i = 0; i < 10; i++) flood.push(cache.getJwk(URI, jwt(randomKid())).catch(() => undefined));
        await clock.advance(50);
      }
    };
    await floodFor(3 * INTERVAL + 250); // the flood has just fetched (before the rotation) and keeps coming
    fetcher.keys = [K1, K2];
    const publishedAt = clock.now();
    const first = track(cache.getJwk(URI, jwt('k2')));
    await floodFor(INTERVAL + 100);
    expect(first.state).toBe('resolved');
    expect((first.value as JwkWithKid).kid).toBe('k2');
    // found by the first fetch after publication, which started within one interval
    const fetchAfter = fetcher.startedAt.find((t) => t >= publishedAt);
    expect(fetchAfter).toBeDefined();
    expect((fetchAfter as number) - publishedAt).toBeLessThanOrEqual(INTERVAL);
    await clock.advance(INTERVAL);
    await Promise.all(flood);
  });

  it('a request that arrives while an older fetch is under way also waits for the next fetch', async () => {
    fetcher.mode = 'held';
    const forged = track(cache.getJwk(URI, jwt(randomKid()))); // starts fetch #2 with the old document
    await clock.advance(10);
    expect(fetcher.calls).toBe(2);
    fetcher.keys = [K1, K2]; // published while #2 is in flight
    const genuine = track(cache.getJwk(URI, jwt('k2')));
    fetcher.release();
    await settle();
    expect(forged.state).toBe('rejected');
    expect(genuine.state).toBe('pending'); // #2 did not have k2: not refused, waiting for #3
    fetcher.mode = 'ok';
    await clock.advance(INTERVAL);
    expect(fetcher.calls).toBe(3);
    expect(genuine.state).toBe('resolved');
    expect((genuine.value as JwkWithKid).kid).toBe('k2');
  });

  it('no negative cache: a kid refused once is accepted as soon as a later fetch brings it', async () => {
    await expect(cache.getJwk(URI, jwt('k2'))).rejects.toBeInstanceOf(KidNotFoundInJwksError);
    expect(fetcher.calls).toBe(2);
    fetcher.keys = [K1, K2];
    await clock.advance(INTERVAL / 4);
    const again = track(cache.getJwk(URI, jwt('k2'))); // inside the interval: waits, is not refused
    await settle();
    expect(again.state).toBe('pending');
    expect(fetcher.calls).toBe(2);
    await clock.advance((INTERVAL * 3) / 4);
    expect(again.state).toBe('resolved');
    expect(fetcher.calls).toBe(3);
  });

  it('requests waiting inside the interval share the one scheduled fetch', async () => {
    await cache.getJwk(URI, jwt('nope')).catch(() => undefined); // fetch #2
    const waiting = Array.from({ length: 100 }, () => track(cache.getJwk(URI, jwt(randomKid()))));
    await clock.advance(INTERVAL - 1);
    expect(fetcher.calls).toBe(2);
    expect(waiting.every((w) => w.state === 'pending')).toBe(true);
    await clock.advance(1);
    expect(fetcher.calls).toBe(3);
    expect(waiting.every((w) => w.state === 'rejected' && w.error instanceof KidNotFoundInJwksError)).toBe(true);
  });
});

describe('max age', () => {
  it('a set older than the max age is refetched before use, once for all concurrent requests', async () => {
    await clock.advance(MAX_AGE_S * 1000 + 1);
    const all = await Promise.all(Array.from({ length: 50 }, () => cache.getJwk(URI, jwt('k1'))));
    expect(all.every((k) => k.kid === 'k1')).toBe(true);
    expect(fetcher.calls).toBe(2);
  });

  it('with the clock advancing, a known key is refetched exactly once the max age has passed, never per request', async () => {
    // beforeEach: fetched at t0, the clock is now t0 + INTERVAL.
    for (let i = 0; i < 10; i++) {
      expect((await cache.getJwk(URI, jwt('k1'))).kid).toBe('k1');
      await clock.advance((MAX_AGE_S * 1000 - INTERVAL) / 10);
    }
    // Now exactly MAX_AGE_S after the fetch: still fresh.
    expect((await cache.getJwk(URI, jwt('k1'))).kid).toBe('k1');
    expect(cache.getCachedJwk(URI, jwt('k1')).kid).toBe('k1');
    expect(fetcher.calls).toBe(1);
    await clock.advance(1);
    expect((await cache.getJwk(URI, jwt('k1'))).kid).toBe('k1');
    expect(fetcher.calls).toBe(2);
    expect((await cache.getJwk(URI, jwt('k1'))).kid).toBe('k1');
    expect(fetcher.calls).toBe(2);
  });

  it('a key removed from the JWKS is refused once the max age has passed', async () => {
    fetcher.keys = [K2];
    await clock.advance(MAX_AGE_S * 1000 - INTERVAL); // still fresh: the old key keeps working
    expect((await cache.getJwk(URI, jwt('k1'))).kid).toBe('k1');
    await clock.advance(INTERVAL + 1);
    await expect(cache.getJwk(URI, jwt('k1'))).rejects.toBeInstanceOf(KidNotFoundInJwksError);
    expect((await cache.getJwk(URI, jwt('k2'))).kid).toBe('k2');
  });

  it('a stale set whose refresh fails is not used (fail closed), and the sync lookup refuses it too', async () => {
    await clock.advance(MAX_AGE_S * 1000 + 1);
    fetcher.mode = 'fail';
    await expect(cache.getJwk(URI, jwt('k1'))).rejects.toBeInstanceOf(JwksUnavailableError);
    expect(() => cache.getCachedJwk(URI, jwt('k1'))).toThrow('max age');
  });
});

describe('fetch failures back off without blocking known keys', () => {
  it('known keys keep verifying; unknown kids fail closed at once; fetches are spaced 1, 2, 4, 8 (max) intervals', async () => {
    fetcher.mode = 'fail';
    const attempts = (): number[] => fetcher.startedAt.slice(1);
    for (let t = 0; t < 30_000; t += 100) {
      // known key: always served, never waits for the IdP
      expect((await cache.getJwk(URI, jwt('k1'))).kid).toBe('k1');
      const unknown = await cache.getJwk(URI, jwt(randomKid())).then(
        () => 'accepted',
        (e: unknown) => e,
      );
      expect(unknown).toBeInstanceOf(JwksUnavailableError);
      await clock.advance(100);
    }
    const gaps = attempts().slice(1).map((t, i) => t - attempts()[i]);
    expect(gaps.slice(0, 5)).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(Math.max(...gaps)).toBe(8000);

    fetcher.mode = 'ok';
    fetcher.keys = [K1, K2];
    await clock.advance(8000);
    expect((await cache.getJwk(URI, jwt('k2'))).kid).toBe('k2'); // recovered
    const before = fetcher.calls;
    const gone = track(cache.getJwk(URI, jwt('gone')));
    await clock.advance(INTERVAL);
    expect(gone.state).toBe('rejected');
    expect(fetcher.calls - before).toBe(1); // back to one interval after a success
  });

  it('a malformed document counts as a failed fetch: the previous keys stay until their max age', async () => {
    fetcher.body = '{"keys": "not an array"}';
    await expect(cache.getJwk(URI, jwt('k2'))).rejects.toBeInstanceOf(JwksUnavailableError);
    expect((await cache.getJwk(URI, jwt('k1'))).kid).toBe('k1');
    await clock.advance(MAX_AGE_S * 1000 + 1);
    await expect(cache.getJwk(URI, jwt('k1'))).rejects.toBeInstanceOf(JwksUnavailableError);
  });

  it('a fetch failure at cold start: requests fail closed, and the next slot retries', async () => {
    const cold = newCache();
    fetcher.mode = 'fail';
    await expect(cold.getJwks(URI)).rejects.toBeInstanceOf(JwksUnavailableError);
    await expect(cold.getJwk(URI, jwt('k1'))).rejects.toBeInstanceOf(JwksUnavailableError);
    fetcher.mode = 'ok';
    await clock.advance(INTERVAL);
    expect((await cold.getJwk(URI, jwt('k1'))).kid).toBe('k1');
  });
});

describe('JWKS documents', () => {
  const doc = (keys: unknown[]): unknown => ({ keys });

  it('keeps only usable signature keys for the configured algorithms, and only their public members', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as Jwk;
    const parsed = usableJwks(
      doc([
        { ...K1, x5c: ['MIIC...'], extra: 'ignored' },
        { ...K2, use: 'enc' }, // encryption key
        { ...K3, kid: 'rs512', alg: 'RS512' }, // an algorithm not configured
        { ...K3, kid: 'sign-only', key_ops: ['sign'] },
        { ...K3, kid: 'leaked', d: 'AQAB' }, // private half published
        { ...rsaJwk('short', 1024) }, // under 2048 bits
        { ...ec, kid: 'ec', alg: 'ES256' }, // EC while only RS256 is accepted
        { ...K3, kid: 'no-alg', alg: undefined }, // RSA key without alg: fits RS256
        { kty: 'RSA', n: K1.n, e: K1.e }, // no kid
      ]),
      ['RS256'],
    );
    expect([...parsed.keys.keys()].sort()).toEqual(['k1', 'no-alg']);
    expect(parsed.skipped).toBe(7);
    expect(parsed.keys.get('k1')).toEqual({ kty: 'RSA', kid: 'k1', alg: 'RS256', use: 'sig', n: K1.n, e: K1.e });
  });

  it('EC and OKP keys are kept when their algorithms are configured', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as Jwk;
    const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as Jwk;
    const parsed = usableJwks(doc([{ ...ec, kid: 'ec' }, { ...ed, kid: 'ed', alg: 'EdDSA' }, { ...ec, kid: 'ec384', crv: 'P-384' }]), ['ES256', 'EdDSA']);
    expect([...parsed.keys.keys()]).toEqual(['ec', 'ed']);
    expect(parsed.keys.get('ec')).toEqual({ kty: 'EC', kid: 'ec', crv: 'P-256', x: ec.x, y: ec.y });
  });

  it.each<[string, string]>([
    ['not JSON', '{"keys": ['],
    ['not an object', '[]'],
    ['no keys array', '{"keys": {}}'],
    ['a key that is not an object', JSON.stringify({ keys: [K1, 'k2'] })],
    ['two usable keys with one kid', JSON.stringify({ keys: [K1, { ...K2, kid: 'k1' }] })],
    ['no usable key', JSON.stringify({ keys: [{ ...K1, use: 'enc' }] })],
    ['too many keys', JSON.stringify({ keys: Array.from({ length: MAX_JWKS_KEYS + 1 }, (_, i) => ({ ...K1, kid: `k${i}` })) })],
  ])('rejects the whole document: %s', (_name, body) => {
    expect(() => parseJwksDocument(new TextEncoder().encode(body).buffer as ArrayBuffer, ['RS256'])).toThrow(JwksUnavailableError);
  });

  it('rejects bytes that are not UTF-8', () => {
    expect(() => parseJwksDocument(new Uint8Array([0x7b, 0xff, 0x7d]).buffer, ['RS256'])).toThrow(JwksUnavailableError);
  });

  it('a document of exactly MAX_JWKS_KEYS keys is accepted', () => {
    const keys = Array.from({ length: MAX_JWKS_KEYS }, (_, i) => ({ ...K1, kid: `k${i}` }));
    expect(usableJwks(doc(keys), ['RS256']).keys.size).toBe(MAX_JWKS_KEYS);
  });

  it('addJwks validates like a fetch', () => {
    expect(() => cache.addJwks(URI, { keys: [{ ...K2, use: 'enc' }] })).toThrow(JwksUnavailableError);
    cache.addJwks(URI, { keys: [K2] });
    expect(cache.getCachedJwk(URI, jwt('k2')).kid).toBe('k2');
  });
});

describe('JWKS_REFRESH_MIN_INTERVAL_MS', () => {
  const base = { OKTA_ISSUER: 'https://acme.okta.com/oauth2/default', OKTA_AUDIENCE: 'api://default' };
  it('defaults to a few seconds and is bounded', () => {
    expect(loadAuthorizerConfig(base, '/t').jwksRefreshMinIntervalMs).toBe(DEFAULT_JWKS_REFRESH_MIN_INTERVAL_MS);
    expect(DEFAULT_JWKS_REFRESH_MIN_INTERVAL_MS).toBe(2000);
    expect(loadAuthorizerConfig({ ...base, JWKS_REFRESH_MIN_INTERVAL_MS: '500' }, '/t').jwksRefreshMinIntervalMs).toBe(500);
    expect(() => loadAuthorizerConfig({ ...base, JWKS_REFRESH_MIN_INTERVAL_MS: '10' }, '/t')).toThrow(ConfigError);
    expect(() => loadAuthorizerConfig({ ...base, JWKS_REFRESH_MIN_INTERVAL_MS: 'soon' }, '/t')).toThrow(ConfigError);
  });
});
