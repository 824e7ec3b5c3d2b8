/**
 * The policy input's contract (DESIGN.md §3, §7), one answer per case: which
 * headers a policy may never see, in every spelling and event version; the
 * header, method and path limits that refuse a request before the policy.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { InvalidTokenError, PolicyDeniedError, rejectionDetail, RequestRejectedError } from '../../functions/shared/errors';
import { buildRequestInput, MAX_HEADERS, requestFacts, SECRET_HEADERS, type AnyRequestEvent } from '../../functions/shared/request-input';
import { checkedSegments, pathSegments } from '../../functions/shared/request-path';
import type { VerifiedToken } from '../../functions/shared/token-verifier';

const EVENTS = path.join(__dirname, '..', 'events');
const restEvent = (): APIGatewayRequestAuthorizerEvent =>
  JSON.parse(fs.readFileSync(path.join(EVENTS, 'authorizer-get-own-record.json'), 'utf8')) as APIGatewayRequestAuthorizerEvent;
const v2Event = (): APIGatewayRequestAuthorizerEventV2 =>
  JSON.parse(fs.readFileSync(path.join(EVENTS, 'authorizer-http-api-v2.json'), 'utf8')) as APIGatewayRequestAuthorizerEventV2;

const token: VerifiedToken = { sub: 'alice@acme.example', payload: { sub: 'alice@acme.example' }, scopes: [] };
const SECRET_VALUE = 'secret-value-7f3c';

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    if (error instanceof RequestRejectedError) return error.reason;
    throw error;
  }
  return 'accepted';
}

const headersOf = (event: AnyRequestEvent): Readonly<Record<string, string>> => buildRequestInput(requestFacts(event), token, 'X-Api-Key').headers;

/**
 * Every header name the policy must never see (written out here, not taken
 * from SECRET_HEADERS, so dropping one from the module fails a test), with
 * the spellings a client may use.
 */
const WITHHELD = ['authorization', 'proxy-authorization', 'cookie', 'x-amz-security-token', 'x-api-key'];
const spellings = (name: string): string[] => [name, name.toUpperCase(), name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => `${dash}${c.toUpperCase()}`)];
const CASES = WITHHELD.flatMap((name) => spellings(name).map((spelt) => [name, spelt] as const));

describe('headers a policy never sees, one at a time, in every spelling', () => {
  it.each(CASES)('%s spelt %s: absent from a payload 2.0 event\'s input, the other headers kept', (_name, spelt) => {
    const event = v2Event();
    event.headers = { [spelt]: SECRET_VALUE, 'X-Trace': 't-1' };
    expect(headersOf(event)).toEqual({ 'x-trace': 't-1' });
  });

  it.each(CASES)('%s spelt %s: absent from a REST event\'s input (single-value headers)', (_name, spelt) => {
    const event = restEvent();
    event.headers = { [spelt]: SECRET_VALUE, 'X-Trace': 't-1' };
    event.multiValueHeaders = {};
    expect(headersOf(event)).toEqual({ 'x-trace': 't-1' });
  });

  it.each(CASES)('%s spelt %s: absent from a REST event\'s input (multi-value headers)', (_name, spelt) => {
    const event = restEvent();
    event.headers = {};
    event.multiValueHeaders = { [spelt]: [SECRET_VALUE, 'second'], 'X-Trace': ['t-1', 't-2'] };
    expect(headersOf(event)).toEqual({ 'x-trace': 't-1, t-2' });
  });

  it('SECRET_HEADERS names the four credentials headers', () => {
    expect([...SECRET_HEADERS].sort()).toEqual(['authorization', 'cookie', 'proxy-authorization', 'x-amz-security-token']);
  });

  it('header names reach the policy lower-cased in both event versions', () => {
    const v2 = v2Event();
    v2.headers = { 'X-Trace': 't-1', ACCEPT: 'a' };
    expect(headersOf(v2)).toEqual({ 'x-trace': 't-1', accept: 'a' });
    const rest = restEvent();
    rest.headers = { 'X-Trace': 't-1', ACCEPT: 'a' };
    rest.multiValueHeaders = {};
    expect(headersOf(rest)).toEqual({ 'x-trace': 't-1', accept: 'a' });
  });
});

