/**
 * The claims proxy against a real local HTTP backend: forwarding, header
 * stripping, the response policy, and every failure mode — none of which may
 * ever return the backend's body.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createBackendClient } from '../../functions/claims-proxy/backend-client';
import { createClaimsProxy, type HttpApiProxyEvent } from '../../functions/claims-proxy/claims-proxy';
import type { PolicyEngine } from '../../functions/shared/policy-engine';
import { resultOf, scriptedEngine, throwingEngine } from './support/engines';
import { captureLogs, type Captured } from './support/logs';
import { startServer, type LocalServer } from './support/servers';

const SECRET = '999-99-9999';
const RECORD = { enrolleeId: '1001', enrolleeName: 'Alice', memberSsn: SECRET, enrolleeClaimSummaryList: [{ claimId: 'C-1', procedure: 'X-ray' }] };

let backend: LocalServer;

beforeAll(async () => {
  backend = await startServer(async (req, res) => {
    const url = req.url ?? '';
    if (url.startsWith('/v1/claims/enrollee/slow')) return; // never answers
    if (url.startsWith('/v1/claims/enrollee/boom')) {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'db down', memberSsn: SECRET }));
      return;
    }
    if (url.startsWith('/v1/claims/enrollee/badjson')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{"memberSsn":"${SECRET}",`);
      return;
    }
    if (url.startsWith('/v1/claims/enrollee/html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<p>${SECRET}</p>`);
      return;
    }
    if (url.startsWith('/v1/claims/enrollee/cacheable')) {
      res
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'sniff-me', server: 'backend/1.2.3', 'x-powered-by': 'Express' })
        .end(JSON.stringify(RECORD));
      return;
    }
    if (url.startsWith('/v1/claims/enrollee/huge')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ memberSsn: SECRET, pad: 'x'.repeat(50_000) }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'backend=1', etag: '"v1"', connection: 'keep-alive' }).end(JSON.stringify(RECORD));
  });
});
afterAll(() => backend.close());

function proxyEvent(p = '/v1/claims/enrollee/1001'): APIGatewayProxyEvent {
  const event = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'events', 'proxy-get-own-record.json'), 'utf8')) as APIGatewayProxyEvent;
  event.path = p;
  event.headers = { ...event.headers, 'X-Api-Key': 'k-secret', Connection: 'keep-alive', 'Proxy-Authorization': 'Basic x', Cookie: 'sid=1' };
  event.multiValueHeaders = {
    ...event.multiValueHeaders,
    'X-Api-Key': ['k-secret'],
    Connection: ['keep-alive'],
    'Proxy-Authorization': ['Basic x'],
    Cookie: ['sid=1'],
  };
  return event;
}

const stripSsn = (): ReturnType<typeof scriptedEngine> =>
  scriptedEngine((_e, input) => {
    const body = (input.response as { body: Record<string, unknown> }).body;
    const { memberSsn: _drop, ...rest } = body;
    return resultOf(rest);
  });

function proxy(engine: PolicyEngine | Promise<PolicyEngine>, logs: Captured, opts: { baseUrl?: string; timeoutMs?: number; maxBytes?: number } = {}) {
  return createClaimsProxy({
    config: { apiKeyHeader: 'x-api-key', responseEntrypoint: 'acme/filter/response' },
    backend: createBackendClient({ baseUrl: new URL(opts.baseUrl ?? backend.url), timeoutMs: opts.timeoutMs ?? 5000, maxResponseBytes: opts.maxBytes ?? 10_000 }),
    engine: Promise.resolve(engine),
    logger: logs.logger,
    decisions: logs.decisions,
  });
}

function expectJsonError(result: APIGatewayProxyResult, status: number): Record<string, unknown> {
  expect(result.statusCode).toBe(status);
  expect(result.headers?.['content-type']).toBe('application/json');
  expect(result.body).not.toContain(SECRET);
  return JSON.parse(result.body) as Record<string, unknown>;
}

describe('forwarding', () => {
  it('returns the body the response policy produced, with the backend status', async () => {
    const result = await proxy(stripSsn(), captureLogs())(proxyEvent());
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ enrolleeId: '1001', enrolleeName: 'Alice', enrolleeClaimSummaryList: [{ claimId: 'C-1', procedure: 'X-ray' }] });
    expect(result.body).not.toContain(SECRET);
    // validators of the unfiltered record would reveal when hidden fields change
    expect(result.headers).not.toHaveProperty('etag');
    expect(result.headers).not.toHaveProperty('set-cookie');
  });

  it('a filtered (per-caller) body is never cacheable, whatever the backend says; backend internals stay hidden', async () => {
    const result = await proxy(stripSsn(), captureLogs())(proxyEvent('/v1/claims/enrollee/cacheable'));
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['cache-control']).toBe('no-store');
    expect(result.headers?.['x-content-type-options']).toBe('nosniff');
    expect(result.headers).not.toHaveProperty('server');
    expect(result.headers).not.toHaveProperty('x-powered-by');
  });

  it('strips authorization, the API key, cookies and hop-by-hop headers; adds x-request-id and x-authz-sub', async () => {
    await proxy(stripSsn(), captureLogs())(proxyEvent());
    const seen = backend.requests.at(-1);
    expect(seen?.url).toBe('/v1/claims/enrollee/1001?status=open');
    const names = Object.keys(seen?.headers ?? {});
    for (const banned of ['authorization', 'x-api-key', 'cookie', 'proxy-authorization']) expect(names).not.toContain(banned);
    expect(seen?.headers['x-authz-sub']).toBe('alice@acme.example');
    expect(seen?.headers['x-request-id']).toBe('c6af9ac6-7b61-11e6-9a41-93e8deadbeef');
    expect(seen?.headers.accept).toBe('application/json');
  });

  it.each(['GET', 'HEAD'])('a %s carrying a body: the body is dropped (logged), never a false 502', async (method) => {
    const event = proxyEvent();
    event.httpMethod = method;
    event.body = '{"x":1}';
    const logs = captureLogs();
    const result = await proxy(scriptedEngine(() => resultOf({})), logs)(event);
    expect(result.statusCode).toBe(200);
    expect(backend.requests.at(-1)).toMatchObject({ method, body: '' });
    expect(logs.parsed().some((l) => l.level === 'info' && String(l.message).includes('dropped'))).toBe(true);
    expect(logs.parsed().some((l) => l.level === 'error')).toBe(false);
  });

  it('a POST body is still forwarded', async () => {
    const event = proxyEvent();
    event.httpMethod = 'POST';
    event.body = '{"x":1}';
    await proxy(stripSsn(), captureLogs())(event);
    expect(backend.requests.at(-1)).toMatchObject({ method: 'POST', body: '{"x":1}' });
  });

  it('does not forward read validators: a bodiless 304 could not be judged by the response policy', async () => {
    const event = proxyEvent();
    event.headers = { ...event.headers, 'If-None-Match': '"v1"', 'If-Modified-Since': 'Mon, 23 Nov 2026 10:00:00 GMT' };
    await proxy(stripSsn(), captureLogs())(event);
    const names = Object.keys(backend.requests.at(-1)?.headers ?? {});
    expect(names).not.toContain('if-none-match');
    expect(names).not.toContain('if-modified-since');
  });

  it('gives the response policy method, path segments, verified token and the backend response', async () => {
    const engine = stripSsn();
    await proxy(engine, captureLogs())(proxyEvent());
    expect(engine.calls[0].entrypoint).toBe('acme/filter/response');
    expect(engine.calls[0].input).toMatchObject({
      method: 'GET',
      path: ['v1', 'claims', 'enrollee', '1001'],
      token: { payload: { sub: 'alice@acme.example', enrolleeId: '1001' }, scopes: ['claims:read', 'claims:write'] },
      response: { status: 200, body: RECORD },
    });
    expect((engine.calls[0].input.response as { headers: Record<string, string> }).headers).not.toHaveProperty('set-cookie');
  });
});

describe('withheld and failures never return the backend body', () => {
  it('policy withholds (undefined): 403 JSON, not a 200 without claims', async () => {
    const logs = captureLogs();
    const body = expectJsonError(await proxy(scriptedEngine(() => []), logs)(proxyEvent()), 403);
    expect(body).toMatchObject({ error: 'access_denied', reason: 'response_withheld' });
    expect(logs.summary()).toMatchObject({ phase: 'response', result: 'withheld' });
  });

  it('backend timeout: 504', async () => {
    const started = Date.now();
    const body = expectJsonError(await proxy(stripSsn(), captureLogs(), { timeoutMs: 200 })(proxyEvent('/v1/claims/enrollee/slow')), 504);
    expect(body.error).toBe('backend_timeout');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('backend 5xx: 502 without the backend body', async () => {
    const engine = stripSsn();
    expectJsonError(await proxy(engine, captureLogs())(proxyEvent('/v1/claims/enrollee/boom')), 502);
    expect(engine.calls).toHaveLength(0);
  });

  it('backend bad JSON: 502 bad_json, refused before the response policy runs', async () => {
    // A policy that would pass its input body through: a 502 here can only come from the JSON check itself.
    const engine = scriptedEngine((_e, input) => resultOf((input.response as { body: unknown }).body));
    const logs = captureLogs();
    expectJsonError(await proxy(engine, logs)(proxyEvent('/v1/claims/enrollee/badjson')), 502);
    expect(engine.calls).toHaveLength(0);
    expect(logs.summary()).toMatchObject({ type: 'decision', result: 'error', reason: 'bad_json' });
  });

  it('backend unreachable: 502', async () => {
    const closed = await startServer(() => undefined);
    const url = closed.url;
    await closed.close();
    expectJsonError(await proxy(stripSsn(), captureLogs(), { baseUrl: url })(proxyEvent()), 502);
  });

  it('backend body over MAX_RESPONSE_BYTES: 502', async () => {
    expectJsonError(await proxy(stripSsn(), captureLogs(), { maxBytes: 10_000 })(proxyEvent('/v1/claims/enrollee/huge')), 502);
  });

  it('response policy error (wasm trap): 502 and an error log', async () => {
    const logs = captureLogs();
    expectJsonError(await proxy(throwingEngine(), logs)(proxyEvent()), 502);
    expect(logs.parsed().some((l) => l.level === 'error')).toBe(true);
    expect(logs.text()).not.toContain(SECRET);
  });

  it('malformed response policy result for a non-JSON body: 502', async () => {
    expectJsonError(await proxy(scriptedEngine(() => resultOf({ html: 'x' })), captureLogs())(proxyEvent('/v1/claims/enrollee/html')), 502);
  });

  it('non-JSON body without an explicit allow: 403; with `true`: passed through', async () => {
    expectJsonError(await proxy(scriptedEngine(() => []), captureLogs())(proxyEvent('/v1/claims/enrollee/html')), 403);
    const passed = await proxy(scriptedEngine(() => resultOf(true)), captureLogs())(proxyEvent('/v1/claims/enrollee/html'));
    expect(passed.statusCode).toBe(200);
    expect(passed.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(passed.body).toContain('<p>');
  });

  it('no verified claims from the authorizer: 502 and the backend is never called', async () => {
    const before = backend.requests.length;
    const event = proxyEvent();
    event.requestContext.authorizer = null;
    const logs = captureLogs();
    expectJsonError(await proxy(stripSsn(), logs)(event), 502);
    expect(backend.requests.length).toBe(before);
    expect(logs.summary()).toMatchObject({ result: 'error', reason: 'missing_authorizer_context' });
  });

  it('a principalId that is not the claims\' sub is its own reason (principal_mismatch), 502, backend never called', async () => {
    const before = backend.requests.length;
    const event = proxyEvent();
    event.requestContext.authorizer = { ...event.requestContext.authorizer, principalId: 'mallory@evil.example' };
    const logs = captureLogs();
    expectJsonError(await proxy(stripSsn(), logs)(event), 502);
    expect(backend.requests.length).toBe(before);
    expect(logs.summary()).toMatchObject({ result: 'error', reason: 'principal_mismatch' });
  });

  it('an HTTP API (payload 2.0) event: the context from authorizer.lambda, forwarded and filtered like REST', async () => {
    const event = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'events', 'proxy-http-api-v2.json'), 'utf8')) as HttpApiProxyEvent;
    const logs = captureLogs();
    const result = await proxy(stripSsn(), logs)(event);
    expect(result.statusCode).toBe(200);
    expect(result.body).not.toContain(SECRET);
    const seen = backend.requests.at(-1);
    expect(seen?.url).toBe('/v1/claims/enrollee/1001?status=open');
    expect(seen?.headers['x-authz-sub']).toBe('alice@acme.example');
    for (const banned of ['x-api-key', 'cookie']) expect(Object.keys(seen?.headers ?? {})).not.toContain(banned);
    expect(logs.summary()).toMatchObject({ result: 'filtered', method: 'GET', path: '/v1/claims/enrollee/1001', sub: 'alice@acme.example' });
  });

  it('an HTTP API event without the authorizer\'s context: 502 missing_authorizer_context, backend never called', async () => {
    const event = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'events', 'proxy-http-api-v2.json'), 'utf8')) as HttpApiProxyEvent;
    event.requestContext.authorizer = { lambda: {} } as HttpApiProxyEvent['requestContext']['authorizer'];
    const before = backend.requests.length;
    const logs = captureLogs();
    expectJsonError(await proxy(stripSsn(), logs)(event), 502);
    expect(backend.requests.length).toBe(before);
    expect(logs.summary()).toMatchObject({ reason: 'missing_authorizer_context' });
  });

  it('path trick: 400 and the backend is never called', async () => {
    const before = backend.requests.length;
    expectJsonError(await proxy(stripSsn(), captureLogs())(proxyEvent('/v1/claims/enrollee/%2e%2e/admin')), 400);
    expect(backend.requests.length).toBe(before);
  });
});
