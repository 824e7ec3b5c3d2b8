/**
 * The authorizer's one answer for the hostile events of DESIGN.md §3 and §7:
 * two Authorization headers, an Authorization header in any spelling of a
 * payload 2.0 event, wildcard or unknown methods and stages, and ARNs that
 * are not ARNs. Each case names the exact outcome (Allow / Deny reason /
 * 401 / 503) and whether the policy ran.
 */
import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { createAuthorizer, UNAUTHORIZED, UNAVAILABLE, type AuthorizerEvent } from '../../functions/authorizer/authorizer';
import { createTokenVerifier, type TokenVerifier } from '../../functions/shared/token-verifier';
import { resultOf, scriptedEngine } from './support/engines';
import { accessClaims, ISSUER_PATH, rsaKey, signRs256, verifierOptions, type TestKey } from './support/jwt';
import { captureLogs, type Captured } from './support/logs';
import { startJwksServer, type JwksServer } from './support/servers';
import { readEvent } from './support/events';


let key: TestKey;
let jwks: JwksServer;
let issuer: string;
let jwt: string;
let verifier: TokenVerifier;

beforeAll(async () => {
  key = rsaKey('contract-key');
  jwks = await startJwksServer([key.jwk]);
  issuer = `${jwks.url}${ISSUER_PATH}`;
  jwt = signRs256(key, accessClaims(issuer));
  // One verifier, hydrated once: a slow first JWKS fetch cannot turn a case into a 503.
  verifier = createTokenVerifier(verifierOptions(issuer));
  await verifier.hydrate();
});
afterAll(() => jwks.close());

/** Run one event; the answer is 'Allow', 'Deny:<reason>', 'Unauthorized:<reason>' or 'Authorizer unavailable'. */
async function run(event: AuthorizerEvent): Promise<{ answer: string; policyRan: boolean; logs: Captured; inputs: Array<Record<string, unknown>> }> {
  const logs = captureLogs();
  const engine = scriptedEngine(() => resultOf({ allow: true, reason: 'ok' }));
  const handler = createAuthorizer({
    config: { apiKeyHeader: 'x-api-key', maxTokenBytes: 8192, requestEntrypoint: 'acme/authz/decision', apiProduct: undefined },
    verifier,
    engine: Promise.resolve(engine),
    logger: logs.logger,
    decisions: logs.decisions,
  });
  const decision = (): Record<string, unknown> | undefined => logs.summary() as Record<string, unknown> | undefined;
  let answer: string;
  try {
    const result = await handler(event);
    const effect = String(result.policyDocument.Statement[0].Effect);
    answer = effect === 'Allow' ? 'Allow' : `Deny:${String(decision()?.reason)}`;
  } catch (error) {
    const message = (error as Error).message;
    answer = message === UNAUTHORIZED ? `${UNAUTHORIZED}:${String(decision()?.reason)}` : message;
  }
  return { answer, policyRan: engine.calls.length > 0, logs, inputs: engine.calls.map((c) => c.input) };
}

const rest = (): APIGatewayRequestAuthorizerEvent => readEvent<APIGatewayRequestAuthorizerEvent>('authorizer-get-own-record.json', jwt);
const v2 = (): APIGatewayRequestAuthorizerEventV2 => readEvent<APIGatewayRequestAuthorizerEventV2>('authorizer-http-api-v2.json', jwt);

