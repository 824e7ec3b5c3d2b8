/**
 * The REQUEST authorizer end to end (real token verification against a local
 * JWKS, an in-test policy engine): 401 / 403 / Allow mapping, context shape,
 * fail-closed policy errors, decision logs without tokens.
 */
import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { createAuthorizer, UNAUTHORIZED, UNAVAILABLE, type AuthorizerHandler } from '../../functions/authorizer/authorizer';
import type { PolicyEngine } from '../../functions/shared/policy-engine';
import { createTokenVerifier, type TokenVerifier } from '../../functions/shared/token-verifier';
import { resultOf, scriptedEngine, throwingEngine } from './support/engines';
import { accessClaims, ISSUER_PATH, rsaKey, signRs256, verifierOptions, type TestKey } from './support/jwt';
import { captureLogs, type Captured, type DecisionSummary } from './support/logs';
import { startJwksServer, type JwksServer } from './support/servers';
import { readEvent } from './support/events';


let key: TestKey;
let jwks: JwksServer;
let issuer: string;

beforeAll(async () => {
  key = rsaKey('k1');
  jwks = await startJwksServer([key.jwk]);
  issuer = `${jwks.url}${ISSUER_PATH}`;
});
afterAll(() => jwks.close());
beforeEach(() => {
  jwks.mode = 'ok';
});

function authorizer(engine: PolicyEngine | Promise<PolicyEngine>, logs: Captured, verifier?: TokenVerifier): AuthorizerHandler {
  return createAuthorizer({
    config: { apiKeyHeader: 'x-api-key', maxTokenBytes: 8192, requestEntrypoint: 'acme/authz/decision', apiProduct: undefined },
    verifier: verifier ?? createTokenVerifier(verifierOptions(issuer)),
    engine: Promise.resolve(engine),
    logger: logs.logger,
    decisions: logs.decisions,
  });
}

const allowAll = (): ReturnType<typeof scriptedEngine> => scriptedEngine(() => resultOf({ allow: true, reason: 'own_record', context: { action: 'read_record' } }));

async function thrown(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('resolved');
}

describe('allowed request', () => {
  it('allows exactly the methodArn with principalId = sub, claims JSON, decisionId and policy context', async () => {
    const logs = captureLogs();
    const engine = allowAll();
    const jwt = signRs256(key, accessClaims(issuer));
    const event = readEvent<APIGatewayRequestAuthorizerEvent>('authorizer-get-own-record.json', jwt);
    const result = await authorizer(engine, logs)(event);

    expect(result.principalId).toBe('alice@acme.example');
    expect(result.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }]);
    const ctx = result.context ?? {};
    expect(JSON.parse(String(ctx.claims))).toMatchObject({ sub: 'alice@acme.example', enrolleeId: '1001' });
    expect(ctx.decisionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(ctx.action).toBe('read_record');
    expect(ctx.policyRevision).toBe('test-rev-0001');
    for (const v of Object.values(ctx)) expect(['string', 'number', 'boolean']).toContain(typeof v);

    expect(engine.calls[0].entrypoint).toBe('acme/authz/decision');
    expect(engine.calls[0].input).toMatchObject({ method: 'GET', path: ['v1', 'claims', 'enrollee', '1001'], token: { scopes: ['claims:read', 'claims:write'] } });
  });

  it('writes one decision log line with id, method, path, sub, result, reason, latency and revision — never the token', async () => {
    const logs = captureLogs();
    const jwt = signRs256(key, accessClaims(issuer));
    const result = await authorizer(allowAll(), logs)(readEvent('authorizer-get-own-record.json', jwt));
    const decisions = logs.summaries();
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({
      decisionId: result.context?.decisionId,
      method: 'GET',
      path: '/v1/claims/enrollee/1001',
      sub: 'alice@acme.example',
      result: 'allow',
      reason: 'own_record',
      policyRevision: 'test-rev-0001',
    });
    expect(typeof decisions[0].latencyMicros).toBe('number');
    expect(logs.text()).not.toContain(jwt);
    expect(logs.text()).not.toContain(jwt.split('.')[2]);
  });

  it('accepts the HTTP API 2.0 event and allows its routeArn', async () => {
    const event = readEvent<APIGatewayRequestAuthorizerEventV2>('authorizer-http-api-v2.json', signRs256(key, accessClaims(issuer)));
    const result = await authorizer(allowAll(), captureLogs())(event);
    expect(result.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.routeArn }]);
  });
});

