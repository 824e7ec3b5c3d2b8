/**
 * The functions pull their policy from a bundle service (issue #11 item 2):
 * HTTP (OPA's protocol: If-None-Match, 200/304) and S3 (a fake client at the
 * SDK boundary; the real s3rver path is tested end-to-end on the local
 * stack), polling driven from invocations, rejected bundles keep the last good
 * one serving, cold start fails closed unless the packaged fallback is allowed.
 */
import { createHttpBundleSource, createS3BundleSource, type S3GetObject } from '../../functions/shared/bundle-source';
import { loadAuthorizerConfig } from '../../functions/shared/config';
import { PolicyBundleError } from '../../functions/shared/errors';
import { decide, loadBundleEngine, type PolicyEngine } from '../../functions/shared/policy-engine';
import { configuredPolicyStores, createPolicyStore, type PolicyStore } from '../../functions/shared/policy-store';
import { decisionBundle } from './support/bundles';
import { captureLogs } from './support/logs';
import { startServer, type LocalServer } from './support/servers';

const ENTRY = 'acme/authz/decision';
const load = (bytes: Buffer): Promise<PolicyEngine> => loadBundleEngine(bytes, { verification: undefined, requiredEntrypoints: [ENTRY], maxBytes: 1 << 24 });
const reasonFrom = (engine: PolicyEngine): string => decide(engine, ENTRY, { allow: true }).reason;

/** A bundle service whose current bundle, status and ETag the test controls. */
interface BundleService extends LocalServer {
  bundle: Buffer;
  etag: string;
  status: number;
}

async function bundleService(initial: Buffer, etag = '"v1"'): Promise<BundleService> {
  const state = { bundle: initial, etag, status: 200 };
  const server = await startServer((req, res) => {
    if (state.status !== 200) return void res.writeHead(state.status).end('broken');
    if (req.headers['if-none-match'] === state.etag) return void res.writeHead(304, { etag: state.etag }).end();
    res.writeHead(200, { 'content-type': 'application/gzip', etag: state.etag }).end(state.bundle);
  });
  for (const key of ['bundle', 'etag', 'status'] as const) {
    Object.defineProperty(server, key, { get: () => state[key], set: (v: never) => void (state[key] = v), enumerable: true });
  }
  return server as BundleService;
}

function engineNow(store: PolicyStore): PolicyEngine {
  const e = store.engine();
  if (e instanceof Promise) throw new Error('expected a synchronous engine after the cold start');
  return e;
}

