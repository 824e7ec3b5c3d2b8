/**
 * The policy input's contract (DESIGN.md §3, §7), one answer per case: which
 * headers a policy may never see, in every spelling and event version; the
 * header, method and path limits that refuse a request before the policy.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { RequestRejectedError } from '../../functions/shared/errors';
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

/** Every header name the policy must never see, with the spellings a client may use. */
const WITHHELD = [...SECRET_HEADERS, 'x-api-key'];
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

  it('a path must start with / and carry no query or fragment', () => {
    expect(refusal(() => pathSegments('v1/claims'))).toBe('bad_path');
    expect(refusal(() => pathSegments('/v1/claims?x=1'))).toBe('bad_path');
    expect(refusal(() => pathSegments('/v1/claims#x'))).toBe('bad_path');
  });
});