describe('401: missing or invalid token throws exactly "Unauthorized"', () => {
  it('missing Authorization header: 401', async () => {
    const event = readEvent<APIGatewayRequestAuthorizerEvent>('authorizer-get-own-record.json', 'x');
    delete event.headers?.Authorization;
    delete event.multiValueHeaders?.Authorization;
    const logs = captureLogs();
    expect(await thrown(authorizer(allowAll(), logs)(event))).toBe(UNAUTHORIZED);
    expect(logs.summary()).toMatchObject({ result: 'unauthorized', reason: 'missing_token' });
  });

  it('malformed header (Basic scheme): 401', async () => {
    const event = readEvent<APIGatewayRequestAuthorizerEvent>('authorizer-get-own-record.json', 'x');
    event.headers = { ...event.headers, Authorization: 'Basic dXNlcjpwYXNz' };
    event.multiValueHeaders = { ...event.multiValueHeaders, Authorization: ['Basic dXNlcjpwYXNz'] };
    expect(await thrown(authorizer(allowAll(), captureLogs())(event))).toBe(UNAUTHORIZED);
  });

  it('expired token: 401 and the policy never runs', async () => {
    const now = Math.floor(Date.now() / 1000);
    const engine = allowAll();
    const logs = captureLogs();
    const jwt = signRs256(key, accessClaims(issuer, { iat: now - 7200, exp: now - 3600 }));
    expect(await thrown(authorizer(engine, logs)(readEvent('authorizer-get-own-record.json', jwt)))).toBe(UNAUTHORIZED);
    expect(engine.calls).toHaveLength(0);
    expect(logs.summary()).toMatchObject({ result: 'unauthorized', reason: 'expired' });
    expect(logs.text()).not.toContain(jwt);
  });

  it('JWKS unreachable: fails closed with an authorizer failure (503), not an Allow', async () => {
    jwks.mode = 'error';
    const logs = captureLogs();
    const message = await thrown(authorizer(allowAll(), logs)(readEvent('authorizer-get-own-record.json', signRs256(key, accessClaims(issuer)))));
    expect(message).toBe(UNAVAILABLE);
    expect(logs.parsed().some((l) => l.level === 'error')).toBe(true);
  });

  it('an unexpected crash (not one of our error classes) fails closed as unavailable (503), never 401 or Allow', async () => {
    const crashing: TokenVerifier = {
      hydrate: async () => undefined,
      verify: async () => {
        throw new TypeError('cannot read properties of undefined');
      },
    };
    const logs = captureLogs();
    const engine = allowAll();
    const message = await thrown(authorizer(engine, logs, crashing)(readEvent('authorizer-get-own-record.json', signRs256(key, accessClaims(issuer)))));
    expect(message).toBe(UNAVAILABLE);
    expect(engine.calls).toHaveLength(0);
    expect(logs.summary()).toMatchObject({ result: 'error', reason: 'internal_error' });
    expect(logs.parsed().some((l) => l.level === 'error')).toBe(true);
  });
});

