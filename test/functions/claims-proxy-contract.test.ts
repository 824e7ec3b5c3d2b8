/**
 * The claims proxy's contract (DESIGN.md §4, §7), one answer per case, with
 * an in-process backend that records what it was sent: each header of the
 * request and response strip lists on its own, the principal/claims check,
 * invalid backend JSON refused before any policy runs, and the status and
 * reason of every refusal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { BackendClient, BackendRequest, BackendResponse } from '../../functions/claims-proxy/backend-client';
import { createClaimsProxy, type HttpApiProxyEvent } from '../../functions/claims-proxy/claims-proxy';
import { PolicyBundleError } from '../../functions/shared/errors';
import type { PolicyEngine } from '../../functions/shared/policy-engine';
import { policyStoreOf } from '../../functions/shared/policy-store';
import { createShadow, type ShadowOutcome } from '../../functions/shared/shadow';
import { resultOf, scriptedEngine, throwingEngine } from './support/engines';
import { captureLogs, type Captured } from './support/logs';

const SECRET = 'secret-7f3c';

class FakeBackend implements BackendClient {
  readonly sent: BackendRequest[] = [];
  constructor(public answer: BackendResponse) {}
  async send(request: BackendRequest): Promise<BackendResponse> {
    this.sent.push(request);
    return this.answer;
  }
}

const json = (value: unknown, headers: Record<string, string> = {}, status = 200): BackendResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: Buffer.from(JSON.stringify(value)),
});

const restEvent = (): APIGatewayProxyEvent =>
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'events', 'proxy-get-own-record.json'), 'utf8')) as APIGatewayProxyEvent;
const v2Event = (): HttpApiProxyEvent =>
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'events', 'proxy-http-api-v2.json'), 'utf8')) as HttpApiProxyEvent;

/** The identity response policy: returns the body it was given (records every input). */
const identity = (): ReturnType<typeof scriptedEngine> => scriptedEngine((_e, input) => resultOf((input.response as { body?: unknown }).body));

async function run(
  event: APIGatewayProxyEvent | HttpApiProxyEvent,
  backend: FakeBackend,
  engine = identity(),
): Promise<{ result: APIGatewayProxyResult; engine: ReturnType<typeof identity>; logs: Captured; decision: Record<string, unknown> | undefined }> {
  const logs = captureLogs();
  const handler = createClaimsProxy({
    config: { apiKeyHeader: 'x-api-key', responseEntrypoint: 'acme/filter/response' },
    backend,
    engine: Promise.resolve(engine),
    logger: logs.logger,
    decisions: logs.decisions,
  });
  const result = await handler(event);
  return { result, engine, logs, decision: logs.summary() as Record<string, unknown> | undefined };
}

