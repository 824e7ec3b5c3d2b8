/**
 * DESIGN.md §7 failure rows over real HTTP: a broken backend, an unreachable
 * JWKS and a failing policy all fail closed, and no backend data leaks.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { backendRequests, call, serviceToken, userToken } from './helpers/acme-client';
import { startStackProcess, type StackProcess } from './helpers/stack-process';

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const SECRET_MARKERS = ['999-99-9999', 'database exploded', 'Backend.secret', '<html>'];

function expectNoBackendData(body: string): void {
  for (const m of SECRET_MARKERS) expect(body).not.toContain(m);
}

describe('backend failures (audit client reads the fault-injection ids)', () => {
  let stack: StackProcess;
  let audit: string;
  beforeAll(async () => {
    stack = await startStackProcess({ BACKEND_TIMEOUT_MS: '500', BACKEND_SLOW_MS: '3000' });
    audit = await serviceToken(stack, 'acme-audit-service');
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  test('backend 5xx → 502 JSON without the backend body', async () => {
    const res = await call(stack, 'GET', '/v1/claims/enrollee/9500', audit);
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toMatch(/json/);
    expectNoBackendData(res.body);
  });

  test('backend bad JSON → 502 without the body', async () => {
    const res = await call(stack, 'GET', '/v1/claims/enrollee/9502', audit);
    expect(res.status).toBe(502);
    expectNoBackendData(res.body);
  });

  test('a non-JSON (HTML) body the policy does not allow explicitly is withheld by the response policy (403), never passed through', async () => {
    const before = (await backendRequests(stack)).length;
    const res = await call(stack, 'GET', '/v1/claims/enrollee/9503', audit);
    expect(res.status).toBe(403);
    // The claims proxy's answer after the backend replied, not the authorizer's Deny.
    expect(res.json()).toMatchObject({ error: 'access_denied', reason: 'response_withheld' });
    expect((await backendRequests(stack)).length).toBe(before + 1);
    expectNoBackendData(res.body);
  });

  test('backend timeout → 504 without data', async () => {
    const res = await call(stack, 'GET', '/v1/claims/enrollee/9504', audit);
    expect(res.status).toBe(504);
    expectNoBackendData(res.body);
  });
});

describe('backend unreachable', () => {
  let stack: StackProcess;
  beforeAll(async () => {
    stack = await startStackProcess({ BACKEND_URL: `http://127.0.0.1:${await closedPort()}` });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  test('an allowed request gets 502 bad_gateway JSON and no data (a refused connection is not a timeout)', async () => {
    const res = await call(stack, 'GET', '/v1/claims/enrollee/1001', await userToken(stack, 'alice'));
    expect(res.status).toBe(502);
    expect(res.json()).toMatchObject({ error: 'bad_gateway' });
    expect(res.body).not.toContain('Alice');
  });
});

describe('JWKS unreachable', () => {
  let stack: StackProcess;
  beforeAll(async () => {
    stack = await startStackProcess({ OKTA_JWKS_URI: `http://127.0.0.1:${await closedPort()}/oauth2/default/v1/keys`, JWKS_FETCH_TIMEOUT_MS: '300' });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  test('a genuine token fails closed with 503 + Retry-After (the authorizer cannot check it; the token is not invalid), backend never called', async () => {
    const res = await call(stack, 'GET', '/v1/claims/enrollee/1001', await userToken(stack, 'alice'));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(await backendRequests(stack)).toHaveLength(0);
  });
});

describe('policy evaluation errors', () => {
  let stack: StackProcess;
  let dir: string;
  beforeAll(async () => {
    // A bundle whose request policy conflicts for enrollee 1004 and whose response policy always conflicts.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-broken-policy-'));
    fs.writeFileSync(path.join(dir, 'authz.rego'), [
      'package acme.authz',
      'decision := {"allow": true, "reason": "test"} if input.path[3] != "1004"',
      'decision := {"allow": true} if input.path[3] == "1004"',
      'decision := {"allow": false} if input.path[3] == "1004"',
      '',
    ].join('\n'));
    fs.writeFileSync(path.join(dir, 'filter.rego'), ['package acme.filter', 'response := 1 if input.method', 'response := 2 if input.method', ''].join('\n'));
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ entrypoints: ['acme/authz/decision', 'acme/filter/response'] }));
    fs.writeFileSync(path.join(dir, 'data.json'), '{}');
    // Served as the functions get every policy: built, signed and published to the bundle service.
    stack = await startStackProcess({ LOCAL_POLICY_DIR: dir });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a request policy evaluation error is a deny (403), and the backend is never called', async () => {
    const res = await call(stack, 'GET', '/v1/claims/enrollee/1004', await userToken(stack, 'alice'));
    expect(res.status).toBe(403);
    expect(await backendRequests(stack)).toHaveLength(0);
  });

  test('a response policy evaluation error is a 502 without the backend body', async () => {
    const res = await call(stack, 'GET', '/v1/claims/enrollee/1001', await userToken(stack, 'alice'));
    expect(res.status).toBe(502);
    expect(res.body).not.toContain('Alice');
    expect(res.body).not.toContain('6789');
  });
});

describe('API key required (LOCAL_API_KEYS)', () => {
  let stack: StackProcess;
  beforeAll(async () => {
    stack = await startStackProcess({ LOCAL_API_KEYS: 'dev-key-1' });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  test('without the key the request is 401, with a wrong key 403, and the key never reaches the backend', async () => {
    const alice = await userToken(stack, 'alice');
    expect((await call(stack, 'GET', '/v1/claims/enrollee/1001', alice)).status).toBe(401);
    expect((await call(stack, 'GET', '/v1/claims/enrollee/1001', alice, undefined, { 'x-api-key': 'wrong' })).status).toBe(403);
    const ok = await call(stack, 'GET', '/v1/claims/enrollee/1001', alice, undefined, { 'x-api-key': 'dev-key-1' });
    expect(ok.status).toBe(200);
    const seen = await backendRequests(stack);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headerNames).not.toContain('x-api-key');
    expect(seen[0]?.headerNames).not.toContain('authorization');
  });
});