describe('403: Deny of the methodArn', () => {
  const jwtFor = (): string => signRs256(key, accessClaims(issuer, { sub: 'bob@acme.example', enrolleeId: '1002', enrolleeType: 'secondary' }));

  it('policy says no: Deny with the reason and decisionId in the context, no claims', async () => {
    const logs = captureLogs();
    const event = readEvent<APIGatewayRequestAuthorizerEvent>('authorizer-get-own-record.json', jwtFor());
    const result = await authorizer(scriptedEngine(() => resultOf({ allow: false, reason: 'not_own_record' })), logs)(event);
    expect(result.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: event.methodArn }]);
    expect(result.context).toMatchObject({ reason: 'not_own_record' });
    expect(result.context).not.toHaveProperty('claims');
    expect(logs.summary()).toMatchObject({ result: 'deny', reason: 'not_own_record', sub: 'bob@acme.example' });
  });

  it.each([
    ['undefined result', scriptedEngine(() => [])],
    ['malformed result', scriptedEngine(() => resultOf('yes'))],
    ['wasm trap', throwingEngine()],
  ])('%s: Deny (fail closed) and an error log', async (_name, engine) => {
    const logs = captureLogs();
    const result = await authorizer(engine, logs)(readEvent('authorizer-get-own-record.json', jwtFor()));
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    expect(logs.parsed().some((l) => l.level === 'error')).toBe(true);
    expect(logs.summary()).toMatchObject({ result: 'error' });
  });

  it('policy that failed to load: every decision is a Deny', async () => {
    const logs = captureLogs();
    const broken = Promise.reject(new Error('cannot read policy.wasm'));
    const result = await authorizer(broken as Promise<PolicyEngine>, logs)(readEvent('authorizer-get-own-record.json', jwtFor()));
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    expect(logs.summary()).toMatchObject({ result: 'error', reason: 'policy_unavailable' });
  });

  const decisionOf = (logs: Captured): DecisionSummary | undefined => logs.summary();

  it.each([['*'], ['?']])('a path with the IAM wildcard %s: a Deny (info, never 5xx), the policy never runs, no Allow', async (wildcard) => {
    const engine = allowAll();
    const logs = captureLogs();
    const event = readEvent<APIGatewayRequestAuthorizerEvent>('authorizer-get-own-record.json', jwtFor());
    event.methodArn = `${event.methodArn}${wildcard}`;
    event.path = `${event.path}${encodeURIComponent(wildcard)}`;
    const result = await authorizer(engine, logs)(event);
    expect(result.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: event.methodArn }]);
    expect(engine.calls).toHaveLength(0);
    expect(decisionOf(logs)).toMatchObject({ result: 'rejected', reason: 'wildcard_in_path' });
    expect(logs.parsed().some((l) => l.level === 'error')).toBe(false);
  });

  it('a wildcard path without a valid token is 401 first (the token is checked before the path)', async () => {
    const event = readEvent<APIGatewayRequestAuthorizerEvent>('authorizer-get-own-record.json', 'not-a-jwt');
    event.methodArn = `${event.methodArn}*`;
    event.path = `${event.path}*`;
    expect(await thrown(authorizer(allowAll(), captureLogs())(event))).toBe(UNAUTHORIZED);
  });

  it('a method outside API Gateway\'s set: a Deny with reason bad_method, never 5xx', async () => {
    const logs = captureLogs();
    const event = readEvent<APIGatewayRequestAuthorizerEvent>('authorizer-get-own-record.json', jwtFor());
    event.methodArn = event.methodArn.replace('/GET/', '/PROPFIND/');
    event.httpMethod = 'PROPFIND';
    const result = await authorizer(allowAll(), logs)(event);
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    expect(decisionOf(logs)).toMatchObject({ result: 'rejected', reason: 'bad_method' });
  });

  it('an ARN longer than an IAM Resource may be (512): a Deny on the whole stage, which IAM can hold', async () => {
    const logs = captureLogs();
    const event = readEvent<APIGatewayRequestAuthorizerEvent>('authorizer-get-own-record.json', jwtFor());
    const long = `/v1/claims/enrollee/${'a'.repeat(460)}`;
    event.methodArn = event.methodArn.replace('/v1/claims/enrollee/1001', long);
    event.path = long;
    const result = await authorizer(allowAll(), logs)(event);
    const statement = result.policyDocument.Statement[0] as { Effect: string; Resource: string };
    expect(statement.Effect).toBe('Deny');
    expect(statement.Resource.length).toBeLessThanOrEqual(512);
    expect(event.methodArn.startsWith(statement.Resource.slice(0, -1))).toBe(true);
    expect(decisionOf(logs)).toMatchObject({ result: 'rejected', reason: 'arn_too_long' });
  });

  it.each([
    ['another path', (e: APIGatewayRequestAuthorizerEvent) => { e.methodArn = e.methodArn.replace('/1001', '/1002'); }],
    ['another method', (e: APIGatewayRequestAuthorizerEvent) => { e.methodArn = e.methodArn.replace('/GET/', '/DELETE/'); }],
    ['another stage', (e: APIGatewayRequestAuthorizerEvent) => { e.methodArn = e.methodArn.replace(`/${e.requestContext.stage}/`, '/other/'); }],
  ])('a methodArn naming %s than the request the policy saw: Deny arn_mismatch, the policy never runs', async (_what, change) => {
    const engine = allowAll();
    const logs = captureLogs();
    const event = readEvent<APIGatewayRequestAuthorizerEvent>('authorizer-get-own-record.json', jwtFor());
    change(event);
    const result = await authorizer(engine, logs)(event);
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    expect(engine.calls).toHaveLength(0);
    expect(decisionOf(logs)).toMatchObject({ result: 'rejected', reason: 'arn_mismatch' });
  });

  it('an HTTP API routeArn naming another path than rawPath: Deny arn_mismatch', async () => {
    const logs = captureLogs();
    const event = readEvent<APIGatewayRequestAuthorizerEventV2>('authorizer-http-api-v2.json', jwtFor());
    event.routeArn = event.routeArn.replace('/1001', '/1002');
    const result = await authorizer(allowAll(), logs)(event);
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    expect(decisionOf(logs)).toMatchObject({ result: 'rejected', reason: 'arn_mismatch' });
  });

  it('percent-escapes spelled differently in the ARN and the path still agree (one decoding on both sides)', async () => {
    const event = readEvent<APIGatewayRequestAuthorizerEvent>('authorizer-get-own-record.json', jwtFor());
    event.methodArn = event.methodArn.replace('/1001', '/10%301');
    const result = await authorizer(allowAll(), captureLogs())(event);
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow', Resource: event.methodArn });
  });

  it('an event whose methodArn is not an ARN at all is a broken integration: unavailable (503), logged as error', async () => {
    const logs = captureLogs();
    const event = readEvent<APIGatewayRequestAuthorizerEvent>('authorizer-get-own-record.json', jwtFor());
    event.methodArn = 'not-an-arn';
    expect(await thrown(authorizer(allowAll(), logs)(event))).toBe(UNAVAILABLE);
    expect(logs.parsed().some((l) => l.level === 'error')).toBe(true);
  });

  it('path trick (encoded ../): Deny before the policy runs', async () => {
    const engine = allowAll();
    const logs = captureLogs();
    const result = await authorizer(engine, logs)(readEvent('authorizer-path-traversal.json', jwtFor()));
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    expect(engine.calls).toHaveLength(0);
    expect(logs.summary()).toMatchObject({ result: 'rejected', reason: 'encoded_slash' });
  });
});