describe('header limit', () => {
  const named = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v']));

  it(`payload 2.0: ${MAX_HEADERS} headers pass, one more is refused (too_many_headers)`, () => {
    const ok = v2Event();
    ok.headers = named(MAX_HEADERS);
    expect(requestFacts(ok).rawHeaders).toHaveLength(MAX_HEADERS);
    const over = v2Event();
    over.headers = named(MAX_HEADERS + 1);
    expect(refusal(() => requestFacts(over))).toBe('too_many_headers');
  });

  it(`REST single-value headers: ${MAX_HEADERS} pass, one more is refused`, () => {
    const ok = restEvent();
    ok.multiValueHeaders = {};
    ok.headers = named(MAX_HEADERS);
    expect(requestFacts(ok).rawHeaders).toHaveLength(MAX_HEADERS);
    const over = restEvent();
    over.multiValueHeaders = {};
    over.headers = named(MAX_HEADERS + 1);
    expect(refusal(() => requestFacts(over))).toBe('too_many_headers');
  });
});

describe('HTTP method', () => {
  const withMethod = (httpMethod: string): APIGatewayRequestAuthorizerEvent => ({ ...restEvent(), httpMethod });

  it.each([
    ['', 'bad_method'],
    ['G*T', 'bad_method'],
    ['GET ', 'bad_method'],
    ['GET\n', 'bad_method'],
    ['A'.repeat(17), 'bad_method'],
    ['A'.repeat(16), 'accepted'],
    ['get', 'accepted'],
    ['G', 'accepted'],
  ])('REST method %j: %s', (method, answer) => {
    expect(refusal(() => requestFacts(withMethod(method)))).toBe(answer);
  });

  it('is upper-cased in both event versions', () => {
    expect(requestFacts(withMethod('patch')).method).toBe('PATCH');
    const v2 = v2Event();
    v2.requestContext.http.method = 'delete';
    expect(requestFacts(v2).method).toBe('DELETE');
  });

  it('falls back to requestContext.httpMethod when the event has none', () => {
    const event = restEvent();
    (event as { httpMethod?: string }).httpMethod = undefined;
    event.requestContext.httpMethod = 'put';
    expect(requestFacts(event).method).toBe('PUT');
  });
});

describe('path limits', () => {
  it('2048 bytes in one segment pass; 2049 are refused (path_too_long) on both the plain and the full checks', () => {
    const exact = `/${'a'.repeat(2047)}`;
    expect(pathSegments(exact)).toEqual(['a'.repeat(2047)]);
    expect(checkedSegments(exact)).toEqual(['a'.repeat(2047)]);
    const over = `/${'a'.repeat(2048)}`;
    expect(refusal(() => pathSegments(over))).toBe('path_too_long');
    expect(refusal(() => checkedSegments(over))).toBe('path_too_long');
  });

  it('the limit counts UTF-8 bytes, not characters: 1100 two-byte letters in one segment are refused', () => {
    const raw = `/${'é'.repeat(1100)}`;
    expect(raw.length).toBeLessThan(2048);
    expect(refusal(() => pathSegments(raw))).toBe('path_too_long');
  });

  it('64 segments pass and 65 are refused, on the plain path and on one that takes the full checks', () => {
    expect(pathSegments('/a'.repeat(64))).toHaveLength(64);
    expect(refusal(() => pathSegments('/a'.repeat(65)))).toBe('path_too_long');
    expect(pathSegments(`${'/a'.repeat(63)}/%C3%A9`)).toHaveLength(64);
    expect(refusal(() => pathSegments(`${'/a'.repeat(64)}/%C3%A9`))).toBe('path_too_long');
  });

  it('%25 followed by two hex digits is double encoding; a literal % before anything else is an ordinary character', () => {
    expect(refusal(() => pathSegments('/v1/%252e'))).toBe('double_encoding');
    expect(pathSegments('/v1/%25zz')).toEqual(['v1', '%zz']);
    expect(pathSegments('/v1/%25a')).toEqual(['v1', '%a']);
    expect(pathSegments('/v1/%25ag')).toEqual(['v1', '%ag']);
  });

  it('a path must start with / and carry no query or fragment', () => {
    expect(refusal(() => pathSegments('v1/claims'))).toBe('bad_path');
    expect(refusal(() => pathSegments('/v1/claims?x=1'))).toBe('bad_path');
    expect(refusal(() => pathSegments('/v1/claims#x'))).toBe('bad_path');
  });
});