describe('Authorization headers', () => {
  it('the REST event as API Gateway sends it is allowed (the baseline of this file)', async () => {
    expect((await run(rest())).answer).toBe('Allow');
  });

  it('two Authorization values in multiValueHeaders (headers keeps only the last): 401 malformed, the policy never runs', async () => {
    const event = rest();
    event.headers = { ...event.headers, Authorization: `Bearer ${jwt}` };
    event.multiValueHeaders = { ...event.multiValueHeaders, Authorization: [`Bearer ${jwt}`, `Bearer ${jwt}`] };
    const { answer, policyRan } = await run(event);
    expect(answer).toBe('Unauthorized:malformed_authorization');
    expect(policyRan).toBe(false);
  });

  it('two Authorization names differing in case in multiValueHeaders: 401 malformed', async () => {
    const event = rest();
    event.multiValueHeaders = { ...event.multiValueHeaders, Authorization: [`Bearer ${jwt}`], authorization: [`Bearer ${jwt}`] };
    expect((await run(event)).answer).toBe('Unauthorized:malformed_authorization');
  });

  it.each(['authorization', 'Authorization', 'AUTHORIZATION'])(
    'payload 2.0 with the header spelt %s: allowed, and neither the token nor the header reaches the policy input',
    async (name) => {
      const event = v2();
      const { authorization, ...others } = event.headers ?? {};
      event.headers = { ...others, [name]: authorization };
      const { answer, inputs } = await run(event);
      expect(answer).toBe('Allow');
      expect(inputs).toHaveLength(1);
      const headers = inputs[0].headers as Record<string, string>;
      expect(Object.keys(headers).map((k) => k.toLowerCase())).not.toContain('authorization');
      expect(JSON.stringify(inputs[0])).not.toContain(jwt.split('.')[2]);
    },
  );

  it('payload 2.0 without an Authorization header: 401 missing_token', async () => {
    const event = v2();
    const { authorization: _drop, ...others } = event.headers ?? {};
    event.headers = others;
    expect((await run(event)).answer).toBe('Unauthorized:missing_token');
  });
});

describe('the ARN an Allow would name', () => {
  const withArn = (arn: (a: string) => string, method?: string): APIGatewayRequestAuthorizerEvent => {
    const event = rest();
    event.methodArn = arn(event.methodArn);
    if (method !== undefined) event.httpMethod = method;
    return event;
  };

  it.each([
    ['wildcard method', (a: string) => a.replace('/GET/', '/*/'), undefined, 'Deny:bad_method'],
    ['lower-case method', (a: string) => a.replace('/GET/', '/get/'), undefined, 'Deny:bad_method'],
    ['wildcard stage', (a: string) => a.replace('/prod/', '/*/'), undefined, UNAVAILABLE],
    ['? stage', (a: string) => a.replace('/prod/', '/pr?d/'), undefined, UNAVAILABLE],
    ['wildcard account', (a: string) => a.replace('123456789012', '*'), undefined, UNAVAILABLE],
    ['no path after the method (the API root) for a non-root request', (a: string) => a.replace('/v1/claims/enrollee/1001', ''), undefined, 'Deny:arn_mismatch'],
    ['a method ARN of another service', (a: string) => a.replace('execute-api', 'lambda'), undefined, UNAVAILABLE],
    ['trailing text after a space', (a: string) => `${a} extra`, undefined, UNAVAILABLE],
    ['an ARN prefixed with text', (a: string) => `x${a}`, undefined, UNAVAILABLE],
  ])('%s: %s', async (_what, arn, method, expected) => {
    const { answer, policyRan } = await run(withArn(arn, method));
    expect(answer).toBe(expected);
    expect(policyRan).toBe(false);
  });

  it('a wildcard method is refused even when the event names the same method', async () => {
    const { answer } = await run(withArn((a) => a.replace('/GET/', '/*/'), '*'));
    expect(answer).toBe('Deny:bad_method');
  });

  it('an HTTP API rawPath carrying the stage as its first segment agrees with a routeArn without it', async () => {
    const event = v2();
    event.rawPath = `/prod${event.rawPath}`;
    expect((await run(event)).answer).toBe('Allow');
  });

  it('a rawPath whose first segment is another stage does not agree: Deny arn_mismatch', async () => {
    const event = v2();
    event.rawPath = `/other${event.rawPath}`;
    expect((await run(event)).answer).toBe('Deny:arn_mismatch');
  });

  it('an event without a stage is judged on method and path only', async () => {
    const event = rest();
    (event.requestContext as { stage?: string }).stage = undefined;
    expect((await run(event)).answer).toBe('Allow');
  });

  it('an ARN of exactly 512 characters can still be allowed; 513 cannot', async () => {
    const at = (chars: number): APIGatewayRequestAuthorizerEvent => {
      const event = rest();
      const base = event.methodArn.replace('/v1/claims/enrollee/1001', '/v1/claims/enrollee/');
      const id = 'a'.repeat(chars - base.length);
      event.methodArn = `${base}${id}`;
      event.path = `/v1/claims/enrollee/${id}`;
      return event;
    };
    expect(at(512).methodArn).toHaveLength(512);
    expect((await run(at(512))).answer).toBe('Allow');
    expect((await run(at(513))).answer).toBe('Deny:arn_too_long');
  });
});