describe('request headers sent to the backend', () => {
  const FORWARDED = ['accept', 'accept-language', 'content-type', 'user-agent', 'if-match', 'if-unmodified-since', 'traceparent', 'tracestate', 'x-correlation-id'];
  const DROPPED = ['authorization', 'proxy-authorization', 'x-amz-security-token', 'cookie', 'x-api-key', 'connection', 'te', 'upgrade', 'host', 'x-forwarded-host', 'if-none-match', 'if-modified-since', 'x-authz-sub', 'x-request-id'];

  it.each(FORWARDED)('%s is forwarded (one value, and several joined by ", ")', async (name) => {
    const event = restEvent();
    event.headers = {};
    event.multiValueHeaders = { [name.toUpperCase()]: ['v1', 'v2'] };
    const backend = new FakeBackend(json({}));
    await run(event, backend);
    expect(backend.sent[0].headers[name]).toBe('v1, v2');
  });

  it.each(DROPPED)('%s from the client never reaches the backend (its value nowhere in the request)', async (name) => {
    const event = restEvent();
    event.headers = { [name]: SECRET };
    event.multiValueHeaders = { [name]: [SECRET] };
    const backend = new FakeBackend(json({}));
    const { result } = await run(event, backend);
    expect(result.statusCode).toBe(200);
    expect(JSON.stringify(backend.sent[0].headers)).not.toContain(SECRET);
  });

  it('adds x-request-id, x-authz-sub (the verified sub) and x-forwarded-for (the source IP), and nothing else', async () => {
    const event = restEvent();
    event.headers = {};
    event.multiValueHeaders = {};
    const backend = new FakeBackend(json({}));
    await run(event, backend);
    expect(backend.sent[0].headers).toEqual({
      'x-request-id': event.requestContext.requestId,
      'x-authz-sub': 'alice@acme.example',
      'x-forwarded-for': event.requestContext.identity.sourceIp,
    });
  });

  it('no x-forwarded-for when the event has no source IP', async () => {
    const event = restEvent();
    (event.requestContext.identity as { sourceIp?: string }).sourceIp = undefined;
    const backend = new FakeBackend(json({}));
    await run(event, backend);
    expect(backend.sent[0].headers).not.toHaveProperty('x-forwarded-for');
  });

  it('the backend gets the method, the path the policy saw (re-encoded) and the query', async () => {
    const event = restEvent();
    event.httpMethod = 'post';
    event.path = '/v1/claims/a%20b';
    event.body = '{"x":1}';
    const backend = new FakeBackend(json({}));
    await run(event, backend);
    expect(backend.sent[0]).toMatchObject({ method: 'POST', path: '/v1/claims/a%20b', query: { status: ['open'] } });
    expect(backend.sent[0].body?.toString('utf8')).toBe('{"x":1}');
  });

  it('a base64-encoded body is decoded before it is forwarded', async () => {
    const event = restEvent();
    event.httpMethod = 'PUT';
    event.body = Buffer.from('{"y":2}').toString('base64');
    event.isBase64Encoded = true;
    const backend = new FakeBackend(json({}));
    await run(event, backend);
    expect(backend.sent[0].body?.toString('utf8')).toBe('{"y":2}');
  });
});