describe('polling driven from invocations', () => {
  let service: BundleService;
  let clock: number;
  const logs = captureLogs();
  const limits = { timeoutMs: 2000, maxBytes: 1 << 20 };

  beforeEach(async () => {
    clock = 1_000_000;
    logs.lines.length = 0;
    service = await bundleService(decisionBundle('rev-1'));
  });
  afterEach(() => service.close());

  const storeOn = (url: string, fallback?: () => Promise<PolicyEngine>): PolicyStore =>
    createPolicyStore({
      name: 'authz',
      source: createHttpBundleSource(new URL(url), limits),
      packaged: fallback,
      fallbackToPackaged: fallback !== undefined,
      load,
      minDelaySeconds: 60,
      maxDelaySeconds: 120,
      logger: logs.logger,
      now: () => clock,
      random: () => 0.5,
    });

  it('serves the downloaded revision; a fresh policy makes no request; a stale one is checked in the background and the new one serves LATER requests', async () => {
    const store = storeOn(`${service.url}/bundles/authz.tar.gz`);
    expect(reasonFrom(await store.engine())).toBe('rev_1');
    expect(service.requests).toHaveLength(1);

    // Fresh (next check due at +90 s with random 0.5): no network call at all.
    clock += 89_000;
    for (let i = 0; i < 5; i++) expect(reasonFrom(engineNow(store))).toBe('rev_1');
    expect(service.requests).toHaveLength(1);

    // Published a new bundle; once the check is due, THIS request still gets rev-1 ...
    service.bundle = decisionBundle('rev-2');
    service.etag = '"v2"';
    clock += 2_000;
    expect(reasonFrom(engineNow(store))).toBe('rev_1');
    // ... and later requests get rev-2.
    await store.idle();
    expect(service.requests).toHaveLength(2);
    expect(service.requests[1].headers['if-none-match']).toBe('"v1"');
    expect(reasonFrom(engineNow(store))).toBe('rev_2');
    expect(store.active()?.engine.revision).toBe('rev-2');
  });

  it('a 304 keeps the policy and sends the last ETag', async () => {
    const store = storeOn(`${service.url}/b.tar.gz`);
    await store.engine();
    clock += 121_000;
    const before = engineNow(store);
    await store.idle();
    expect(service.requests[1].headers['if-none-match']).toBe('"v1"');
    expect(engineNow(store)).toBe(before);
  });

  it.each([
    ['a corrupt bundle', (s: BundleService) => ((s.bundle = Buffer.from('not a gzip')), 'malformed')],
    ['a bundle without the entrypoint', (s: BundleService) => ((s.bundle = Buffer.from(require('rego-wasm').build({ sources: [{ file: 'x.rego', text: 'package other\nx := 1' }], entrypoints: ['other/x'], revision: 'rev-bad' }).bundle)), 'instantiate_failed')],
    ['a 500 from the bundle service', (s: BundleService) => ((s.status = 500), 'http_status')],
  ])('%s is rejected and logged (reason, revision) and the last good policy keeps serving', async (_name, breakIt) => {
    const store = storeOn(`${service.url}/b.tar.gz`);
    await store.engine();
    service.etag = '"v2"';
    const reason = breakIt(service);
    clock += 121_000;
    engineNow(store);
    await store.idle();
    expect(reasonFrom(engineNow(store))).toBe('rev_1');
    const rejected = logs.parsed().find((l) => String(l.message).startsWith('policy bundle rejected'));
    expect(rejected).toMatchObject({ level: 'error', reason, policyRevision: 'rev-1', bundle: 'authz' });
    if (reason === 'instantiate_failed') expect(rejected?.rejectedRevision).toBe('rev-bad');
  });

  it('a download larger than the cap is refused (too_large) without buffering it', async () => {
    service.bundle = Buffer.alloc(2 << 20, 1);
    const store = storeOn(`${service.url}/b.tar.gz`);
    await expect(store.engine()).rejects.toMatchObject({ reason: 'no_policy' });
    expect(logs.parsed().find((l) => l.reason === 'too_large')).toBeDefined();
  });

  it('a connection failure (a kept-alive socket dead after a freeze) is retried once at once; a second failure is download_failed', async () => {
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      calls += 1;
      if (calls === 1) throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    const source = createHttpBundleSource(new URL(`${service.url}/b`), limits, flaky);
    expect((await source.fetch(undefined)).status).toBe('modified');
    expect(calls).toBe(2);
    let attempts = 0;
    const down = createHttpBundleSource(new URL(`${service.url}/b`), limits, async () => {
      attempts += 1;
      throw new TypeError('fetch failed');
    });
    await expect(down.fetch(undefined)).rejects.toMatchObject({ reason: 'download_failed' });
    expect(attempts).toBe(2);
  });

  it('a bundle service that does not answer in time is a download_timeout', async () => {
    const hang = await startServer(() => undefined);
    try {
      const source = createHttpBundleSource(new URL(`${hang.url}/b`), { timeoutMs: 200, maxBytes: 1 << 20 });
      await expect(source.fetch(undefined)).rejects.toMatchObject({ reason: 'download_timeout' });
    } finally {
      await hang.close();
    }
  });

  it('cold start with the service down and no fallback: every request fails closed (PolicyBundleError → 503) and retries back off', async () => {
    service.status = 503;
    const store = storeOn(`${service.url}/b.tar.gz`);
    const first = store.engine();
    await expect(first).rejects.toBeInstanceOf(PolicyBundleError);
    await expect(first).rejects.toMatchObject({ reason: 'no_policy', kind: 'policy_bundle_unavailable' });
    // Within the retry delay: fails closed without a request.
    expect(() => store.engine()).toThrow(PolicyBundleError);
    expect(service.requests).toHaveLength(1);
    // The service comes back: the next due retry (1 s) loads it for later requests.
    service.status = 200;
    clock += 1_000;
    expect(() => store.engine()).toThrow(PolicyBundleError);
    await store.idle();
    expect(reasonFrom(engineNow(store))).toBe('rev_1');
  });

  it('cold start with the service down and fallback=packaged: the packaged policy serves until a good bundle arrives', async () => {
    service.status = 503;
    const packaged = await load(decisionBundle('packaged'));
    const store = storeOn(`${service.url}/b.tar.gz`, async () => packaged);
    expect(reasonFrom(await store.engine())).toBe('packaged');
    expect(store.active()?.origin).toBe('packaged');
    service.status = 200;
    clock += 1_000;
    engineNow(store);
    await store.idle();
    expect(reasonFrom(engineNow(store))).toBe('rev_1');
    expect(store.active()?.origin).toBe('remote');
  });
});

