/**
 * Both Lambda entry points with POLICY_BUNDLE_URL (the function side of issue
 * #11's done-when, in process): the bundle service down at cold start fails
 * closed (authorizer 503 via "Authorizer unavailable", proxy 503 +
 * Retry-After) unless the packaged fallback is allowed; once it answers, the
 * bundle serves later requests; a newly published revision changes decisions
 * after the polling delay without a reload; a broken one is rejected while
 * the previous keeps serving.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { build } from 'rego-wasm';
import { accessClaims, AUDIENCE, ISSUER_PATH, rsaKey, signRs256, type TestKey } from './support/jwt';
import { startJwksServer, startServer, type JwksServer, type LocalServer } from './support/servers';

type AuthorizerModule = typeof import('../../functions/authorizer/handler');
type ProxyModule = typeof import('../../functions/claims-proxy/handler');

const ROOT = path.join(__dirname, '..', '..');
const EVENTS = path.join(ROOT, 'test', 'events');
const ENV_KEYS = [
  'OKTA_ISSUER', 'OKTA_AUDIENCE', 'POLICY_WASM_PATH', 'POLICY_DATA_PATH', 'BACKEND_URL', 'LOG_LEVEL', 'JWKS_FETCH_TIMEOUT_MS',
  'POLICY_BUNDLE_URL', 'POLICY_BUNDLE_ALLOW_HTTP', 'POLICY_BUNDLE_ALLOW_UNSIGNED', 'POLICY_BUNDLE_FALLBACK',
  'POLICY_BUNDLE_MIN_DELAY_SECONDS', 'POLICY_BUNDLE_MAX_DELAY_SECONDS',
];

let key: TestKey;
let jwks: JwksServer;
let backend: LocalServer;
let bundles: LocalServer;
let tmp: string;
let authorizer: AuthorizerModule;
let proxy: ProxyModule;
const saved: Record<string, string | undefined> = {};
const service: { status: number; bundle: Buffer; etag: string } = { status: 200, bundle: Buffer.alloc(0), etag: '"1"' };

/** The ACME policies as a bundle; `denyAll` swaps the request policy for one that denies everything. */
function acmeBundle(revision: string, denyAll = false): Buffer {
  const ignore = denyAll ? ['authz.rego'] : [];
  const sources = denyAll ? [{ file: 'deny.rego', text: 'package acme.authz\n\ndecision := {"allow": false, "reason": "frozen"}\nroute := {}\ntarget := ""\ncaller_id := ""\nis_primary := false\nis_auditor := false\ndependants := []' }] : [];
  return Buffer.from(build({ paths: [path.join(ROOT, 'policies')], ignore: [...ignore, '*_test.rego'], sources, revision }).bundle);
}

const authEvent = (): APIGatewayRequestAuthorizerEvent =>
  JSON.parse(fs.readFileSync(path.join(EVENTS, 'authorizer-get-own-record.json'), 'utf8').replaceAll('__ACCESS_TOKEN__', signRs256(key, accessClaims(`${jwks.url}${ISSUER_PATH}`)))) as APIGatewayRequestAuthorizerEvent;
const proxyEvent = (): APIGatewayProxyEvent => JSON.parse(fs.readFileSync(path.join(EVENTS, 'proxy-get-own-record.json'), 'utf8')) as APIGatewayProxyEvent;

async function effect(): Promise<string> {
  try {
    const r = await authorizer.handler(authEvent());
    return `${r.policyDocument.Statement[0].Effect}:${String(r.context?.policyRevision ?? r.context?.reason)}`;
  } catch (error) {
    return (error as Error).message;
  }
}