describe('backend response headers', () => {
  const HIDDEN_FROM_POLICY = ['set-cookie', 'set-cookie2', 'authorization', 'www-authenticate'];

  it.each(HIDDEN_FROM_POLICY)('%s is not in the response policy\'s input; other headers are', async (name) => {
    const backend = new FakeBackend(json({ a: 1 }, { [name]: SECRET, 'x-backend-note': 'n' }));
    const { engine } = await run(restEvent(), backend);
    const headers = (engine.calls[0].input.response as { headers: Record<string, string> }).headers;
    expect(headers['x-backend-note']).toBe('n');
    expect(JSON.stringify(engine.calls[0].input)).not.toContain(SECRET);
  });

  it.each([...HIDDEN_FROM_POLICY, 'etag', 'last-modified', 'cache-control', 'server', 'x-powered-by', 'x-backend-note'])(
    '%s from the backend is not returned to the client',
    async (name) => {
      const backend = new FakeBackend(json({ a: 1 }, { [name]: SECRET }));
      const { result } = await run(restEvent(), backend);
      expect(result.statusCode).toBe(200);
      expect(JSON.stringify(result.headers)).not.toContain(SECRET);
    },
  );

  it('the client gets exactly content-type, content-language, x-request-id and the security headers', async () => {
    const backend = new FakeBackend(json({ a: 1 }, { 'content-language': 'de', 'cache-control': 'public', 'x-content-type-options': 'sniff' }));
    const event = restEvent();
    const { result } = await run(event, backend);
    expect(result.headers).toEqual({
      'content-type': 'application/json',
      'content-language': 'de',
      'x-request-id': event.requestContext.requestId,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    expect(JSON.parse(result.body)).toEqual({ a: 1 });
  });
});

describe('backend bodies', () => {
  it('invalid JSON: 502 bad_json, and the response policy never runs (even one that would pass anything through)', async () => {
    const backend = new FakeBackend({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(`{"ssn":"${SECRET}",`) });
    const engine = identity();
    const { result, decision } = await run(restEvent(), backend, engine);
    expect(result.statusCode).toBe(502);
    expect(result.body).not.toContain(SECRET);
    expect(engine.calls).toHaveLength(0);
    expect(decision).toMatchObject({ result: 'error', reason: 'bad_json' });
  });

  it('an +json media type with parameters is JSON for the policy', async () => {
    const backend = new FakeBackend({ status: 200, headers: { 'content-type': 'Application/Problem+JSON; charset=utf-8' }, body: Buffer.from('{"a":1}') });
    const { engine, result } = await run(restEvent(), backend);
    expect((engine.calls[0].input.response as { body: unknown }).body).toEqual({ a: 1 });
    expect(result.headers?.['content-type']).toBe('application/json');
  });

  it.each(['application/jsonx', 'text/json', 'application/json-seq', 'xapplication/json'])('%s is not JSON: the policy sees no body and must allow it explicitly', async (type) => {
    const backend = new FakeBackend({ status: 200, headers: { 'content-type': type }, body: Buffer.from(`{"ssn":"${SECRET}"}`) });
    const { engine, result } = await run(restEvent(), backend);
    expect(engine.calls[0].input.response).toEqual({ status: 200, headers: { 'content-type': type }, contentType: type });
    expect(result.statusCode).toBe(403);
    expect(result.body).not.toContain(SECRET);
  });

  it('a non-JSON body without a content type is withheld unless allowed, and sent as base64 when allowed', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0x7f]);
    const backend = new FakeBackend({ status: 200, headers: {}, body: bytes });
    expect((await run(restEvent(), backend)).result.statusCode).toBe(403);
    const { result, decision } = await run(restEvent(), backend, scriptedEngine(() => resultOf(true)));
    expect(result).toMatchObject({ statusCode: 200, isBase64Encoded: true, body: bytes.toString('base64') });
    expect(result.headers?.['content-type']).toBe('application/octet-stream');
    expect(decision).toMatchObject({ result: 'allow', reason: 'passthrough' });
  });

  it('an allowed text body is sent as text', async () => {
    const backend = new FakeBackend({ status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from('hello') });
    const { result } = await run(restEvent(), backend, scriptedEngine(() => resultOf(true)));
    expect(result).toMatchObject({ statusCode: 200, isBase64Encoded: false, body: 'hello' });
  });

  it('an empty body is JSON null for the policy and stays empty', async () => {
    const backend = new FakeBackend({ status: 204, headers: {}, body: Buffer.alloc(0) });
    const { engine, result } = await run(restEvent(), backend);
    expect((engine.calls[0].input.response as { body: unknown }).body).toBeNull();
    expect(result).toMatchObject({ statusCode: 204, body: '' });
  });

  it('a policy that returns null for a non-empty body sends "null"', async () => {
    const backend = new FakeBackend(json({ a: 1 }));
    const { result } = await run(restEvent(), backend, scriptedEngine(() => resultOf(null)));
    expect(result.body).toBe('null');
  });

  it.each([[500], [502], [599]])('backend status %i: 502 backend_error, the policy never runs', async (status) => {
    const backend = new FakeBackend(json({ ssn: SECRET }, {}, status));
    const { result, engine, decision } = await run(restEvent(), backend);
    expect(result.statusCode).toBe(502);
    expect(result.body).not.toContain(SECRET);
    expect(engine.calls).toHaveLength(0);
    expect(decision).toMatchObject({ reason: 'backend_error' });
  });

  it('backend status 499 is the backend\'s answer, judged by the policy', async () => {
    const backend = new FakeBackend(json({ a: 1 }, {}, 499));
    expect((await run(restEvent(), backend)).result.statusCode).toBe(499);
  });
});

