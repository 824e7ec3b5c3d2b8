/**
 * The local gateway behaves like an API Gateway REST API stage in front of a
 * REQUEST authorizer and a Lambda proxy integration (fixture handlers, real
 * HTTP on 127.0.0.1).
 */
import { GatewayResponses } from '../../local/gateway/gateway-responses';
import { startLocalGateway, type LocalGateway } from '../../local/gateway/server';
import { fixtureAuthorizer, fixtureIntegration, newRecorder, type Recorder } from './helpers/fixture-handlers';
import { rawRequest } from './helpers/http';

interface Started { gw: LocalGateway; rec: Recorder }

async function start(opts: { ttl?: number; routes?: { resource: string; method: string }[]; authorizerTimeoutMs?: number; integrationTimeoutMs?: number; maxBodyBytes?: number } = {}): Promise<Started> {
  const rec = newRecorder();
  const gw = await startLocalGateway({
    port: 0,
    authorizer: fixtureAuthorizer(rec),
    integration: fixtureIntegration(rec),
    authorizerCacheTtlSeconds: opts.ttl ?? 300,
    routes: opts.routes,
    authorizerTimeoutMs: opts.authorizerTimeoutMs,
    integrationTimeoutMs: opts.integrationTimeoutMs,
    maxBodyBytes: opts.maxBodyBytes,
    log: () => undefined,
  });
  return { gw, rec };
}

const bearer = (mode: string) => ({ Authorization: `Bearer ${mode}` });