describe('the reason a path is refused with', () => {
  it.each([
    ['/v1/a%2f%2541', 'encoded_slash'],
    ['/v1/a%5C%2541', 'encoded_slash'],
    ['/v1/a%2F%E0%A4%A', 'encoded_slash'],
    ['/v1/a%2541%E0%A4%A', 'double_encoding'],
  ])('%s: %s (encoded separators are found in the raw segment, before any decoding; double encoding before a malformed escape)', (raw, reason) => {
    expect(refusal(() => pathSegments(raw))).toBe(reason);
  });

  it.each([
    ['/v1/a%2Fb', 'encoded_slash'],
    ['/v1/a\\b', 'encoded_slash'],
    ['/v1/%EF%BC%8Fb', 'encoded_slash'],
    ['/v1/..', 'dot_segment'],
    ['/v1/%2e', 'dot_segment'],
    ['/v1/%2E%2e;x', 'dot_segment'],
    ['/v1/. ', 'dot_segment'],
    ['/v1/%EF%BC%8E', 'dot_segment'],
  ])('%s: %s, plain or in a form a lenient backend resolves', (raw, reason) => {
    expect(refusal(() => pathSegments(raw))).toBe(reason);
    expect(refusal(() => checkedSegments(raw))).toBe(reason);
  });
});

describe('request facts from each event version', () => {
  it('REST: method, path, query (multi-value wins), source IP, stage, resource and request id', () => {
    const event = restEvent();
    event.multiValueQueryStringParameters = { status: ['open', 'closed'], empty: undefined as unknown as string[] };
    event.queryStringParameters = { status: 'closed' };
    const facts = requestFacts(event);
    expect(facts).toMatchObject({
      method: 'GET',
      rawPath: '/v1/claims/enrollee/1001',
      path: ['v1', 'claims', 'enrollee', '1001'],
      sourceIp: '203.0.113.7',
      stage: 'prod',
      resource: '/v1/claims/enrollee/{id}',
      requestId: event.requestContext.requestId,
    });
    expect(facts.query).toEqual({ status: ['open', 'closed'] });
  });

  it('REST: single-value query and headers when there are no multi-value maps; undefined values skipped', () => {
    const event = restEvent();
    event.multiValueQueryStringParameters = null;
    event.queryStringParameters = { a: '1', b: undefined as unknown as string };
    event.multiValueHeaders = {};
    event.headers = { 'X-A': '1', 'X-B': undefined as unknown as string };
    const facts = requestFacts(event);
    expect(facts.query).toEqual({ a: ['1'] });
    expect(facts.rawHeaders).toEqual([['x-a', '1']]);
  });

  it('REST: an event without optional parts gives empty strings, never undefined', () => {
    const event = restEvent() as unknown as Record<string, unknown>;
    event.path = undefined;
    event.resource = undefined;
    event.requestContext = { httpMethod: 'GET', resourcePath: '/r' };
    event.headers = null;
    event.multiValueHeaders = null;
    event.queryStringParameters = null;
    event.multiValueQueryStringParameters = null;
    expect(() => requestFacts(event as unknown as AnyRequestEvent)).toThrow(RequestRejectedError); // '' is not a path
    event.path = '/x';
    expect(requestFacts(event as unknown as AnyRequestEvent)).toEqual({
      method: 'GET', rawPath: '/x', path: ['x'], query: {}, rawHeaders: [], sourceIp: '', stage: '', resource: '/r', requestId: '',
    });
  });

  it('REST: an event without requestContext gives empty strings; without any method it is refused (bad_method)', () => {
    const event = restEvent() as unknown as Record<string, unknown>;
    delete event.requestContext;
    delete event.resource;
    const facts = requestFacts(event as unknown as AnyRequestEvent);
    expect(facts).toMatchObject({ method: 'GET', sourceIp: '', stage: '', resource: '', requestId: '' });
    delete event.httpMethod;
    expect(refusal(() => requestFacts(event as unknown as AnyRequestEvent))).toBe('bad_method');
  });

  it('REST: an empty multi-value map falls back to the single-value one (query and headers); undefined multi values are skipped', () => {
    const event = restEvent();
    event.multiValueQueryStringParameters = {};
    event.queryStringParameters = { a: '1' };
    event.multiValueHeaders = { 'X-A': undefined as unknown as string[], 'X-B': ['2'] };
    const facts = requestFacts(event);
    expect(facts.query).toEqual({ a: ['1'] });
    expect(facts.rawHeaders).toEqual([['x-b', '2']]);
  });

  it('payload 2.0: the same facts from rawPath, rawQueryString, requestContext.http and routeKey', () => {
    const event = v2Event();
    event.rawQueryString = 'status=open&status=closed&x=%20y';
    const facts = requestFacts(event);
    expect(facts).toMatchObject({
      method: 'GET',
      rawPath: '/v1/claims/enrollee/1001',
      path: ['v1', 'claims', 'enrollee', '1001'],
      sourceIp: '203.0.113.7',
      stage: 'prod',
      resource: 'GET /v1/claims/enrollee/{id}',
      requestId: 'id-v2-0001',
    });
    expect(facts.query).toEqual({ status: ['open', 'closed'], x: [' y'] });
  });

  it('payload 2.0: without rawPath the path comes from requestContext.http.path; missing parts are empty strings', () => {
    const event = v2Event() as unknown as { rawPath?: string; rawQueryString?: string; headers?: unknown; routeKey?: string; requestContext: Record<string, unknown> & { http: Record<string, unknown> } };
    event.rawPath = undefined;
    event.rawQueryString = undefined;
    event.headers = undefined;
    event.routeKey = undefined;
    event.requestContext.http.sourceIp = undefined;
    event.requestContext.stage = undefined;
    event.requestContext.requestId = undefined;
    expect(requestFacts(event as unknown as AnyRequestEvent)).toEqual({
      method: 'GET', rawPath: '/v1/claims/enrollee/1001', path: ['v1', 'claims', 'enrollee', '1001'], query: {}, rawHeaders: [], sourceIp: '', stage: '', resource: '', requestId: '',
    });
  });

  it('payload 2.0: undefined header values are skipped', () => {
    const event = v2Event();
    event.headers = { 'x-a': '1', 'x-b': undefined };
    expect(requestFacts(event).rawHeaders).toEqual([['x-a', '1']]);
  });
});

