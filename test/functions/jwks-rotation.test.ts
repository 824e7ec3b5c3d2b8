/**
 * Key rotation through the real token verifier and a real JWKS endpoint
 * (loopback HTTP, real clock, short interval): a stream of tokens with
 * made-up `kid`s can neither hammer the endpoint nor hold off the refresh
 * that a new signing key needs (aws-jwt-verify's penalty box could).
 */
import { InvalidTokenError, JwksUnavailableError } from '../../functions/shared/errors';
import { createTokenVerifier, type TokenVerifier } from '../../functions/shared/token-verifier';
import { accessClaims, ISSUER_PATH, rsaKey, signRs256, verifierOptions, type TestKey } from './support/jwt';
import { startJwksServer, type JwksServer } from './support/servers';

const INTERVAL_MS = 300;

let oldKey: TestKey;
let newKey: TestKey;
let attacker: TestKey;
let jwks: JwksServer;
let issuer: string;

beforeAll(async () => {
  oldKey = rsaKey('okta-2025');
  newKey = rsaKey('okta-2026');
  attacker = rsaKey('unused');
  jwks = await startJwksServer([oldKey.jwk]);
  issuer = `${jwks.url}${ISSUER_PATH}`;
});

afterAll(async () => {
  await jwks.close();
});

beforeEach(() => {
  jwks.mode = 'ok';
  jwks.keys = [oldKey.jwk];
});

async function verifier(): Promise<TokenVerifier> {
  const v = createTokenVerifier(verifierOptions(issuer, { jwksRefreshMinIntervalMs: INTERVAL_MS }));
  await v.hydrate();
  return v;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Tokens with random kids, `perTick` every 10 ms until stopped; resolves with how many were sent (all must be refused). */
function flood(v: TokenVerifier, perTick = 5): { stop(): Promise<number> } {
  let running = true;
  let sent = 0;
  const outcomes: Promise<void>[] = [];
  const loop = (async () => {
    while (running) {
      for (let i = 0; i < perTick; i++) {
        sent++;
        const forged = signRs256(attacker, accessClaims(issuer), { kid: `forged-${Math.random().toString(36).slice(2)}` });
        outcomes.push(
          v.verify(forged).then(
            () => {
              throw new Error('a forged token was accepted');
            },
            (e: unknown) => {
              if (!(e instanceof InvalidTokenError)) throw e;
            },
          ),
        );
      }
      await sleep(10);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await Promise.all(outcomes);
      return sent;
    },
  };
}

describe('key rotation under a stream of made-up kids', () => {
  it('a token signed with the new key is accepted on its first use, and the JWKS endpoint sees at most one fetch per interval', async () => {
    const v = await verifier();
    const fetchesBefore = jwks.fetches();
    const started = Date.now();
    const attack = flood(v);
    await sleep(4 * INTERVAL_MS); // the attack has been refreshing the keys for a while
    jwks.keys = [oldKey.jwk, newKey.jwk]; // Okta publishes the new key and signs with it
    const firstUse = Date.now();
    const verified = await v.verify(signRs256(newKey, accessClaims(issuer)));
    const waited = Date.now() - firstUse;
    await sleep(2 * INTERVAL_MS);
    const sent = await attack.stop();
    const fetches = jwks.fetches() - fetchesBefore;
    const elapsed = Date.now() - started;

    expect(verified.sub).toBe('alice@acme.example');
    // one interval to wait for the next fetch slot, plus the fetch itself (loopback)
    expect(waited).toBeLessThan(2 * INTERVAL_MS + 500);
    expect(sent).toBeGreaterThan(100);
    expect(fetches).toBeGreaterThan(0);
    expect(fetches).toBeLessThanOrEqual(Math.ceil(elapsed / INTERVAL_MS) + 1);
    // the old key keeps verifying next to the new one
    await expect(v.verify(signRs256(oldKey, accessClaims(issuer)))).resolves.toBeDefined();
  });

  it('JWKS unreachable during the rotation: the new key fails closed (503), the known key keeps verifying', async () => {
    const v = await verifier();
    await sleep(INTERVAL_MS);
    jwks.keys = [oldKey.jwk, newKey.jwk];
    jwks.mode = 'error';
    await expect(v.verify(signRs256(newKey, accessClaims(issuer)))).rejects.toBeInstanceOf(JwksUnavailableError);
    const before = jwks.fetches();
    for (let i = 0; i < 20; i++) await expect(v.verify(signRs256(oldKey, accessClaims(issuer)))).resolves.toBeDefined();
    // backing off: the unknown key is refused at once, without another fetch
    await expect(v.verify(signRs256(newKey, accessClaims(issuer)))).rejects.toBeInstanceOf(JwksUnavailableError);
    expect(jwks.fetches()).toBe(before);
    jwks.mode = 'ok';
    await sleep(INTERVAL_MS + 50);
    await expect(v.verify(signRs256(newKey, accessClaims(issuer)))).resolves.toBeDefined();
  });
});
