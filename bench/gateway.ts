/**
 * Local gateway throughput: autocannon against the claims backend alone,
 * then through the local gateway (real authorizer + claims proxy + response
 * policy) with the authorizer cache on (one token: JWT + policy once per
 * TTL) and off (JWT verification + request policy on every request).
 *
 * `emulator_only` runs fixture handlers (allow + echo) to show what the
 * emulation itself costs, apart from the real handlers' work.
 *
 * Each stack runs in its own child process (`local/start.ts`, ephemeral
 * ports, logs off) so the load generator does not share an event loop with
 * the server. Loopback only, bounded: BENCH_GATEWAY_SECONDS (default 5) per
 * run, 10 connections.
 */
import * as path from 'node:path';
import { requestToken } from '../local/okta/token-client';
import { startStackProcess, type StackProcess } from '../local/stack-process';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

const PATH = '/v1/claims/enrollee/1001';

async function load(url: string, headers: Record<string, string>, seconds: number): Promise<AutocannonResult> {
  return autocannon({ url: `${url}${PATH}`, headers, connections: 10, duration: seconds, pipelining: 1 });
}

function figures(prefix: string, r: AutocannonResult): Record<string, number> {
  return {
    [`${prefix}_rps`]: Math.round(r.requests.average),
    [`${prefix}_p50_ms`]: r.latency.p50,
    [`${prefix}_p99_ms`]: r.latency.p99,
    [`${prefix}_failed`]: r.non2xx + r.errors + r.timeouts,
  };
}

async function withStack<T>(env: Record<string, string>, fn: (s: StackProcess) => Promise<T>): Promise<T> {
  const stack = await startStackProcess({ LOCAL_QUIET: '1', LOCAL_KEYS_DIR: 'memory', ...env });
  try {
    return await fn(stack);
  } finally {
    await stack.stop();
  }
}

export async function benchGateway(): Promise<Record<string, number>> {
  const seconds = Number(process.env.BENCH_GATEWAY_SECONDS ?? '5');
  const out: Record<string, number> = {};
  await withStack({ AUTHORIZER_CACHE_TTL: '300' }, async (s) => {
    const token = (await requestToken({ tokenEndpoint: s.tokenEndpoint, username: 'alice' })).accessToken;
    const auth = { authorization: `Bearer ${token}` };
    // Warm up both paths (cold start of the handlers, first JWKS fetch).
    await load(s.gateway, auth, 1);
    Object.assign(out, figures('backend_alone', await load(s.backend, {}, seconds)));
    Object.assign(out, figures('gateway_cached', await load(s.gateway, auth, seconds)));
  });
  await withStack({ AUTHORIZER_CACHE_TTL: '0' }, async (s) => {
    const token = (await requestToken({ tokenEndpoint: s.tokenEndpoint, username: 'alice' })).accessToken;
    const auth = { authorization: `Bearer ${token}` };
    await load(s.gateway, auth, 1);
    Object.assign(out, figures('gateway_uncached', await load(s.gateway, auth, seconds)));
  });
  // The emulator alone: fixture handlers that allow and echo (no JWT, no policy, no backend call).
  const fixtures = path.join(__dirname, '..', 'test', 'local', 'fixtures');
  await withStack({
    LOCAL_SKIP_POLICY_BUILD: '1',
    LOCAL_AUTHORIZER_MODULE: path.join(fixtures, 'allow-own-path-authorizer.ts'),
    LOCAL_CLAIMS_PROXY_MODULE: path.join(fixtures, 'echo-integration.ts'),
  }, async (s) => {
    const auth = { authorization: 'Bearer fixture' };
    await load(s.gateway, auth, 1);
    Object.assign(out, figures('emulator_only', await load(s.gateway, auth, seconds)));
  });
  out.gateway_cached_vs_backend_pct = Math.round((100 * (out.gateway_cached_rps ?? 0)) / Math.max(1, out.backend_alone_rps ?? 1));
  out.gateway_uncached_vs_backend_pct = Math.round((100 * (out.gateway_uncached_rps ?? 0)) / Math.max(1, out.backend_alone_rps ?? 1));
  return out;
}

if (require.main === module) {
  benchGateway().then(
    (f) => process.stdout.write(`${JSON.stringify(f, null, 2)}\n`),
    (e: unknown) => {
      process.stderr.write(`${String(e)}\n`);
      process.exit(1);
    },
  );
}