describe('what the logs and the decision event say', () => {
  const errorLines = (logs: Captured): Array<Record<string, unknown>> => logs.parsed().filter((l) => l.level === 'error');
  /** Info lines of the request itself (not decision events, not the policy store's). */
  const infoLines = (logs: Captured): Array<Record<string, unknown>> =>
    logs.parsed().filter((l) => l.level === 'info' && l.decision_id === undefined && l.message !== 'policy activated');

  it('an Allow is one decision event: phase, method, path, entrypoint, input, result, evaluation time, bundle revision and caller IP', async () => {
    const event = rest();
    const { logs } = await run(event);
    const [decision] = logs.summaries();
    expect(decision).toMatchObject({ phase: 'request', result: 'allow', reason: 'ok', method: 'GET', path: event.path, requestId: event.requestContext.requestId });
    const opa = decision.event as Record<string, unknown> & { metrics: Record<string, number> };
    expect(opa.path).toBe('acme/authz/decision');
    expect(opa.input).toMatchObject({ method: 'GET', path: ['v1', 'claims', 'enrollee', '1001'] });
    expect(opa.result).toEqual({ allow: true, reason: 'ok', context: {} });
    expect(opa.bundles).toEqual({ authz: { revision: 'test-rev-0001' } });
    expect(opa.requested_by).toBe(event.requestContext.identity.sourceIp);
    // Nanoseconds spent evaluating: more than nothing, less than a minute.
    expect(opa.metrics.timer_rego_query_eval_ns).toBeGreaterThan(0);
    expect(opa.metrics.timer_rego_query_eval_ns).toBeLessThan(60e9);
    expect(infoLines(logs)).toEqual([]);
    expect(errorLines(logs)).toEqual([]);
  });

  it('a rejected token: 401, one info line "token rejected" with its reason and the ids, no error line', async () => {
    const event = rest();
    event.headers = { ...event.headers, Authorization: 'Basic x' };
    event.multiValueHeaders = { ...event.multiValueHeaders, Authorization: ['Basic x'] };
    const { answer, logs } = await run(event);
    expect(answer).toBe('Unauthorized:malformed_authorization');
    expect(infoLines(logs)).toEqual([expect.objectContaining({ message: 'token rejected', reason: 'malformed_authorization', detail: 'unsupported scheme Basic', requestId: event.requestContext.requestId, decisionId: logs.summary()?.decisionId })]);
    expect(errorLines(logs)).toEqual([]);
  });

  it('a request refused before the policy: Deny with the token\'s sub, one info line with the reason', async () => {
    const event = rest();
    event.path = '/v1/claims/%2e%2e/1001';
    const { answer, logs, policyRan } = await run(event);
    expect(answer).toBe('Deny:dot_segment');
    expect(policyRan).toBe(false);
    expect(infoLines(logs)).toEqual([expect.objectContaining({ message: 'request refused before the policy', reason: 'dot_segment', detail: 'dot segment in path (plain, or behind ;params, whitespace or a Unicode form)', requestId: event.requestContext.requestId })]);
    expect(logs.summary()).toMatchObject({ result: 'rejected', sub: 'alice@acme.example' });
  });

  it('a Deny by the policy names the caller (principalId = sub) and logs no info or error line (the decision event says it)', async () => {
    const logs = captureLogs();
    const handler = createAuthorizer({
      config: { apiKeyHeader: 'x-api-key', maxTokenBytes: 8192, requestEntrypoint: 'acme/authz/decision', apiProduct: undefined },
      verifier,
      engine: Promise.resolve(scriptedEngine(() => resultOf({ allow: false, reason: 'not_own_record' }))),
      logger: logs.logger,
      decisions: logs.decisions,
    });
    const result = await handler(rest());
    expect(result.principalId).toBe('alice@acme.example');
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    expect(infoLines(logs)).toEqual([]);
    expect(errorLines(logs)).toEqual([]);
  });

  it('an authorizer failure: the thrown message is exactly "Authorizer unavailable"; the error line names the outcome, reason and error', async () => {
    const logs = captureLogs();
    const handler = createAuthorizer({
      config: { apiKeyHeader: 'x-api-key', maxTokenBytes: 8192, requestEntrypoint: 'acme/authz/decision', apiProduct: undefined },
      verifier: { hydrate: async () => undefined, verify: async () => { throw new TypeError('boom'); } },
      engine: Promise.resolve(scriptedEngine(() => resultOf(true))),
      logger: logs.logger,
      decisions: logs.decisions,
    });
    const event = rest();
    await expect(handler(event)).rejects.toThrow(new Error('Authorizer unavailable'));
    expect(errorLines(logs)).toEqual([expect.objectContaining({ message: 'authorizer failure (unavailable)', reason: 'internal_error', errorName: 'TypeError', errorMessage: 'boom', requestId: event.requestContext.requestId })]);
    expect(infoLines(logs)).toEqual([]);
  });

  it.each([
    ['no methodArn', (e: Record<string, unknown>) => { delete e.methodArn; }],
    ['a methodArn that is not a string', (e: Record<string, unknown>) => { e.methodArn = 7; }],
    ['a methodArn that is not an ARN, and no token', (e: Record<string, unknown>) => { e.methodArn = 'not-an-arn'; delete e.headers; delete e.multiValueHeaders; }],
  ])('%s: "Authorizer unavailable" before the token is looked at, with an error line saying why', async (_what, change) => {
    const event = rest() as unknown as Record<string, unknown>;
    change(event);
    const { answer, logs } = await run(event as unknown as AuthorizerEvent);
    expect(answer).toBe(UNAVAILABLE);
    expect(errorLines(logs)).toEqual([expect.objectContaining({ message: 'authorizer event has no usable methodArn/routeArn', requestId: (event.requestContext as { requestId: string }).requestId })]);
  });

  it('REST events without requestContext, without identity, or without method and path are judged, never a crash', async () => {
    const noContext = rest() as unknown as Record<string, unknown>;
    delete noContext.requestContext;
    expect((await run(noContext as unknown as AuthorizerEvent)).answer).toBe('Allow');
    const noIdentity = rest() as unknown as { requestContext: Record<string, unknown> };
    delete noIdentity.requestContext.identity;
    const judged = await run(noIdentity as unknown as AuthorizerEvent);
    expect(judged.answer).toBe('Allow');
    expect(judged.logs.summary()?.event).not.toHaveProperty('requested_by');
    const bare = rest() as unknown as Record<string, unknown>;
    delete bare.httpMethod;
    delete bare.path;
    const refused = await run(bare as unknown as AuthorizerEvent);
    expect(refused.answer).toBe('Deny:bad_path');
    expect(refused.logs.summary()).toMatchObject({ method: '', path: '' });
  });

  it('payload 2.0 events without requestContext or without requestContext.http: "Authorizer unavailable", never another error', async () => {
    const noContext = v2() as unknown as Record<string, unknown>;
    delete noContext.requestContext;
    expect((await run(noContext as unknown as AuthorizerEvent)).answer).toBe(UNAVAILABLE);
    const noHttp = v2() as unknown as { requestContext: Record<string, unknown> };
    delete noHttp.requestContext.http;
    const { answer, logs } = await run(noHttp as unknown as AuthorizerEvent);
    expect(answer).toBe(UNAVAILABLE);
    expect(logs.summary()).toMatchObject({ method: '' });
  });
});