describe('S3 source (fake client at the SDK boundary)', () => {
  function fakeS3(objects: Map<string, { body: Buffer; etag: string }>): S3GetObject & { calls: Array<Record<string, unknown>> } {
    const calls: Array<Record<string, unknown>> = [];
    return {
      calls,
      async getObject(request) {
        calls.push({ ...request });
        const o = objects.get(`${request.Bucket}/${request.Key}`);
        if (o === undefined) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
        if (request.IfNoneMatch === o.etag) throw Object.assign(new Error('NotModified'), { name: 'NotModified', $metadata: { httpStatusCode: 304 } });
        async function* body(): AsyncGenerator<Uint8Array> {
          yield o!.body;
        }
        return { Body: body(), ETag: o.etag, ContentLength: o.body.length };
      },
    };
  }

  it('GetObject with IfNoneMatch: 200 → bytes + ETag, 304 → not_modified, 404 → http_status', async () => {
    const objects = new Map([['policies/authz.tar.gz', { body: decisionBundle('s3-1'), etag: '"e1"' }]]);
    const s3 = fakeS3(objects);
    const source = createS3BundleSource('policies', 'authz.tar.gz', { timeoutMs: 1000, maxBytes: 1 << 20 }, s3);
    const first = await source.fetch(undefined);
    expect(first.status).toBe('modified');
    expect(first.status === 'modified' && first.etag).toBe('"e1"');
    expect(await source.fetch('"e1"')).toEqual({ status: 'not_modified' });
    expect(s3.calls[1]).toEqual({ Bucket: 'policies', Key: 'authz.tar.gz', IfNoneMatch: '"e1"' });
    const missing = createS3BundleSource('policies', 'nope', { timeoutMs: 1000, maxBytes: 1 << 20 }, s3);
    await expect(missing.fetch(undefined)).rejects.toMatchObject({ reason: 'http_status' });
  });

  it('a declared ContentLength over the cap is refused before reading', async () => {
    const s3: S3GetObject = { getObject: async () => ({ Body: (async function* () { yield Buffer.alloc(10); })(), ContentLength: 10 << 20 }) };
    const source = createS3BundleSource('b', 'k', { timeoutMs: 1000, maxBytes: 1 << 20 }, s3);
    await expect(source.fetch(undefined)).rejects.toMatchObject({ reason: 'too_large' });
  });

  it('the configured stores use the S3 source from POLICY_BUNDLE_URL=s3://… and serve its revision', async () => {
    const objects = new Map([['policies/authz.tar.gz', { body: decisionBundle('s3-rev'), etag: '"e1"' }]]);
    const config = loadAuthorizerConfig(
      { OKTA_ISSUER: 'https://example.okta.com/oauth2/default', OKTA_AUDIENCE: 'api://default', POLICY_BUNDLE_URL: 's3://policies/authz.tar.gz', POLICY_BUNDLE_ALLOW_UNSIGNED: 'true' },
      __dirname,
    );
    const logs = captureLogs();
    const { enforced, shadow } = configuredPolicyStores({ policy: config.policy, logger: logs.logger, entrypoints: [ENTRY], ifUnavailable: 'deny', s3: fakeS3(objects) });
    expect(shadow).toBeUndefined();
    expect((await enforced.engine()).revision).toBe('s3-rev');
  });
});