describe('the policy input', () => {
  it('joins repeated headers with ", " and drops the API key header named in any case', () => {
    const event = restEvent();
    event.headers = {};
    event.multiValueHeaders = { 'X-Trace': ['a', 'b'], 'x-trace': ['c'], 'X-API-KEY': ['k'] };
    expect(buildRequestInput(requestFacts(event), token, 'x-Api-Key').headers).toEqual({ 'x-trace': 'a, b, c' });
  });

  it('api carries the product only when one is configured', () => {
    const facts = requestFacts(restEvent());
    expect(buildRequestInput(facts, token, 'x-api-key').api).toStrictEqual({ stage: 'prod', resource: '/v1/claims/enrollee/{id}' });
    expect(buildRequestInput(facts, token, 'x-api-key', 'claims').api).toEqual({ stage: 'prod', resource: '/v1/claims/enrollee/{id}', product: 'claims' });
  });

  it('token is the verified payload, scopes and how it was validated, nothing else', () => {
    const input = buildRequestInput(requestFacts(restEvent()), { sub: 's', payload: { sub: 's', scp: ['a'] }, scopes: ['a'] }, 'x-api-key');
    expect(input.token).toEqual({ payload: { sub: 's', scp: ['a'] }, scopes: ['a'], validation: 'local' });
  });

  it('token.validation says how the token was checked (local unless introspection confirmed it); clientCert is present only with a certificate', () => {
    const facts = requestFacts(restEvent());
    const local = buildRequestInput(facts, token, 'x-api-key');
    expect(local.token.validation).toBe('local');
    expect(Object.keys(local)).not.toContain('clientCert');
    const cert = { pem: 'PEM', subjectDN: 'CN=p', issuerDN: 'CN=ca', serialNumber: '01', validity: { notBefore: 'a', notAfter: 'b' }, fingerprintSha256: 'ab', sanDns: [] };
    const secured = buildRequestInput(facts, token, 'x-api-key', undefined, { validation: 'introspected', clientCert: cert });
    expect(secured.token.validation).toBe('introspected');
    expect(secured.clientCert).toBe(cert);
  });

  it('an event is payload 2.0 only when its version says "2.0"', () => {
    const event = v2Event() as unknown as { version: string };
    event.version = '1.0';
    // Read as REST, it has no httpMethod: refused, never read with the wrong shape.
    expect(refusal(() => requestFacts(event as unknown as AnyRequestEvent))).toBe('bad_method');
  });
});

