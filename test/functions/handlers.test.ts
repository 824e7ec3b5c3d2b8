/**
 * The Lambda entry points as API Gateway, the local runner and CDK use them:
 * configuration from the environment at module load, policy + JWKS loaded
 * once, `reload()` to re-read the environment.
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
const ENV_KEYS = ['OKTA_ISSUER', 'OKTA_AUDIENCE', 'POLICY_WASM_PATH', 'POLICY_DATA_PATH', 'BACKEND_URL', 'LOG_LEVEL', 'JWKS_FETCH_TIMEOUT_MS'];

let key: TestKey;
let jwks: JwksServer;
let backend: LocalServer;
let tmp: string;
let authorizer: AuthorizerModule;
let proxy: ProxyModule;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  for (const k of ENV_KEYS) saved[k] = process.env[k];
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'handlers-'));
  build({ paths: [path.join(ROOT, 'policies')], outfile: path.join(tmp, 'policy.wasm') });
  key = rsaKey('h1');
  jwks = await startJwksServer([key.jwk]);
  backend = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({ enrolleeId: '1001', enrolleePrimaryId: '1001', enrolleeAge: 32, memberSsn: '123-45-6789', enrolleeClaimSummaryList: [{ claimId: 'C-1', procedure: 'X-ray' }] }),
    );
  });
  Object.assign(process.env, {
    OKTA_ISSUER: `${jwks.url}${ISSUER_PATH}`,
    OKTA_AUDIENCE: AUDIENCE,
    POLICY_WASM_PATH: path.join(tmp, 'policy.wasm'),
    POLICY_DATA_PATH: path.join(ROOT, 'policies', 'data.json'),
    BACKEND_URL: backend.url,
    LOG_LEVEL: 'silent',
    JWKS_FETCH_TIMEOUT_MS: '500',
  });
  authorizer = (await import('../../functions/authorizer/handler')) as AuthorizerModule;
  proxy = (await import('../../functions/claims-proxy/handler')) as ProxyModule;
  authorizer.reload();
  proxy.reload();
}, 120_000);

afterAll(async () => {
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await jwks.close();
  await backend.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

it('authorizer handler + claims proxy handler: Alice reads her own record, masked SSN', async () => {
  const jwt = signRs256(key, accessClaims(`${jwks.url}${ISSUER_PATH}`));
  const event = JSON.parse(fs.readFileSync(path.join(EVENTS, 'authorizer-get-own-record.json'), 'utf8').replaceAll('__ACCESS_TOKEN__', jwt)) as APIGatewayRequestAuthorizerEvent;
  const auth = await authorizer.handler(event);
  expect(auth.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow', Resource: event.methodArn });

  const proxyEvent = JSON.parse(fs.readFileSync(path.join(EVENTS, 'proxy-get-own-record.json'), 'utf8')) as APIGatewayProxyEvent;
  const ctx: Record<string, string> = { principalId: auth.principalId };
  for (const [k, v] of Object.entries(auth.context ?? {})) ctx[k] = String(v);
  proxyEvent.requestContext.authorizer = ctx;
  const result = await proxy.handler(proxyEvent);
  expect(result.statusCode).toBe(200);
  expect(JSON.parse(result.body).memberSsn).toBe('***-**-6789');
});

it('authorizer handler: a token for another issuer is 401 "Unauthorized"', async () => {
  const jwt = signRs256(key, accessClaims('https://evil.example/oauth2/default'));
  const event = JSON.parse(fs.readFileSync(path.join(EVENTS, 'authorizer-get-own-record.json'), 'utf8').replaceAll('__ACCESS_TOKEN__', jwt)) as APIGatewayRequestAuthorizerEvent;
  await expect(authorizer.handler(event)).rejects.toThrow(/^Unauthorized$/);
});

it('a missing policy.wasm fails closed: authorizer Denies, proxy answers 502', async () => {
  process.env.POLICY_WASM_PATH = path.join(tmp, 'missing.wasm');
  authorizer.reload();
  proxy.reload();
  try {
    const jwt = signRs256(key, accessClaims(`${jwks.url}${ISSUER_PATH}`));
    const event = JSON.parse(fs.readFileSync(path.join(EVENTS, 'authorizer-get-own-record.json'), 'utf8').replaceAll('__ACCESS_TOKEN__', jwt)) as APIGatewayRequestAuthorizerEvent;
    expect((await authorizer.handler(event)).policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    const proxyEvent = JSON.parse(fs.readFileSync(path.join(EVENTS, 'proxy-get-own-record.json'), 'utf8')) as APIGatewayProxyEvent;
    const result = await proxy.handler(proxyEvent);
    expect(result.statusCode).toBe(502);
    expect(result.body).not.toContain('123-45-6789');
  } finally {
    process.env.POLICY_WASM_PATH = path.join(tmp, 'policy.wasm');
    authorizer.reload();
    proxy.reload();
  }
});

it('a claims proxy without BACKEND_URL answers every request 503 + Retry-After (the outcome table), never a crash', async () => {
  const backendUrl = process.env.BACKEND_URL;
  delete process.env.BACKEND_URL;
  proxy.reload();
  try {
    const proxyEvent = JSON.parse(fs.readFileSync(path.join(EVENTS, 'proxy-get-own-record.json'), 'utf8')) as APIGatewayProxyEvent;
    const result = await proxy.handler(proxyEvent);
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toMatch(/^\d+$/);
    expect(JSON.parse(result.body)).toMatchObject({ error: 'temporarily_unavailable' });
  } finally {
    process.env.BACKEND_URL = backendUrl;
    proxy.reload();
  }
});

it('missing configuration fails every request closed (not a crash at import)', async () => {
  const issuer = process.env.OKTA_ISSUER;
  delete process.env.OKTA_ISSUER;
  authorizer.reload();
  try {
    const event = JSON.parse(fs.readFileSync(path.join(EVENTS, 'authorizer-get-own-record.json'), 'utf8')) as APIGatewayRequestAuthorizerEvent;
    await expect(authorizer.handler(event)).rejects.toThrow();
    await expect(authorizer.handler(event)).rejects.not.toThrow(/^Unauthorized$/);
  } finally {
    process.env.OKTA_ISSUER = issuer;
    authorizer.reload();
  }
});
