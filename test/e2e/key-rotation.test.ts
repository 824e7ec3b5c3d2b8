/**
 * Key rotation on the local stack, over real HTTP: the Okta stand-in rotates
 * its signing key (admin endpoint, as `npm run rotate-keys` does) while the
 * real authorizer serves the gateway. Authorizer cache off, so every request
 * reaches the authorizer; a short refresh interval and (for retirement) a
 * short JWKS max age.
 */
import * as crypto from 'node:crypto';
import { oktaJwksAvailable, oktaKeys, oktaStatus } from '../../local/okta/admin-client';
import { call, userToken } from './helpers/acme-client';
import { decodeHeader, decodePayload, signRs256 } from './helpers/forged-tokens';
import { startStackProcess, type StackProcess } from './helpers/stack-process';

const INTERVAL_MS = 500;
const SHORT_MAX_AGE_S = 2;
const PATH = '/v1/claims/enrollee/1001';

const attackerKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function stackEnv(maxAgeSeconds: number): Record<string, string> {
  return {
    LOCAL_QUIET: '1',
    AUTHORIZER_CACHE_TTL: '0',
    JWKS_REFRESH_MIN_INTERVAL_MS: String(INTERVAL_MS),
    JWKS_MAX_AGE_SECONDS: String(maxAgeSeconds),
    JWKS_FETCH_TIMEOUT_MS: '1000',
    LOG_LEVEL: 'silent',
  };
}

/** Genuine claims, a made-up kid, the attacker's key: what an attacker can send at no cost. */
function forged(genuine: string): string {
  return signRs256({ kid: `forged-${crypto.randomBytes(8).toString('hex')}` }, decodePayload(genuine), attackerKey);
}

interface Flood {
  /** Stops the stream; resolves with every status it got. */
  stop(): Promise<number[]>;
}