describe('the caller from the authorizer context', () => {
  const withContext = (ctx: Record<string, unknown> | null): APIGatewayProxyEvent => {
    const event = restEvent();
    event.requestContext.authorizer = ctx;
    return event;
  };
  const claims = JSON.stringify({ sub: 'alice@acme.example', scp: ['claims:read'] });

  it.each([
    ['principalId missing', { claims }, 'missing_authorizer_context'],
    ['principalId empty', { principalId: '', claims }, 'missing_authorizer_context'],
    ['principalId not a string', { principalId: 7, claims }, 'missing_authorizer_context'],
    ['claims missing', { principalId: 'alice@acme.example' }, 'missing_authorizer_context'],
    ['claims not a string', { principalId: 'alice@acme.example', claims: { sub: 'alice@acme.example' } }, 'missing_authorizer_context'],
    ['claims not JSON', { principalId: 'alice@acme.example', claims: '{sub' }, 'malformed_authorizer_context'],
    ['claims JSON null', { principalId: 'alice@acme.example', claims: 'null' }, 'malformed_authorizer_context'],
    ['claims a JSON array', { principalId: 'alice@acme.example', claims: '["alice@acme.example"]' }, 'malformed_authorizer_context'],
    ['claims a JSON string', { principalId: 'alice@acme.example', claims: '"alice@acme.example"' }, 'malformed_authorizer_context'],
    ['claims without sub', { principalId: 'alice@acme.example', claims: '{"scp":[]}' }, 'principal_mismatch'],
    ['claims of another sub', { principalId: 'alice@acme.example', claims: JSON.stringify({ sub: 'mallory@evil.example' }) }, 'principal_mismatch'],
  ])('%s: 502 %s, the backend is never called', async (_what, ctx, reason) => {
    const backend = new FakeBackend(json({ ssn: SECRET }));
    const { result, decision } = await run(withContext(ctx), backend);
    expect(result.statusCode).toBe(502);
    expect(backend.sent).toHaveLength(0);
    expect(decision).toMatchObject({ result: 'error', reason });
  });

  it('principalId equal to the claims\' sub: the backend gets that sub, the policy gets the claims and their scopes', async () => {
    const backend = new FakeBackend(json({ a: 1 }));
    const { result, engine } = await run(withContext({ principalId: 'alice@acme.example', claims, decisionId: 'req-decision-1' }), backend);
    expect(result.statusCode).toBe(200);
    expect(backend.sent[0].headers['x-authz-sub']).toBe('alice@acme.example');
    expect(engine.calls[0].input.token).toEqual({ payload: { sub: 'alice@acme.example', scp: ['claims:read'] }, scopes: ['claims:read'] });
  });

  it('an error answer carries the request decision id from the authorizer context', async () => {
    const backend = new FakeBackend(json({}, {}, 500));
    const { result } = await run(withContext({ principalId: 'alice@acme.example', claims, decisionId: 'req-decision-1' }), backend);
    expect(JSON.parse(result.body)).toMatchObject({ error: 'bad_gateway', requestDecisionId: 'req-decision-1' });
  });

  it('HTTP API: the principalId beside the lambda context must also equal the claims\' sub', async () => {
    const event = v2Event();
    const authorizer = event.requestContext.authorizer as unknown as { principalId?: string; lambda: Record<string, unknown> };
    authorizer.principalId = 'mallory@evil.example';
    const backend = new FakeBackend(json({}));
    const { result, decision } = await run(event, backend);
    expect(result.statusCode).toBe(502);
    expect(backend.sent).toHaveLength(0);
    expect(decision).toMatchObject({ reason: 'principal_mismatch' });
  });

  it('HTTP API: without a principalId beside it, the one inside the lambda context is used', async () => {
    const event = v2Event();
    const authorizer = event.requestContext.authorizer as unknown as { principalId?: string; lambda: Record<string, unknown> };
    delete authorizer.principalId;
    authorizer.lambda.principalId = 'alice@acme.example';
    const backend = new FakeBackend(json({}));
    expect((await run(event, backend)).result.statusCode).toBe(200);
    authorizer.lambda.principalId = 'mallory@evil.example';
    expect((await run(event, backend)).decision).toMatchObject({ reason: 'principal_mismatch' });
  });
});

