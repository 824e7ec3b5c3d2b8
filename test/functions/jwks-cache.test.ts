/**
 * The verifier's key cache (functions/shared/jwks-cache.ts) with a fake clock
 * and a counting fake fetcher: one fetch per interval whatever the `kid`s,
 * shared fetches, rotation found on first use, no negative cache, bounded
 * back-off that never blocks known keys, and the JWKS document rules.
 */
import { generateKeyPairSync } from 'node:crypto';
import { JwtWithoutValidKidError, KidNotFoundInJwksError } from 'aws-jwt-verify/error';
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

  // The messages are logged (a JWKS outage is an error-level 503), so each names what is wrong.
  it.each<[string, string, string]>([
    ['not JSON', '{"keys": [', 'JWKS is not UTF-8 JSON'],
    ['an array', '[]', 'JWKS is not a JSON object'],
    ['null', 'null', 'JWKS is not a JSON object'],
    ['a string', '"keys"', 'JWKS is not a JSON object'],
    ['no keys array', '{"keys": {}}', 'JWKS has no keys array'],
    ['a key that is a string', JSON.stringify({ keys: [K1, 'k2'] }), 'JWKS has a key that is not an object'],
    ['a key that is null', JSON.stringify({ keys: [K1, null] }), 'JWKS has a key that is not an object'],
    ['a key that is an array', JSON.stringify({ keys: [K1, [K2]] }), 'JWKS has a key that is not an object'],
    ['two usable keys with one kid', JSON.stringify({ keys: [K1, { ...K2, kid: 'k1' }] }), 'JWKS has two usable keys with the same kid'],
    ['no usable key', JSON.stringify({ keys: [{ ...K1, use: 'enc' }] }), 'JWKS has no key usable for RS256'],
    ['too many keys', JSON.stringify({ keys: Array.from({ length: MAX_JWKS_KEYS + 1 }, (_, i) => ({ ...K1, kid: `k${i}` })) }), `JWKS has ${MAX_JWKS_KEYS + 1} keys (at most ${MAX_JWKS_KEYS} accepted)`],
  ])('rejects the whole document: %s', (_name, body, message) => {
    const parse = (): unknown => parseJwksDocument(new TextEncoder().encode(body).buffer as ArrayBuffer, ['RS256']);
    expect(parse).toThrow(JwksUnavailableError);
    expect(parse).toThrow(new JwksUnavailableError(message));
  });

  it('rejects bytes that are not UTF-8, even inside a string of an otherwise valid document', () => {
    expect(() => parseJwksDocument(new Uint8Array([0x7b, 0xff, 0x7d]).buffer, ['RS256'])).toThrow(JwksUnavailableError);
    const valid = new TextEncoder().encode(JSON.stringify({ keys: [K1], note: 'X' }));
    expect(parseJwksDocument(valid.buffer as ArrayBuffer, ['RS256']).keys.size).toBe(1);
    const bytes = Uint8Array.from(valid);
    bytes[bytes.lastIndexOf(0x58)] = 0xff; // the X becomes a byte that is not UTF-8
    expect(() => parseJwksDocument(bytes.buffer, ['RS256'])).toThrow(new JwksUnavailableError('JWKS is not UTF-8 JSON'));
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

describe('which JWKS entries are usable, rule by rule', () => {
  const doc = (keys: unknown[]): unknown => ({ keys });
  /** The kids kept from `keys` for `algorithms`; [] when the document has no usable key. */
  const kept = (keys: unknown[], algorithms: string[] = ['RS256']): string[] => {
    try {
      return [...usableJwks(doc(keys), algorithms).keys.keys()];
    } catch (error) {
      if (error instanceof JwksUnavailableError && error.message.startsWith('JWKS has no key usable')) return [];
      throw error;
    }
  };
  const ecKey = (namedCurve: string): Jwk => generateKeyPairSync('ec', { namedCurve }).publicKey.export({ format: 'jwk' }) as Jwk;
  const EC256 = ecKey('P-256');

  it.each(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'])('a key carrying the private member %s is skipped', (member) => {
    expect(kept([{ ...K1, [member]: 'AQAB' }, K2])).toEqual(['k2']);
  });

  it('each RSA and EC algorithm keeps the keys of its own type and curve only', () => {
    expect(kept([{ ...K1, alg: 'RS384' }], ['RS384'])).toEqual(['k1']);
    expect(kept([{ ...K1, alg: 'RS512' }], ['RS512'])).toEqual(['k1']);
    expect(kept([{ ...ecKey('P-384'), kid: 'p384' }], ['ES384'])).toEqual(['p384']);
    expect(kept([{ ...ecKey('P-521'), kid: 'p521' }], ['ES512'])).toEqual(['p521']);
    expect(kept([{ ...EC256, kid: 'p256' }], ['ES384', 'ES512'])).toEqual([]);
    expect(kept([{ ...EC256, kid: 'ec-no-alg' }, K1], ['RS256'])).toEqual(['k1']); // an EC key without alg is not an RS256 key
  });

  it('EdDSA keeps Ed25519 and Ed448 keys', () => {
    const ed448 = generateKeyPairSync('ed448').publicKey.export({ format: 'jwk' }) as Jwk;
    expect(kept([{ ...ed448, kid: 'ed448' }], ['EdDSA'])).toEqual(['ed448']);
  });

  it('an algorithm without a known key type keeps nothing (and does not crash)', () => {
    expect(() => usableJwks(doc([{ ...K1, alg: undefined }]), ['PS256'])).toThrow(new JwksUnavailableError('JWKS has no key usable for PS256'));
    expect(() => usableJwks(doc([{ ...K1, use: 'enc' }]), ['RS256', 'ES256'])).toThrow(new JwksUnavailableError('JWKS has no key usable for RS256, ES256'));
  });

  it('with several algorithms configured, a key is checked against its own alg, not any configured one', () => {
    expect(kept([{ ...K1, alg: 'ES256' }, K2], ['RS256', 'ES256'])).toEqual(['k2']);
  });

  it('key_ops must include verify when present', () => {
    expect(kept([{ ...K1, key_ops: ['verify'] }])).toEqual(['k1']);
    expect(kept([{ ...K1, key_ops: 'verify' }, K2])).toEqual(['k2']);
  });

  it('the kid is 1 to 256 characters', () => {
    expect(kept([{ ...K1, kid: '' }, K2])).toEqual(['k2']);
    expect(kept([{ ...K1, kid: 'k'.repeat(256) }])).toEqual(['k'.repeat(256)]);
    expect(kept([{ ...K1, kid: 'k'.repeat(257) }, K2])).toEqual(['k2']);
  });

  it('n, e, x and y must be base64url from end to end, and within their lengths', () => {
    expect(kept([{ ...K1, n: `+${K1.n}` }, K2])).toEqual(['k2']);
    expect(kept([{ ...K1, n: `${K1.n}=` }, K2])).toEqual(['k2']);
    expect(kept([{ ...K1, e: 'AQAB=' }, K2])).toEqual(['k2']);
    expect(kept([{ ...K1, e: 'AQABAQABA' }, K2])).toEqual(['k2']);
    const ec: Jwk = { ...EC256, kid: 'ec' };
    expect(kept([ec], ['ES256'])).toEqual(['ec']);
    for (const bad of [{ x: `${ec.x}=` }, { x: 'A'.repeat(129) }, { y: `${ec.y}=` }, { y: 'A'.repeat(129) }]) {
      expect(kept([{ ...ec, ...bad }], ['ES256'])).toEqual([]);
    }
  });

  it('a kept key has exactly the members it was published with (no alg or use added)', () => {
    const { alg: _alg, use: _use, ...bare } = K1;
    expect(usableJwks(doc([bare]), ['RS256']).keys.get('k1')).toStrictEqual({ kty: 'RSA', kid: 'k1', n: K1.n, e: K1.e });
  });
});

describe('the cache around a fetch', () => {
  it('getJwks returns the usable keys, and fetches only when the set is missing or stale', async () => {
    const keys = await cache.getJwks(URI);
    expect(keys.keys.map((k) => k.kid)).toEqual(['k1']);
    expect(fetcher.calls).toBe(1);
  });

  it('a cold cache fetches once for an unknown kid and refuses it (no second fetch)', async () => {
    const cold = newCache();
    const before = fetcher.calls;
    const refused = track(cold.getJwk(URI, jwt('nope')));
    await clock.advance(3 * INTERVAL);
    expect(refused.state).toBe('rejected');
    expect(refused.error).toBeInstanceOf(KidNotFoundInJwksError);
    expect(fetcher.calls - before).toBe(1);
  });

  it('a failed fetch at cold start backs off: the next request is refused at once, without a fetch, with the logged reason', async () => {
    const cold = newCache();
    fetcher.mode = 'fail';
    const before = fetcher.calls;
    await expect(cold.getJwk(URI, jwt('k1'))).rejects.toBeInstanceOf(JwksUnavailableError);
    await clock.advance(INTERVAL / 2);
    await expect(cold.getJwk(URI, jwt('k1'))).rejects.toThrow(new JwksUnavailableError(`JWKS refresh backing off for ${INTERVAL / 2} ms after 1 failed fetch(es)`));
    expect(fetcher.calls - before).toBe(1);
  });

  it('a fetcher failure that is not a JWKS error is one, with the logged message', async () => {
    const cold = new RotationSafeJwksCache({
      fetcher: { fetch: () => Promise.reject(new TypeError('socket')) },
      algorithms: ['RS256'],
      maxAgeSeconds: MAX_AGE_S,
      clock,
    });
    const error = await cold.getJwks(URI).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JwksUnavailableError);
    expect((error as Error).message).toBe('JWKS fetch failed');
  });

  it('a request that joined a fetch under way is served by it when it brings the key (no wait for the next)', async () => {
    fetcher.keys = [K1, K2];
    fetcher.mode = 'held';
    const first = track(cache.getJwk(URI, jwt('k2')));
    await clock.advance(10);
    const joined = track(cache.getJwk(URI, jwt('k2')));
    fetcher.release();
    await settle();
    expect(first.state).toBe('resolved');
    expect(joined.state).toBe('resolved');
    expect(fetcher.calls).toBe(2);
  });

  it('the sync lookup refuses a kid that is not a string, or unknown, without echoing a hostile kid', () => {
    expect(() => cache.getCachedJwk(URI, jwt(undefined))).toThrow(JwtWithoutValidKidError);
    expect(() => cache.getCachedJwk(URI, jwt('k9'))).toThrow(KidNotFoundInJwksError);
    expect(() => cache.getCachedJwk(URI, jwt('k9\n{"forged":1}'))).toThrow('JWK for kid (not shown) not found in the JWKS');
  });

  it('a logged alg or kid is shown only when it is a short plain string', async () => {
    const byAlg = await cache.getJwk(URI, { header: { alg: 42 as unknown as string, kid: 'k1' }, payload: {} }).catch((e: unknown) => e);
    expect((byAlg as Error).message).toBe('algorithm (not shown) is not allowed');
    const byKid = track(cache.getJwk(URI, jwt('k9\n')));
    await clock.advance(INTERVAL);
    expect((byKid.error as Error).message).toBe('JWK for kid (not shown) not found in the JWKS');
  });

  it('without a clock option the system clock and timer are used', async () => {
    const real = new FakeFetcher(clock);
    const sys = new RotationSafeJwksCache({ fetcher: real, algorithms: ['RS256'], maxAgeSeconds: MAX_AGE_S, refreshMinIntervalMs: 20 });
    await sys.getJwks(URI);
    const started = Date.now();
    await expect(sys.getJwk(URI, jwt('nope'))).rejects.toBeInstanceOf(KidNotFoundInJwksError); // waits ~20 ms on setTimeout
    expect(real.calls).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });
});