/** `clients` loops sending forged tokens back to back, at most `maxRequests` and `maxMs` in all. */
function flood(stack: StackProcess, genuine: string, clients = 16, maxRequests = 1500, maxMs = 15_000): Flood {
  const statuses: number[] = [];
  const until = Date.now() + maxMs;
  let running = true;
  let sent = 0;
  const loops = Array.from({ length: clients }, async () => {
    while (running && sent < maxRequests && Date.now() < until) {
      sent++;
      statuses.push((await call(stack, 'GET', PATH, forged(genuine))).status);
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return statuses;
    },
  };
}

/** JWKS fetches the stand-in saw at or after `since` (ms). */
async function fetchesSince(stack: StackProcess, since: number): Promise<number[]> {
  return (await oktaStatus(stack.okta)).jwksFetchTimes.filter((t) => t >= since);
}

describe('key rotation (refresh interval 500 ms, JWKS max age 900 s)', () => {
  let stack: StackProcess;
  beforeAll(async () => {
    stack = await startStackProcess(stackEnv(900));
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });
  afterEach(async () => {
    await oktaJwksAvailable(stack.okta, true);
    const { published } = await oktaStatus(stack.okta);
    if (published.length > 1) await oktaKeys(stack.okta, 'retire');
    await sleep(INTERVAL_MS);
  });

  test('a token signed with the new key is accepted on its first use', async () => {
    const before = await userToken(stack, 'alice');
    expect((await call(stack, 'GET', PATH, before)).status).toBe(200);

    const { active } = await oktaKeys(stack.okta, 'rotate');
    const after = await userToken(stack, 'alice');
    expect(decodeHeader(after).kid).toBe(active);
    const t0 = Date.now();
    const first = await call(stack, 'GET', PATH, after);
    expect(first.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(2 * INTERVAL_MS + 2000);
    // the old key is still published: its tokens keep working next to the new ones
    expect((await call(stack, 'GET', PATH, before)).status).toBe(200);
  });

  test('the same while another client streams tokens with random kids, and the stand-in sees at most one JWKS fetch per interval', async () => {
    const genuine = await userToken(stack, 'alice');
    expect((await call(stack, 'GET', PATH, genuine)).status).toBe(200);
    const started = Date.now();
    const attack = flood(stack, genuine);
    await sleep(4 * INTERVAL_MS); // the forged kids have been driving refreshes for a while

    const { active } = await oktaKeys(stack.okta, 'rotate');
    const fresh = await userToken(stack, 'bob');
    expect(decodeHeader(fresh).kid).toBe(active);
    const t0 = Date.now();
    const first = await call(stack, 'GET', '/v1/claims/enrollee/1002', fresh);
    const waited = Date.now() - t0;
    await sleep(2 * INTERVAL_MS);
    const statuses = await attack.stop();
    const window = Date.now() - started;
    const fetches = await fetchesSince(stack, started);

    expect(first.status).toBe(200);
    expect(waited).toBeLessThan(2 * INTERVAL_MS + 2000);
    expect(statuses.length).toBeGreaterThan(50);
    expect(statuses.every((s) => s === 401)).toBe(true);
    expect(fetches.length).toBeGreaterThan(1);
    expect(fetches.length).toBeLessThanOrEqual(Math.ceil(window / INTERVAL_MS) + 1);
    // spaced by the interval (arrival times at the stand-in, which shares its event loop with the busy gateway: some jitter)
    for (let i = 1; i < fetches.length; i++) expect((fetches[i] as number) - (fetches[i - 1] as number)).toBeGreaterThanOrEqual(INTERVAL_MS * 0.7);
  }, 60_000);

  test('JWKS unreachable during a rotation: the new key fails closed (503), known keys keep working, Okta is not hammered', async () => {
    const known = await userToken(stack, 'alice');
    expect((await call(stack, 'GET', PATH, known)).status).toBe(200);
    await oktaJwksAvailable(stack.okta, false);
    const { active } = await oktaKeys(stack.okta, 'rotate');
    const fresh = await userToken(stack, 'alice');
    expect(decodeHeader(fresh).kid).toBe(active);

    await sleep(INTERVAL_MS);
    const since = Date.now();
    const statuses: number[] = [];
    while (Date.now() - since < 1400) {
      statuses.push((await call(stack, 'GET', PATH, fresh)).status);
      expect((await call(stack, 'GET', PATH, known)).status).toBe(200);
      await sleep(50);
    }
    expect(statuses.length).toBeGreaterThanOrEqual(5);
    expect(statuses.every((s) => s === 503)).toBe(true);
    // 1.4 s of requests for an unknown key: fetches at 0 and 0.5 s, then back-off (1, 2, 4 ... intervals)
    expect((await fetchesSince(stack, since)).length).toBeLessThanOrEqual(3);

    await oktaJwksAvailable(stack.okta, true);
    let status = 0;
    for (const until = Date.now() + 10_000; Date.now() < until && status !== 200; await sleep(100)) {
      status = (await call(stack, 'GET', PATH, fresh)).status;
    }
    expect(status).toBe(200); // recovered after the back-off, without a restart
  }, 30_000);
});

describe('key retirement (JWKS max age 2 s)', () => {
  let stack: StackProcess;
  beforeAll(async () => {
    stack = await startStackProcess(stackEnv(SHORT_MAX_AGE_S));
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  test("after the old key is removed from the JWKS and the cache's max age passes, its tokens are refused", async () => {
    const old = await userToken(stack, 'alice');
    expect((await call(stack, 'GET', PATH, old)).status).toBe(200);
    await oktaKeys(stack.okta, 'rotate');
    const fresh = await userToken(stack, 'alice');
    expect((await call(stack, 'GET', PATH, fresh)).status).toBe(200);
    expect((await call(stack, 'GET', PATH, old)).status).toBe(200); // still published

    await oktaKeys(stack.okta, 'retire');
    await sleep(SHORT_MAX_AGE_S * 1000 + 500);
    const refused = await call(stack, 'GET', PATH, old);
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer /);
    expect((await call(stack, 'GET', PATH, fresh)).status).toBe(200);
  });
});