describe('refusals', () => {
  it('withheld: 403 access_denied with reason response_withheld, the decision ids, and no error log', async () => {
    const backend = new FakeBackend(json({ ssn: SECRET }));
    const { result, logs } = await run(restEvent(), backend, scriptedEngine(() => []));
    expect(result.statusCode).toBe(403);
    const body = JSON.parse(result.body) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'access_denied', reason: 'response_withheld' });
    expect(body.decisionId).toEqual(expect.any(String));
    expect(logs.parsed().filter((l) => l.level === 'error')).toEqual([]);
  });

  it('a failure answer carries no reason field (only a withheld body says why)', async () => {
    const backend = new FakeBackend(json({}, {}, 500));
    const body = JSON.parse((await run(restEvent(), backend)).result.body) as Record<string, unknown>;
    expect(body).not.toHaveProperty('reason');
  });
});

describe('what the decision log and the logs say', () => {
  const errorLine = (logs: Captured): Record<string, unknown> | undefined => logs.parsed().find((l) => l.level === 'error');
  /** Info lines of the request itself (not decision events, not the policy store's). */
  const infoLines = (logs: Captured): Array<Record<string, unknown>> =>
    logs.parsed().filter((l) => l.level === 'info' && l.decision_id === undefined && l.message !== 'policy activated');

  it.each([
    ['claims not JSON', '{sub', 'authorizer claims are not JSON'],
    ['claims JSON but not an object', '"alice@acme.example"', 'authorizer claims are not an object'],
    ['claims of another sub', JSON.stringify({ sub: 'mallory@evil.example' }), 'authorizer principalId does not match the claims'],
  ])('%s: the error log names what is wrong with the authorizer context', async (_what, claims, message) => {
    const event = restEvent();
    event.requestContext.authorizer = { principalId: 'alice@acme.example', claims };
    const { logs } = await run(event, new FakeBackend(json({})));
    expect(errorLine(logs)).toMatchObject({ message: 'claims proxy failed (no backend body sent)', errorName: 'AuthorizerContextError', errorMessage: message, status: 502, reason: expect.any(String) });
  });

  it('no authorizer context: the error log says the authorizer may not be attached', async () => {
    const event = restEvent();
    event.requestContext.authorizer = null;
    const { logs } = await run(event, new FakeBackend(json({})));
    expect(errorLine(logs)).toMatchObject({ reason: 'missing_authorizer_context', errorMessage: 'no verified claims in requestContext.authorizer (is the authorizer attached?)' });
  });

  it('invalid backend JSON: the error log says so, with the request and decision ids', async () => {
    const event = restEvent();
    const backend = new FakeBackend({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{') });
    const { logs, decision } = await run(event, backend);
    expect(errorLine(logs)).toMatchObject({ reason: 'bad_json', errorName: 'BackendBadResponseError', errorMessage: 'backend sent invalid JSON', requestId: event.requestContext.requestId, decisionId: decision?.decisionId });
  });

  it('a refused request (path trick) is logged at info with its reason and status; a withheld body is not', async () => {
    const event = restEvent();
    event.path = '/v1/claims/%2e%2e/x';
    const refused = await run(event, new FakeBackend(json({})));
    expect(refused.result.statusCode).toBe(400);
    expect(infoLines(refused.logs)).toEqual([expect.objectContaining({ message: 'request refused', reason: 'dot_segment', detail: 'dot segment in path (plain, or behind ;params, whitespace or a Unicode form)', status: 400, requestId: event.requestContext.requestId })]);
    const withheld = await run(restEvent(), new FakeBackend(json({ a: 1 })), scriptedEngine(() => []));
    expect(withheld.result.statusCode).toBe(403);
    expect(infoLines(withheld.logs)).toEqual([]);
  });

  it('a GET body that is dropped is logged with its size', async () => {
    const event = restEvent();
    event.body = 'abc';
    const { logs } = await run(event, new FakeBackend(json({})));
    expect(infoLines(logs)).toEqual([expect.objectContaining({ message: 'body of a GET/HEAD request dropped', bytes: 3, requestId: event.requestContext.requestId })]);
  });

  it('a response policy that fails: 502 with the policy\'s own reason (not a crash), an error log naming the failure', async () => {
    const { result, decision, logs } = await run(restEvent(), new FakeBackend(json({ ssn: SECRET })), Object.assign(throwingEngine(), { calls: [] }));
    expect(result.statusCode).toBe(502);
    expect(result.body).not.toContain(SECRET);
    expect(decision).toMatchObject({ result: 'error', reason: 'evaluation_error' });
    expect(errorLine(logs)).toMatchObject({ reason: 'evaluation_error', errorName: 'PolicyEvaluationError' });
  });

  it('a filtered answer is one decision event: entrypoint, input, the body sent, the evaluation time and the bundle revision', async () => {
    const event = restEvent();
    const { decision } = await run(event, new FakeBackend(json({ a: 1 })));
    expect(decision).toMatchObject({ result: 'filtered', reason: 'filtered', method: 'GET', path: event.path, requestId: event.requestContext.requestId });
    const opa = decision?.event as Record<string, unknown> & { metrics: Record<string, number> };
    expect(opa.path).toBe('acme/filter/response');
    expect(opa.input).toMatchObject({ method: 'GET', response: { status: 200, body: { a: 1 } } });
    expect(opa.result).toEqual({ a: 1 });
    expect(opa.bundles).toEqual({ authz: { revision: 'test-rev-0001' } });
    expect(opa.requested_by).toBe(event.requestContext.identity.sourceIp);
    // Nanoseconds spent evaluating: more than nothing, less than a minute.
    expect(opa.metrics.timer_rego_query_eval_ns).toBeGreaterThan(0);
    expect(opa.metrics.timer_rego_query_eval_ns).toBeLessThan(60e9);
  });

  it('an event without requestContext or method/path is answered (502 missing context), its decision logged with empty method and path', async () => {
    const event = restEvent() as unknown as Record<string, unknown>;
    delete event.requestContext;
    delete event.httpMethod;
    delete event.path;
    const { result, decision } = await run(event as unknown as APIGatewayProxyEvent, new FakeBackend(json({})));
    expect(result.statusCode).toBe(502);
    expect(JSON.parse(result.body)).toMatchObject({ error: 'bad_gateway', requestId: decision?.decisionId });
    expect(decision).toMatchObject({ reason: 'missing_authorizer_context', method: '', path: '' });
  });

  it('HTTP API: an event without requestContext.http or without an authorizer is answered (502 missing context), never a crash', async () => {
    const noHttp = v2Event() as unknown as { requestContext: Record<string, unknown> };
    delete noHttp.requestContext.http;
    delete noHttp.requestContext.authorizer;
    const a = await run(noHttp as unknown as HttpApiProxyEvent, new FakeBackend(json({})));
    expect(a.decision).toMatchObject({ reason: 'missing_authorizer_context', method: '' });
    const noLambda = v2Event() as unknown as { requestContext: { authorizer: Record<string, unknown> } };
    noLambda.requestContext.authorizer = {};
    expect((await run(noLambda as unknown as HttpApiProxyEvent, new FakeBackend(json({})))).decision).toMatchObject({ reason: 'missing_authorizer_context' });
    const noContext = v2Event() as unknown as Record<string, unknown>;
    delete noContext.requestContext;
    expect((await run(noContext as unknown as HttpApiProxyEvent, new FakeBackend(json({})))).decision).toMatchObject({ reason: 'missing_authorizer_context', method: '' });
  });

  it('REST: an event without requestContext.identity is served, without x-forwarded-for', async () => {
    const event = restEvent() as unknown as { requestContext: Record<string, unknown> };
    delete event.requestContext.identity;
    const backend = new FakeBackend(json({}));
    const { result } = await run(event as unknown as APIGatewayProxyEvent, backend);
    expect(result.statusCode).toBe(200);
    expect(backend.sent[0].headers).not.toHaveProperty('x-forwarded-for');
  });
});

describe('answers in detail', () => {
  it('no policy loaded (503): the answer says when to retry; a 502 does not', async () => {
    const logs = captureLogs();
    const handler = createClaimsProxy({
      config: { apiKeyHeader: 'x-api-key', responseEntrypoint: 'acme/filter/response' },
      backend: new FakeBackend(json({})),
      engine: {
        name: 'authz',
        engine: () => {
          throw new PolicyBundleError('no_policy', 'no policy bundle loaded');
        },
        active: () => undefined,
        idle: async () => undefined,
      },
      logger: logs.logger,
      decisions: logs.decisions,
    });
    const unavailable = await handler(restEvent());
    expect(unavailable.statusCode).toBe(503);
    expect(unavailable.headers?.['retry-after']).toBe('1');
    const failed = (await run(restEvent(), new FakeBackend(json({}, {}, 500)))).result;
    expect(failed.statusCode).toBe(502);
    expect(Object.keys(failed.headers ?? {})).not.toContain('retry-after');
  });

  it('a requestDecisionId that is not a string is not echoed', async () => {
    const event = restEvent();
    event.requestContext.authorizer = { principalId: 'alice@acme.example', claims: JSON.stringify({ sub: 'alice@acme.example' }), decisionId: 7 };
    const { result } = await run(event, new FakeBackend(json({}, {}, 500)));
    expect(JSON.parse(result.body)).not.toHaveProperty('requestDecisionId');
  });

  it('without content-language from the backend, the client gets no such header (not even an undefined one)', async () => {
    const { result } = await run(restEvent(), new FakeBackend(json({ a: 1 })));
    expect(Object.keys(result.headers ?? {}).sort()).toEqual(['cache-control', 'content-type', 'x-content-type-options', 'x-request-id']);
  });

  it.each(['application/json ; charset=utf-8', 'application/problem+json', 'APPLICATION/VND.API+JSON '])('%s is JSON for the policy', async (type) => {
    const backend = new FakeBackend({ status: 200, headers: { 'content-type': type }, body: Buffer.from('{"a":1}') });
    const { engine } = await run(restEvent(), backend);
    expect((engine.calls[0].input.response as { body: unknown }).body).toEqual({ a: 1 });
  });

  it.each(['xapplication/problem+json', 'application/problem+jsonx', 'application/+json'])('%s is not JSON: the policy sees no body', async (type) => {
    const backend = new FakeBackend({ status: 200, headers: { 'content-type': type }, body: Buffer.from('{"a":1}') });
    const { engine } = await run(restEvent(), backend);
    expect(engine.calls[0].input.response).toEqual({ status: 200, headers: { 'content-type': type }, contentType: type });
  });

  it('a non-JSON body without a content type: the policy sees contentType ""', async () => {
    const backend = new FakeBackend({ status: 200, headers: {}, body: Buffer.from([1, 2]) });
    const { engine } = await run(restEvent(), backend);
    expect(engine.calls[0].input.response).toEqual({ status: 200, headers: {}, contentType: '' });
  });

  it('an allowed body is sent as text only for text/* or a charset; "text/" elsewhere in the type is binary (base64)', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x41]);
    const allow = (): ReturnType<typeof scriptedEngine> => scriptedEngine(() => resultOf(true));
    const binary = await run(restEvent(), new FakeBackend({ status: 200, headers: { 'content-type': 'application/octet-stream; name=text/x' }, body: bytes }), allow());
    expect(binary.result).toMatchObject({ isBase64Encoded: true, body: bytes.toString('base64') });
    const charset = await run(restEvent(), new FakeBackend({ status: 200, headers: { 'content-type': 'application/xml; charset=utf-8' }, body: Buffer.from('<a/>') }), allow());
    expect(charset.result).toMatchObject({ isBase64Encoded: false, body: '<a/>' });
  });

  it('a policy that returns a body for an empty backend answer: that body is sent', async () => {
    const backend = new FakeBackend({ status: 200, headers: {}, body: Buffer.alloc(0) });
    const { result } = await run(restEvent(), backend, scriptedEngine(() => resultOf({ note: 'empty' })));
    expect(JSON.parse(result.body)).toEqual({ note: 'empty' });
  });
});

