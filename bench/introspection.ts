/**
 * Token introspection (issue #16): what one authorizer request pays for
 * introspection, with and without a cache hit, measured in-process against
 * the Okta stand-in's introspection service (local/okta/introspection.ts) on
 * a loopback HTTP server in this same process:
 *
 * - miss, private_key_jwt: a fresh RFC 7523 client assertion (ES256 sign),
 *   one HTTP round trip, and the stand-in's work (assertion and token
 *   signature checks) — the stand-in's CPU is on the same thread, so this is
 *   an upper bound of the client's own cost; against Okta add the network
 *   round trip (typically tens of ms) and Okta's own time;
 * - miss, client_secret_basic: the same without the assertion;
 * - hit: the positive cache answering (no request).
 * Latencies in µs (p50 / p99 over the rounds), from the introspector's call
 * to its answer.
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createIntrospector, type ClientCredentials, type Introspector } from '../functions/shared/introspection';
import type { VerifiedToken } from '../functions/shared/token-verifier';
import { createIntrospectionService } from '../local/okta/introspection';
import type { PublicJwk } from '../local/okta/keys';

const ROUNDS = Number(process.env.BENCH_INTROSPECTION_ROUNDS ?? '2000');
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

function stats(samples: number[]): { p50: number; p99: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number): number => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
  return { p50: at(50), p99: at(99) };
}

async function time(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    out.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return out;
}

export async function benchIntrospection(): Promise<Record<string, number>> {
  const signing = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(signing.publicKey.export({ format: 'jwk' }) as Record<string, string>), kid: 'k1', alg: 'RS256', use: 'sig' } as unknown as PublicJwk;
  const client = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const secret = crypto.randomBytes(24).toString('base64url');
  let handle: ReturnType<typeof createIntrospectionService>['handle'] | undefined;
  const server = http.createServer((req, res) => void handle?.('introspect', req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/default`;
  handle = createIntrospectionService({
    issuer,
    publicJwks: () => [jwk],
    clients: () => [{ clientId: 'acme-api-gateway', clientSecret: secret, publicKey: client.publicKey }],
  }).handle;

  const token = (): { jwt: string; verified: VerifiedToken } => {
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: issuer, sub: 'alice@acme.example', cid: 'acme-dev-cli', jti: `AT.${crypto.randomUUID()}`, iat: now, exp: now + 3600, scp: ['claims:read'] };
    const input = `${b64({ alg: 'RS256', kid: 'k1' })}.${b64(payload)}`;
    const jwt = `${input}.${crypto.sign('sha256', Buffer.from(input), signing.privateKey).toString('base64url')}`;
    return { jwt, verified: { sub: payload.sub, payload, scopes: payload.scp } };
  };
  const make = (credentials: ClientCredentials, ttl: number): Introspector => createIntrospector({
    endpoint: new URL(`${issuer}/v1/introspect`),
    clientId: 'acme-api-gateway',
    clientAuth: credentials.kind === 'private_key' ? 'private_key_jwt' : 'client_secret_basic',
    credentials: () => Promise.resolve(credentials),
    timeoutMs: 5000,
    cacheMaxTtlSeconds: ttl,
    cacheMaxEntries: 10_000,
  });

  try {
    const keyJwt = make({ kind: 'private_key', key: client.privateKey, kid: undefined }, 0);
    const basic = make({ kind: 'secret', clientSecret: secret }, 0);
    const cached = make({ kind: 'secret', clientSecret: secret }, 300);
    const tokens = Array.from({ length: ROUNDS }, token);
    // Warm-up: connections, JIT.
    for (const t of tokens.slice(0, 100)) {
      await keyJwt.introspect(t.jwt, t.verified);
      await basic.introspect(t.jwt, t.verified);
    }
    const missKey = stats(await time(ROUNDS, (i) => keyJwt.introspect(tokens[i]!.jwt, tokens[i]!.verified)));
    const missBasic = stats(await time(ROUNDS, (i) => basic.introspect(tokens[i]!.jwt, tokens[i]!.verified)));
    const one = tokens[0]!;
    await cached.introspect(one.jwt, one.verified);
    const hit = stats(await time(ROUNDS * 10, () => cached.introspect(one.jwt, one.verified)));
    return {
      miss_private_key_jwt_p50_us: missKey.p50,
      miss_private_key_jwt_p99_us: missKey.p99,
      miss_client_secret_basic_p50_us: missBasic.p50,
      miss_client_secret_basic_p99_us: missBasic.p99,
      cache_hit_p50_us: hit.p50,
      cache_hit_p99_us: hit.p99,
      rounds: ROUNDS,
    };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}