beforeAll(async () => {
  for (const k of ENV_KEYS) saved[k] = process.env[k];
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-handlers-'));
  build({ paths: [path.join(ROOT, 'policies')], outfile: path.join(tmp, 'policy.wasm') });
  key = rsaKey('b1');
  jwks = await startJwksServer([key.jwk]);
  backend = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ enrolleeId: '1001', enrolleePrimaryId: '1001', enrolleeAge: 32, memberSsn: '123-45-6789', enrolleeClaimSummaryList: [] }));
  });
  bundles = await startServer((req, res) => {
    if (service.status !== 200) return void res.writeHead(service.status).end();
    if (req.headers['if-none-match'] === service.etag) return void res.writeHead(304).end();
    res.writeHead(200, { etag: service.etag }).end(service.bundle);
  });
  Object.assign(process.env, {
    OKTA_ISSUER: `${jwks.url}${ISSUER_PATH}`,
    OKTA_AUDIENCE: AUDIENCE,
    POLICY_WASM_PATH: path.join(tmp, 'policy.wasm'),
    POLICY_DATA_PATH: path.join(ROOT, 'policies', 'data.json'),
    BACKEND_URL: backend.url,
    LOG_LEVEL: 'silent',
    JWKS_FETCH_TIMEOUT_MS: '500',
    POLICY_BUNDLE_URL: `${bundles.url}/bundles/acme.tar.gz`,
    POLICY_BUNDLE_ALLOW_HTTP: 'true',
    POLICY_BUNDLE_ALLOW_UNSIGNED: 'true',
    POLICY_BUNDLE_MIN_DELAY_SECONDS: '1',
    POLICY_BUNDLE_MAX_DELAY_SECONDS: '1',
  });
  authorizer = (await import('../../functions/authorizer/handler')) as AuthorizerModule;
  proxy = (await import('../../functions/claims-proxy/handler')) as ProxyModule;
}, 120_000);

afterAll(async () => {
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await Promise.all([jwks.close(), backend.close(), bundles.close()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

it('bundle service down at cold start, no fallback: authorizer unavailable (503), proxy 503 + Retry-After, never an allow; then the bundle serves', async () => {
  service.status = 503;
  delete process.env.POLICY_BUNDLE_FALLBACK;
  authorizer.reload();
  proxy.reload();
  expect(await effect()).toBe('Authorizer unavailable');
  const answer = await proxy.handler(proxyEvent());
  expect(answer.statusCode).toBe(503);
  expect(answer.headers?.['retry-after']).toMatch(/^\d+$/);
  expect(answer.body).not.toContain('6789');

  service.status = 200;
  service.bundle = acmeBundle('r-1');
  await sleep(1100);
  await effect(); // starts the retry; this request still fails closed
  await authorizer.policyIdle();
  expect(await effect()).toBe('Allow:r-1');
}, 60_000);

it('bundle service down at cold start with POLICY_BUNDLE_FALLBACK=packaged: the packaged policy serves', async () => {
  service.status = 503;
  process.env.POLICY_BUNDLE_FALLBACK = 'packaged';
  try {
    authorizer.reload();
    proxy.reload();
    expect(await effect()).toMatch(/^Allow:[0-9a-f]{12}$/);
    expect((await proxy.handler({ ...proxyEvent(), requestContext: { ...proxyEvent().requestContext, authorizer: { principalId: '00u1001', claims: JSON.stringify({ sub: '00u1001', enrolleeId: '1001', enrolleeType: 'primary', scp: ['claims:read'] }) } } })).statusCode).not.toBe(503);
  } finally {
    delete process.env.POLICY_BUNDLE_FALLBACK;
    service.status = 200;
  }
}, 60_000);

it('a newly published revision changes decisions within the polling delay without a reload; a corrupt one is rejected and the previous keeps serving', async () => {
  service.status = 200;
  service.bundle = acmeBundle('r-1');
  service.etag = '"1"';
  authorizer.reload();
  expect(await effect()).toBe('Allow:r-1');

  service.bundle = acmeBundle('r-2', true);
  service.etag = '"2"';
  await sleep(1100);
  expect(await effect()).toBe('Allow:r-1'); // the check runs in the background
  await authorizer.policyIdle();
  expect(await effect()).toBe('Deny:frozen');

  service.bundle = Buffer.from('tampered');
  service.etag = '"3"';
  await sleep(1100);
  await effect();
  await authorizer.policyIdle();
  expect(await effect()).toBe('Deny:frozen');
}, 60_000);