describe('with a shadow candidate: what it is compared on', () => {
  async function runShadow(enforced: PolicyEngine, candidate: PolicyEngine, answer: BackendResponse): Promise<{ result: APIGatewayProxyResult; outcomes: ShadowOutcome[]; logs: Captured }> {
    const logs = captureLogs();
    const store = policyStoreOf(Promise.resolve(Object.assign(candidate, { revision: 'candidate-1' })), logs.logger, 'shadow');
    await store.idle();
    const outcomes: ShadowOutcome[] = [];
    const handler = createClaimsProxy({
      config: { apiKeyHeader: 'x-api-key', responseEntrypoint: 'acme/filter/response' },
      backend: new FakeBackend(answer),
      engine: Promise.resolve(enforced),
      shadow: createShadow(store, 1000),
      onShadow: (o) => outcomes.push(o),
      logger: logs.logger,
      decisions: logs.decisions,
    });
    return { result: await handler(restEvent()), outcomes, logs };
  }
  const body = (value: unknown): PolicyEngine => scriptedEngine(() => resultOf(value));
  const candidateOf = (o: ShadowOutcome | undefined): unknown => (o?.kind === 'disagreed' ? o.candidate : o?.kind);

  it('the same filtered body: agreed', async () => {
    const { outcomes } = await runShadow(body({ a: 1 }), body({ a: 1 }), json({ a: 1, b: 2 }));
    expect(outcomes.map((o) => o.kind)).toEqual(['agreed']);
  });

  it('another body: disagreed, the candidate\'s body as result and detail; the answer is the enforced one', async () => {
    const { outcomes, result } = await runShadow(body({ a: 1 }), body({ a: 1, b: 2 }), json({ a: 1, b: 2 }));
    expect(candidateOf(outcomes[0])).toEqual({ outcome: 'body', result: { a: 1, b: 2 }, detail: { a: 1, b: 2 } });
    expect(JSON.parse(result.body)).toEqual({ a: 1 });
  });

  it('a candidate that withholds: outcome withheld, no result', async () => {
    const { outcomes } = await runShadow(body({ a: 1 }), scriptedEngine(() => []), json({ a: 1 }));
    expect(candidateOf(outcomes[0])).toEqual({ outcome: 'withheld', result: undefined });
  });

  it('a candidate that passes a non-JSON body the enforced policy withholds: outcome passthrough, result true', async () => {
    const { outcomes, result } = await runShadow(scriptedEngine(() => []), body(true), { status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from('hi') });
    expect(candidateOf(outcomes[0])).toEqual({ outcome: 'passthrough', result: true });
    expect(result.statusCode).toBe(403);
  });

  it('a candidate that fails: outcome error:<reason>; both failing the same way agree', async () => {
    const { outcomes } = await runShadow(body({ a: 1 }), throwingEngine(), json({ a: 1 }));
    expect(candidateOf(outcomes[0])).toEqual({ outcome: 'error:evaluation_error', result: undefined });
    const both = await runShadow(throwingEngine(), throwingEngine(), json({ a: 1 }));
    expect(both.outcomes.map((o) => o.kind)).toEqual(['agreed']);
    expect(both.result.statusCode).toBe(502);
  });

  it('the enforced policy failing and the candidate answering: disagreed, logged with the enforced outcome error:<reason>', async () => {
    const { outcomes, logs } = await runShadow(throwingEngine(), body({ a: 1 }), json({ a: 1 }));
    expect(outcomes[0]?.kind).toBe('disagreed');
    const shadowEvent = logs.events().find((e) => (e.custom as Record<string, unknown>).type === 'shadow_disagreement');
    expect((shadowEvent?.custom as { shadow: Record<string, unknown> }).shadow).toMatchObject({ outcome: 'body', enforced_outcome: 'error:evaluation_error' });
  });
});
