/** CORS headers on the claims proxy's own responses (functions/shared/cors.ts + the handler). */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { corsConfigFromEnv, corsResponseHeaders } from '../../functions/shared/cors';

const PORTAL = 'https://portal.acme.example';

describe('corsResponseHeaders', () => {
  const config = corsConfigFromEnv({ CORS_ALLOW_ORIGINS: `${PORTAL},https://admin.acme.example`, CORS_EXPOSE_HEADERS: 'WWW-Authenticate,x-amzn-RequestId' });

  test('unset environment: CORS is off', () => {
    expect(corsConfigFromEnv({})).toBeUndefined();
    expect(corsResponseHeaders(undefined, { Origin: PORTAL })).toEqual({});
  });

  test('an allowed origin is echoed (any header-name case)', () => {
    for (const name of ['Origin', 'origin', 'ORIGIN']) {
      expect(corsResponseHeaders(config, { [name]: PORTAL })).toEqual({
        'Access-Control-Allow-Origin': PORTAL,
        'Access-Control-Expose-Headers': 'WWW-Authenticate,x-amzn-RequestId',
        Vary: 'Origin',
      });
    }
  });

  test.each(['https://evil.example', `${PORTAL}.evil.example`, `${PORTAL}/`, 'null', '', PORTAL.toUpperCase()])('%j gets no Access-Control header', (origin) => {
    expect(corsResponseHeaders(config, { Origin: origin })).toEqual({ Vary: 'Origin' });
  });

  test('two Origin headers (case variants) are refused, not guessed', () => {
    expect(corsResponseHeaders(config, { Origin: PORTAL, origin: 'https://evil.example' })).toEqual({ Vary: 'Origin' });
  });

  test('"*" allows any origin without credentials or Vary', () => {
    expect(corsResponseHeaders(corsConfigFromEnv({ CORS_ALLOW_ORIGINS: '*' }), { Origin: 'https://x.example' })).toEqual({ 'Access-Control-Allow-Origin': '*' });
  });
});

describe('claims proxy handler', () => {
  const saved = { ...process.env };
  afterAll(() => {
    process.env = saved;
  });

  test('adds the CORS headers to its responses, also to a fail-closed 503 (invalid configuration)', async () => {
    process.env = { ...saved, CORS_ALLOW_ORIGINS: PORTAL, LOG_LEVEL: 'silent' };
    delete process.env.BACKEND_URL; // invalid configuration: every request is a 503 (errors.ts OUTCOMES)
    const proxy = await import('../../functions/claims-proxy/handler');
    proxy.reload();
    const event = { headers: { origin: PORTAL }, requestContext: { requestId: 'r-1' } } as unknown as APIGatewayProxyEvent;
    const result = await proxy.handler(event);
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({ 'Access-Control-Allow-Origin': PORTAL, Vary: 'Origin', 'content-type': 'application/json' });
    const other = await proxy.handler({ ...event, headers: { origin: 'https://evil.example' } });
    expect(Object.keys(other.headers ?? {}).filter((h) => h.startsWith('Access-Control'))).toEqual([]);
  });
});
