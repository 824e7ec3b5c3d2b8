/**
 * CORS in the local gateway, rendered from the construct's definitions
 * (cdk/construct/cors.ts): preflight answered by the gateway itself, CORS
 * headers on gateway error responses, nothing for a disallowed origin.
 */
import { resolveCors, type ResolvedCors } from '../../cdk/construct/cors';
import { startLocalGateway, type LocalGateway } from '../../local/gateway/server';
import { fixtureAuthorizer, fixtureIntegration, newRecorder, type Recorder } from './helpers/fixture-handlers';
import { rawRequest, type RawResponse } from './helpers/http';

const PORTAL = 'http://127.0.0.1:8080';
const EVIL = 'https://evil.example';
const OTHER = 'https://admin.acme.example';

interface Started { gw: LocalGateway; rec: Recorder }

async function start(cors: ResolvedCors | undefined): Promise<Started> {
  const rec = newRecorder();
  const gw = await startLocalGateway({ port: 0, authorizer: fixtureAuthorizer(rec), integration: fixtureIntegration(rec), cors, log: () => undefined });
  return { gw, rec };
}

const corsHeaderNames = (res: RawResponse): string[] => Object.keys(res.headers).filter((h) => h.startsWith('access-control-'));
const preflight = (gw: LocalGateway, origin: string | undefined, path = '/v1/claims/enrollee/1001') =>
  rawRequest(gw.url, 'OPTIONS', path, {
    ...(origin !== undefined ? { Origin: origin } : {}),
    'Access-Control-Request-Method': 'POST',
    'Access-Control-Request-Headers': 'authorization,content-type',
  });

describe('local gateway CORS, one allowed origin', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start(resolveCors({ allowOrigins: [PORTAL] }, undefined));
  });
  afterAll(async () => {
    await s.gw.close();
  });

  test('a preflight from the allowed origin is 204 with the CORS headers, and neither handler runs', async () => {
    for (const path of ['/v1/claims/enrollee/1001', '/']) {
      const res = await preflight(s.gw, PORTAL, path);
      expect(res.status).toBe(204);
      expect(res.body).toBe('');
      expect(res.headers).toMatchObject({
        'access-control-allow-origin': PORTAL,
        'access-control-allow-methods': 'GET,POST,PUT,DELETE,OPTIONS',
        'access-control-allow-headers': 'Authorization,Content-Type',
        'access-control-max-age': '600',
        vary: 'Origin',
      });
    }
    expect(s.rec.authorizerEvents).toHaveLength(0);
    expect(s.rec.proxyEvents).toHaveLength(0);
  });

  test.each([EVIL, 'null', `${PORTAL}.evil.example`, 'http://127.0.0.1:8081', 'HTTP://127.0.0.1:8080'])('a preflight from %s gets no CORS header (the browser refuses)', async (origin) => {
    const res = await preflight(s.gw, origin);
    expect(res.status).toBe(204);
    expect(corsHeaderNames(res)).toEqual([]);
    expect(s.rec.authorizerEvents).toHaveLength(0);
  });

  test('a preflight without Origin gets no CORS header', async () => {
    const res = await preflight(s.gw, undefined);
    expect(corsHeaderNames(res)).toEqual([]);
  });

  test('cross-origin 401 (no token) and 403 (policy deny) carry the allowed origin so the page can read them', async () => {
    const unauthenticated = await rawRequest(s.gw.url, 'GET', '/v1/claims/enrollee/1001', { Origin: PORTAL });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers['access-control-allow-origin']).toBe(PORTAL);
    expect(unauthenticated.headers['access-control-expose-headers']).toBe('WWW-Authenticate,Retry-After,x-amzn-RequestId');
    expect(unauthenticated.headers['www-authenticate']).toMatch(/^Bearer /);

    const denied = await rawRequest(s.gw.url, 'GET', '/v1/claims/enrollee/1001', { Origin: PORTAL, Authorization: 'Bearer deny' });
    expect(denied.status).toBe(403);
    expect(denied.headers['access-control-allow-origin']).toBe(PORTAL);
    expect(denied.json().decisionId).toMatch(/^d-/);

    const failed = await rawRequest(s.gw.url, 'GET', '/v1/claims/enrollee/1001', { Origin: PORTAL, Authorization: 'Bearer boom' });
    expect(failed.status).toBe(503);
    expect(failed.headers['access-control-allow-origin']).toBe(PORTAL);
  });

  test('gateway responses are static: another origin sees only the allowed origin, never its own', async () => {
    const res = await rawRequest(s.gw.url, 'GET', '/v1/claims/enrollee/1001', { Origin: EVIL });
    expect(res.status).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe(PORTAL);
    expect(JSON.stringify(res.headers)).not.toContain(EVIL);
  });
});

describe('local gateway CORS, several origins', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start(resolveCors({ allowOrigins: [PORTAL, OTHER] }, undefined));
  });
  afterAll(async () => {
    await s.gw.close();
  });

  test('the preflight echoes each allowed origin and nothing else', async () => {
    expect((await preflight(s.gw, PORTAL)).headers['access-control-allow-origin']).toBe(PORTAL);
    expect((await preflight(s.gw, OTHER)).headers['access-control-allow-origin']).toBe(OTHER);
    expect(corsHeaderNames(await preflight(s.gw, EVIL))).toEqual([]);
  });

  test('gateway error responses carry no CORS header (a static header cannot name only the caller)', async () => {
    const res = await rawRequest(s.gw.url, 'GET', '/v1/claims/enrollee/1001', { Origin: OTHER });
    expect(res.status).toBe(401);
    expect(corsHeaderNames(res)).toEqual([]);
  });
});

describe('local gateway without CORS (the construct without `cors`)', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start(undefined);
  });
  afterAll(async () => {
    await s.gw.close();
  });

  test('OPTIONS is an ordinary method: no Authorization → 401 without CORS headers', async () => {
    const res = await preflight(s.gw, PORTAL);
    expect(res.status).toBe(401);
    expect(corsHeaderNames(res)).toEqual([]);
  });
});