describe('which check refused a path: the reason and the logged detail', () => {
  // The message is what an operator reads beside the reason (errors.ts rejectionDetail), so each is pinned.
  const cases: [string, string, string, string][] = [
    ['longer than 2048 bytes', `/${'a'.repeat(2048)}`, 'path_too_long', 'path longer than 2048 bytes'],
    ['more than 64 segments', '/a'.repeat(65), 'path_too_long', 'more than 64 path segments'],
    ['more than 64 segments, not plain', `${'/a'.repeat(64)}/%C3%A9`, 'path_too_long', 'more than 64 path segments'],
    ['no leading slash', 'v1/claims', 'bad_path', 'path does not start with /'],
    ['a query', '/v1/claims?x=1', 'bad_path', 'path carries a query or fragment'],
    ['a fragment', '/v1/claims#x', 'bad_path', 'path carries a query or fragment'],
    ['an encoded slash', '/v1/a%2Fb', 'encoded_slash', 'encoded slash or backslash in path'],
    ['double encoding', '/v1/a%2541', 'double_encoding', 'double percent-encoding in path'],
    ['a malformed escape', '/v1/a%E0%A4', 'bad_encoding', 'malformed percent-encoding in path'],
    ['a control character', '/v1/a%00b', 'control_character', 'NUL or control character in path'],
    ['a plain dot segment', '/v1/../admin', 'dot_segment', 'dot segment in path'],
    ['a fullwidth solidus', '/v1/a%EF%BC%8Fb', 'encoded_slash', 'slash or backslash in a segment (decoded, or after Unicode normalisation)'],
    ['an encoded dot segment', '/v1/%2E%2E/admin', 'dot_segment', 'dot segment in path (plain, or behind ;params, whitespace or a Unicode form)'],
    ['a dot segment behind ;params', '/v1/..;x/admin', 'dot_segment', 'dot segment in path (plain, or behind ;params, whitespace or a Unicode form)'],
  ];
  it.each(cases)('%s', (_name, rawPath, reason, detail) => {
    let caught: unknown;
    try {
      pathSegments(rawPath);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RequestRejectedError);
    expect(caught).toMatchObject({ reason, message: detail });
    expect(rejectionDetail(caught)).toEqual({ detail });
  });

  it('only request and Authorization-header rejections have a detail (a token, policy or library failure logs its reason alone)', () => {
    expect(rejectionDetail(new Error('x'))).toEqual({});
    expect(rejectionDetail(new PolicyDeniedError('not_permitted'))).toEqual({});
    expect(rejectionDetail(new InvalidTokenError('expired', 'Token expired at 2026-12-03'))).toEqual({});
  });
});

describe('which check refused the request facts: the reason and the logged detail', () => {
  const refusal = (event: AnyRequestEvent): unknown => {
    try {
      requestFacts(event);
    } catch (error) {
      return error;
    }
    return undefined;
  };
  const many = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v']));

  it('more than 100 headers (REST, single-value map)', () => {
    const e = restEvent();
    e.headers = many(MAX_HEADERS + 1);
    e.multiValueHeaders = {};
    expect(refusal(e)).toMatchObject({ reason: 'too_many_headers', message: 'more than 100 headers' });
  });

  it('more than 100 headers (HTTP API payload 2.0)', () => {
    const e = v2Event();
    e.headers = many(MAX_HEADERS + 1);
    expect(refusal(e)).toMatchObject({ reason: 'too_many_headers', message: 'more than 100 headers' });
  });

  it('more than 100 query values', () => {
    const e = restEvent();
    e.multiValueQueryStringParameters = { q: Array.from({ length: 101 }, (_, i) => String(i)) };
    expect(refusal(e)).toMatchObject({ reason: 'too_many_query_params', message: 'more than 100 query values' });
  });

  it('a method that is not a token', () => {
    const e = restEvent();
    e.httpMethod = 'GE T';
    expect(refusal(e)).toMatchObject({ reason: 'bad_method', message: 'missing or invalid HTTP method' });
  });
});