describe('configuration of bundle sources (functions/README.md)', () => {
  const base = { OKTA_ISSUER: 'https://example.okta.com/oauth2/default', OKTA_AUDIENCE: 'api://default' };
  const parse = (env: Record<string, string>) => loadAuthorizerConfig({ ...base, ...env }, __dirname).policy.bundle;

  it('unset is the packaged bundle with no fallback question', () => {
    expect(parse({})).toMatchObject({ source: { kind: 'packaged' }, fallback: 'none', minDelaySeconds: 60, maxDelaySeconds: 120, verification: undefined });
  });
  it('a remote source needs a verification key unless unsigned bundles are explicitly allowed', () => {
    expect(() => parse({ POLICY_BUNDLE_URL: 'https://bundles.example.com/authz.tar.gz' })).toThrow(/POLICY_VERIFICATION_KEY/);
    expect(parse({ POLICY_BUNDLE_URL: 'https://bundles.example.com/authz.tar.gz', POLICY_BUNDLE_ALLOW_UNSIGNED: 'true' }).verification).toBeUndefined();
    expect(parse({ POLICY_BUNDLE_URL: 's3://b-1/k', POLICY_VERIFICATION_KEY_PARAMETER: '/acme/policy-key' }).verification).toMatchObject({ keyParameter: '/acme/policy-key' });
  });
  it('http needs POLICY_BUNDLE_ALLOW_HTTP; other schemes, credentials in the URL and min > max are configuration errors', () => {
    const unsigned = { POLICY_BUNDLE_ALLOW_UNSIGNED: 'true' };
    expect(() => parse({ ...unsigned, POLICY_BUNDLE_URL: 'http://127.0.0.1:9/b' })).toThrow(/ALLOW_HTTP/);
    expect(parse({ ...unsigned, POLICY_BUNDLE_URL: 'http://127.0.0.1:9/b', POLICY_BUNDLE_ALLOW_HTTP: 'true' }).source.kind).toBe('http');
    expect(() => parse({ ...unsigned, POLICY_BUNDLE_URL: 'file:///etc/passwd' })).toThrow();
    expect(() => parse({ ...unsigned, POLICY_BUNDLE_URL: 'https://u:secret-pw@b.example.com/b' })).toThrow(/credentials/);
    try {
      parse({ ...unsigned, POLICY_BUNDLE_URL: 'https://u:secret-pw@b.example.com/b' });
    } catch (e) {
      expect(String(e)).not.toContain('secret-pw');
    }
    expect(() => parse({ ...unsigned, POLICY_BUNDLE_URL: 'https://b.example.com/b', POLICY_BUNDLE_MIN_DELAY_SECONDS: '200', POLICY_BUNDLE_MAX_DELAY_SECONDS: '100' })).toThrow(/at least/);
    expect(() => parse({ ...unsigned, POLICY_BUNDLE_URL: 'https://b.example.com/b', POLICY_BUNDLE_FALLBACK: 'allow' })).toThrow(/FALLBACK/);
    expect(() => parse({ POLICY_BUNDLE_URL: 'https://b.example.com/b', POLICY_VERIFICATION_KEY: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----' })).toThrow(/public key/);
  });
  it('s3 with a local endpoint is path-style', () => {
    expect(parse({ POLICY_BUNDLE_ALLOW_UNSIGNED: 'true', POLICY_BUNDLE_URL: 's3://local-policies/authz/bundle.tar.gz', POLICY_BUNDLE_S3_ENDPOINT: 'http://localhost:4569' }).source).toMatchObject({
      kind: 's3',
      bucket: 'local-policies',
      key: 'authz/bundle.tar.gz',
      forcePathStyle: true,
    });
  });
});
