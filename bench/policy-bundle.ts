/**
 * Policy bundles served remotely (issue #11): what a request costs when the
 * policy comes from a bundle service and is fresh, next to the packaged
 * policy, and what one poll costs.
 *
 * - the same authorizer (verification replaced by its result, the real ACME
 *   policies, decision log with masking to a null sink) in alternating rounds
 *   with the packaged policy and with a policy store polling a local bundle
 *   service (fresh: next check an hour away): p50/p99 per request;
 * - network I/O during the remote-fresh rounds: sockets opened in this
 *   process (net.Socket connect calls), fetch calls of the bundle source, and
 *   requests the bundle service received (all expected 0);
 * - one poll: a 304 (If-None-Match matches) and a 200 (download of the
 *   signed bundle, signature verification, parse, wasm instantiate).
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, readBundle, writeBundle } from 'rego-wasm';
import { createAuthorizer } from '../functions/authorizer/authorizer';
import { createHttpBundleSource } from '../functions/shared/bundle-source';
import { createDecisionLog } from '../functions/shared/decision-log';
import { createLogger } from '../functions/shared/logger';
import { loadBundleEngine, loadPolicyEngine, type PolicyEngine } from '../functions/shared/policy-engine';
import { createPolicyStore, type PolicySource } from '../functions/shared/policy-store';

const ROOT = join(__dirname, '..');
const ROUNDS = 6;
const PER_ROUND = Number(process.env.BENCH_BUNDLE_REQUESTS ?? '2000');
const ENTRY = 'acme/authz/decision';

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

export async function benchPolicyBundle(): Promise<Record<string, number>> {
  const tmp = mkdtempSync(join(tmpdir(), 'bench-policy-bundle-'));
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const built = build({ paths: [join(ROOT, 'policies')], revision: 'bench-1' });
  const wasmPath = join(tmp, 'policy.wasm');
  writeFileSync(wasmPath, built.bytes);
  const signedBundle = Buffer.from(writeBundle(readBundle(built.bundle), { signing: { key: keys.privateKey } }));
  const verification = { publicKey: keys.publicKey, keyId: undefined, scope: undefined };
  const load = (bytes: Buffer): Promise<PolicyEngine> => loadBundleEngine(bytes, { verification, requiredEntrypoints: [ENTRY], maxBytes: 64 << 20 });

  let served = 0;
  let connections = 0;
  const server = http.createServer((req, res) => {
    served += 1;
    // One connection per poll, as after a Lambda thaw (a kept-alive socket would have gone stale).
    res.setHeader('connection', 'close');
    if (req.headers['if-none-match'] === '"bench-1"') return void res.writeHead(304).end();
    res.writeHead(200, { etag: '"bench-1"', 'content-type': 'application/gzip' }).end(signedBundle);
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/bundles/acme.tar.gz`);

  let fetchCalls = 0;
  const countingFetch: typeof fetch = (input, init) => {
    fetchCalls += 1;
    return fetch(input, init);
  };
  const silent = createLogger('silent', 'bench');
  const source = createHttpBundleSource(url, { timeoutMs: 5000, maxBytes: 8 << 20 }, countingFetch);
  const store = createPolicyStore({ name: 'authz', source, packaged: undefined, fallbackToPackaged: false, load, minDelaySeconds: 3600, maxDelaySeconds: 3600, logger: silent });
  await store.idle();

  const event = JSON.parse(readFileSync(join(ROOT, 'test', 'events', 'authorizer-get-own-record.json'), 'utf8').replaceAll('__ACCESS_TOKEN__', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl')) as unknown;
  const token = { sub: 'alice@acme.example', payload: { sub: 'alice@acme.example', uid: '00u1001alice', cid: '0oa-bench', enrolleeId: '1001', enrolleeType: 'primary', scp: ['claims:read'], dependants: [] }, scopes: ['claims:read'] };
  const authorizer = (engine: PolicySource) =>
    createAuthorizer({
      config: { apiKeyHeader: 'x-api-key', maxTokenBytes: 8192, requestEntrypoint: ENTRY, apiProduct: undefined },
      verifier: { hydrate: async () => undefined, verify: async () => token },
      engine,
      logger: silent,
      decisions: createDecisionLog(() => undefined),
    });
  const packaged = authorizer(loadPolicyEngine({ wasmPath, dataPath: join(ROOT, 'policies', 'data.json'), dataOptional: false }));
  const remote = authorizer(store);
  const run = async (handler: ReturnType<typeof authorizer>, n: number, out?: number[]): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      const r = await handler(event as Parameters<typeof handler>[0]);
      if (out) out.push(Number(process.hrtime.bigint() - t0) / 1000);
      if (r.policyDocument.Statement[0]?.Effect !== 'Allow') throw new Error(`bench request was not allowed: ${String(r.context?.reason)}`);
    }
  };
  await run(packaged, 1000);
  await run(remote, 1000);

  // Sockets opened anywhere in this process while the remote-fresh rounds run.
  let sockets = 0;
  const connect = net.Socket.prototype.connect;
  const times = { packaged: [] as number[], remote: [] as number[] };
  const before = { fetchCalls, served, connections };
  try {
    for (let r = 0; r < ROUNDS; r++) {
      await run(packaged, PER_ROUND, times.packaged);
      net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
        sockets += 1;
        return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
      } as typeof connect;
      await run(remote, PER_ROUND, times.remote);
      net.Socket.prototype.connect = connect;
    }
  } finally {
    net.Socket.prototype.connect = connect;
  }
  const during = { fetch: fetchCalls - before.fetchCalls, served: served - before.served, connections: connections - before.connections };
  times.packaged.sort((a, b) => a - b);
  times.remote.sort((a, b) => a - b);

  // One poll: 304, then 200 + verify + load.
  const poll304: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = process.hrtime.bigint();
    const r = await source.fetch('"bench-1"');
    poll304.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 'not_modified') throw new Error('expected a 304');
  }
  const poll200: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = process.hrtime.bigint();
    const r = await source.fetch(undefined);
    if (r.status !== 'modified') throw new Error('expected a 200');
    await load(r.bytes);
    poll200.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  poll304.sort((a, b) => a - b);
  poll200.sort((a, b) => a - b);
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(tmp, { recursive: true, force: true });

  return {
    packaged_request_p50_us: percentile(times.packaged, 50),
    packaged_request_p99_us: percentile(times.packaged, 99),
    remote_fresh_request_p50_us: percentile(times.remote, 50),
    remote_fresh_request_p99_us: percentile(times.remote, 99),
    remote_fresh_requests: times.remote.length,
    remote_fresh_sockets_opened: sockets,
    remote_fresh_bundle_fetch_calls: during.fetch,
    remote_fresh_bundle_service_requests: during.served,
    remote_fresh_bundle_service_connections: during.connections,
    poll_304_median_ms: percentile(poll304, 50),
    poll_200_verify_load_median_ms: percentile(poll200, 50),
    bundle_bytes: signedBundle.length,
  };
}