describe('local API Gateway emulation', () => {
  let s: Started;
  beforeEach(async () => {
    s = await start();
  });
  afterEach(async () => {
    await s.gw.close();
  });

  test('a request without an Authorization header is a 401 with a Bearer challenge, and the authorizer is not called', async () => {
    const res = await rawRequest(s.gw.url, 'GET', '/v1/claims/enrollee/1001');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(res.json()).toMatchObject({ message: 'Unauthorized' });
    expect(s.rec.authorizerEvents).toHaveLength(0);
  });

  test('an empty Authorization header counts as a missing identity source', async () => {
    const res = await rawRequest(s.gw.url, 'GET', '/v1/x', { Authorization: '' });
    expect(res.status).toBe(401);
    expect(s.rec.authorizerEvents).toHaveLength(0);
  });

  test('the authorizer gets a REST REQUEST event built from the actual request', async () => {
    await rawRequest(s.gw.url, 'GET', '/v1/claims/enrollee/1001?status=open&status=closed&x=1', { ...bearer('allow'), 'X-Request-Id': 'abc', 'user-agent': 'jest' });
    const e = s.rec.authorizerEvents[0];
    expect(e).toBeDefined();
    expect(e?.type).toBe('REQUEST');
    expect(e?.methodArn).toBe(`arn:aws:execute-api:us-east-1:123456789012:${s.gw.api.apiId}/local/GET/v1/claims/enrollee/1001`);
    expect(e?.path).toBe('/v1/claims/enrollee/1001');
    expect(e?.resource).toBe('/{proxy+}');
    expect(e?.httpMethod).toBe('GET');
    expect(e?.headers?.['X-Request-Id']).toBe('abc');
    expect(e?.multiValueHeaders?.['X-Request-Id']).toEqual(['abc']);
    expect(e?.queryStringParameters).toEqual({ status: 'closed', x: '1' });
    expect(e?.multiValueQueryStringParameters).toEqual({ status: ['open', 'closed'], x: ['1'] });
    expect(e?.pathParameters).toEqual({ proxy: 'v1/claims/enrollee/1001' });
    expect(e?.requestContext).toMatchObject({
      stage: 'local', path: '/local/v1/claims/enrollee/1001', resourcePath: '/{proxy+}', httpMethod: 'GET',
      identity: { sourceIp: '127.0.0.1', userAgent: 'jest' },
    });
    expect(e?.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('like API Gateway, the caller address is appended to X-Forwarded-For and a trace id is added', async () => {
    await rawRequest(s.gw.url, 'GET', '/v1/x', { ...bearer('allow'), 'X-Forwarded-For': '203.0.113.7', 'X-Amzn-Trace-Id': 'Root=spoofed' });
    const h = s.rec.authorizerEvents[0]?.headers ?? {};
    expect(h['X-Forwarded-For']).toBe('203.0.113.7, 127.0.0.1');
    expect(h['X-Amzn-Trace-Id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(s.rec.authorizerEvents[0]?.requestContext.identity.sourceIp).toBe('127.0.0.1');
  });

  test('an Allow reaches the integration with the authorizer context stringified, principalId and a numeric integrationLatency', async () => {
    const res = await rawRequest(s.gw.url, 'GET', '/v1/claims/enrollee/1001', bearer('allow'));
    expect(res.status).toBe(200);
    const auth = s.rec.proxyEvents[0]?.requestContext.authorizer;
    expect(auth).toMatchObject({ principalId: 'alice', decisionId: 'd-1', claims: '{"sub":"alice"}', scopes: '2', primary: 'true' });
    expect(typeof auth?.integrationLatency).toBe('number');
    expect(res.headers['x-amzn-requestid']).toBe(s.rec.proxyEvents[0]?.requestContext.requestId);
  });

  test('an authorizer that throws Unauthorized gives 401 with WWW-Authenticate', async () => {
    const res = await rawRequest(s.gw.url, 'GET', '/v1/x', bearer('unauthorized'));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('invalid_token');
    expect(s.rec.proxyEvents).toHaveLength(0);
  });

  test('an explicit Deny gives 403 JSON carrying the decisionId, and the integration is not called', async () => {
    const res = await rawRequest(s.gw.url, 'GET', '/v1/x', bearer('deny'));
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ message: 'Forbidden', decisionId: 'd-1' });
    expect(s.rec.proxyEvents).toHaveLength(0);
  });

  test('an Allow for a different resource is an implicit deny (403)', async () => {
    const res = await rawRequest(s.gw.url, 'GET', '/v1/x', bearer('allow-elsewhere'));
    expect(res.status).toBe(403);
    expect(s.rec.proxyEvents).toHaveLength(0);
  });

  test('an authorizer crash is AUTHORIZER_CONFIGURATION_ERROR, as in AWS: 503 + Retry-After per the CDK spec', async () => {
    const res = await rawRequest(s.gw.url, 'GET', '/v1/x', bearer('boom'));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).not.toContain('JWKS unreachable');
    expect(s.rec.proxyEvents).toHaveLength(0);
  });

  test('a malformed authorizer result or a nested context value is AUTHORIZER_CONFIGURATION_ERROR: 503', async () => {
    expect((await rawRequest(s.gw.url, 'GET', '/v1/a', bearer('malformed'))).status).toBe(503);
    expect((await rawRequest(s.gw.url, 'GET', '/v1/b', bearer('nested-context'))).status).toBe(503);
    expect(s.rec.proxyEvents).toHaveLength(0);
  });

  test('the proxy result maps to HTTP: status, headers, multi-value headers and body', async () => {
    const res = await rawRequest(s.gw.url, 'POST', '/fixture/cookies', bearer('allow'), 'hello');
    expect(res.status).toBe(201);
    expect(res.headers['x-one']).toBe('single');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(res.body).toBe('made');
    expect(s.rec.proxyEvents[0]).toMatchObject({ httpMethod: 'POST', body: 'hello', isBase64Encoded: false });
  });

  test('an isBase64Encoded result is decoded to bytes; a binary request body is passed base64-encoded', async () => {
    const res = await rawRequest(s.gw.url, 'POST', '/fixture/binary', bearer('allow'), Buffer.from([0xff, 0xfe, 0x00]));
    expect(Buffer.from(res.body, 'utf8').length).toBeGreaterThan(0);
    expect(res.headers['content-length']).toBe('4');
    expect(s.rec.proxyEvents[0]).toMatchObject({ isBase64Encoded: true, body: Buffer.from([0xff, 0xfe, 0x00]).toString('base64') });
  });

  test('a malformed proxy result, an unexpected key or a crashing integration is a 502', async () => {
    expect((await rawRequest(s.gw.url, 'GET', '/fixture/malformed', bearer('allow'))).status).toBe(502);
    expect((await rawRequest(s.gw.url, 'GET', '/fixture/extra-key', bearer('allow'))).status).toBe(502);
    const crashed = await rawRequest(s.gw.url, 'GET', '/fixture/throw', bearer('allow'));
    expect(crashed.status).toBe(502);
    expect(crashed.body).not.toContain('integration crashed');
  });

  test('oversized headers are a 400 and an oversized body a 413, before the authorizer runs', async () => {
    const big = await rawRequest(s.gw.url, 'GET', '/v1/x', { ...bearer('allow'), 'x-padding': 'a'.repeat(11_000) });
    expect(big.status).toBe(400);
    await s.gw.close();
    s = await start({ maxBodyBytes: 1024 });
    const body = await rawRequest(s.gw.url, 'POST', '/v1/x', bearer('allow'), 'b'.repeat(2048));
    expect(body.status).toBe(413);
    expect(s.rec.authorizerEvents).toHaveLength(0);
  });

  test('path tricks reach the authorizer exactly as sent: no normalisation of .., %2F or double encoding', async () => {
    for (const p of ['/v1/claims/enrollee/1002/../1001', '/v1/claims/enrollee/1002%2F..%2F1001', '/v1/claims/enrollee/%252e%252e/1001']) {
      await rawRequest(s.gw.url, 'GET', p, bearer('allow'));
    }
    expect(s.rec.authorizerEvents.map((e) => e.path)).toEqual([
      '/v1/claims/enrollee/1002/../1001', '/v1/claims/enrollee/1002%2F..%2F1001', '/v1/claims/enrollee/%252e%252e/1001',
    ]);
    expect(s.rec.authorizerEvents[0]?.methodArn).toMatch(/\/GET\/v1\/claims\/enrollee\/1002\/\.\.\/1001$/);
  });
});

describe('authorizer result cache', () => {
  test('a cached decision is reused only for the same token, method and path', async () => {
    const { gw, rec } = await start({ ttl: 300 });
    try {
      await rawRequest(gw.url, 'GET', '/v1/claims/enrollee/1001', bearer('allow'));
      await rawRequest(gw.url, 'GET', '/v1/claims/enrollee/1001', bearer('allow'));
      expect(rec.authorizerEvents).toHaveLength(1);
      // Same context replayed (decisionId included).
      expect(rec.proxyEvents[1]?.requestContext.authorizer?.decisionId).toBe('d-1');
      expect(rec.proxyEvents[1]?.requestContext.authorizer?.integrationLatency).toBe(0);
      await rawRequest(gw.url, 'GET', '/v1/claims/enrollee/1002', bearer('allow'));
      await rawRequest(gw.url, 'POST', '/v1/claims/enrollee/1001', bearer('allow'));
      expect(rec.authorizerEvents).toHaveLength(3);
      expect(rec.proxyEvents).toHaveLength(4);
    } finally {
      await gw.close();
    }
  });

  test('a cached Deny keeps denying without calling the authorizer again', async () => {
    const { gw, rec } = await start({ ttl: 300 });
    try {
      expect((await rawRequest(gw.url, 'GET', '/v1/x', bearer('deny'))).status).toBe(403);
      expect((await rawRequest(gw.url, 'GET', '/v1/x', bearer('deny'))).status).toBe(403);
      expect(rec.authorizerEvents).toHaveLength(1);
    } finally {
      await gw.close();
    }
  });

  test('Unauthorized and failures are never cached', async () => {
    const { gw, rec } = await start({ ttl: 300 });
    try {
      await rawRequest(gw.url, 'GET', '/v1/x', bearer('unauthorized'));
      await rawRequest(gw.url, 'GET', '/v1/x', bearer('unauthorized'));
      await rawRequest(gw.url, 'GET', '/v1/x', bearer('boom'));
      await rawRequest(gw.url, 'GET', '/v1/x', bearer('boom'));
      expect(rec.authorizerEvents).toHaveLength(4);
    } finally {
      await gw.close();
    }
  });

  test('TTL 0 calls the authorizer on every request', async () => {
    const { gw, rec } = await start({ ttl: 0 });
    try {
      await rawRequest(gw.url, 'GET', '/v1/x', bearer('allow'));
      await rawRequest(gw.url, 'GET', '/v1/x', bearer('allow'));
      expect(rec.authorizerEvents).toHaveLength(2);
    } finally {
      await gw.close();
    }
  });
});

describe('debug output', () => {
  test('debugEvents logs the authorizer event, its result and the integration event with credentials redacted', async () => {
    const rec = newRecorder();
    const lines: Record<string, unknown>[] = [];
    const gw = await startLocalGateway({ port: 0, authorizer: fixtureAuthorizer(rec), integration: fixtureIntegration(rec), debugEvents: true, log: (l) => lines.push(l) });
    try {
      await rawRequest(gw.url, 'GET', '/v1/x', { Authorization: 'Bearer allow', 'x-api-key': 'secret-key' });
      expect(lines.map((l) => l.debug).filter(Boolean)).toEqual(['authorizer-event', 'authorizer-result', 'integration-event']);
      const text = JSON.stringify(lines);
      expect(text).not.toContain('Bearer allow');
      expect(text).not.toContain('secret-key');
      expect(text).toContain('<redacted>');
      // The handlers themselves still got the real values.
      expect(rec.authorizerEvents[0]?.headers?.Authorization).toBe('Bearer allow');
    } finally {
      await gw.close();
    }
  });
});

describe('API keys (apiKeyRequired)', () => {
  test('the key is an identity source and must be a known key; the authorizer still decides first', async () => {
    const rec = newRecorder();
    const gw = await startLocalGateway({ port: 0, authorizer: fixtureAuthorizer(rec), integration: fixtureIntegration(rec), apiKeys: ['k-123'], log: () => undefined });
    try {
      expect((await rawRequest(gw.url, 'GET', '/v1/x', bearer('allow'))).status).toBe(401);
      expect(rec.authorizerEvents).toHaveLength(0);
      const wrong = await rawRequest(gw.url, 'GET', '/v1/x', { ...bearer('allow'), 'x-api-key': 'nope' });
      expect(wrong.status).toBe(403);
      expect(rec.authorizerEvents).toHaveLength(1);
      expect((await rawRequest(gw.url, 'GET', '/v1/x', { ...bearer('allow'), 'x-api-key': 'k-123' })).status).toBe(200);
      expect((await rawRequest(gw.url, 'GET', '/v1/x', { ...bearer('deny'), 'x-api-key': 'k-123' })).status).toBe(403);
      expect(rec.proxyEvents).toHaveLength(1);
    } finally {
      await gw.close();
    }
  });
});

describe('routes and timeouts', () => {
  test('a path outside the route table is 403 Missing Authentication Token without calling the authorizer', async () => {
    const { gw, rec } = await start({ routes: [{ resource: '/v1/{proxy+}', method: 'ANY' }] });
    try {
      const res = await rawRequest(gw.url, 'GET', '/admin', bearer('allow'));
      expect(res.status).toBe(403);
      expect(res.json()).toMatchObject({ message: 'Missing Authentication Token' });
      expect(rec.authorizerEvents).toHaveLength(0);
      expect((await rawRequest(gw.url, 'GET', '/v1/claims', bearer('allow'))).status).toBe(200);
      expect(rec.authorizerEvents[0]?.resource).toBe('/v1/{proxy+}');
      expect(rec.authorizerEvents[0]?.pathParameters).toEqual({ proxy: 'claims' });
    } finally {
      await gw.close();
    }
  });

  test('an authorizer timeout fails closed and an integration timeout is a 504', async () => {
    const { gw } = await start({ authorizerTimeoutMs: 100, integrationTimeoutMs: 100 });
    try {
      expect((await rawRequest(gw.url, 'GET', '/v1/x', bearer('slow'))).status).toBe(503);
      expect((await rawRequest(gw.url, 'GET', '/fixture/slow', bearer('allow'))).status).toBe(504);
    } finally {
      await gw.close();
    }
  });
});

describe('the authorizer error types render from the CDK specs', () => {
  test.each(['AUTHORIZER_FAILURE', 'AUTHORIZER_CONFIGURATION_ERROR'] as const)('%s: 503 + Retry-After, JSON with the request id', (type) => {
    const r = new GatewayResponses().render(type, { requestId: 'r-1', message: null });
    expect(r.statusCode).toBe(503);
    expect(r.headers['Retry-After']).toBe('1');
    expect(JSON.parse(r.body)).toMatchObject({ requestId: 'r-1' });
  });
});
