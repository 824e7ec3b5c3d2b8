/**
 * Property test: header and query names chosen by a client — including the
 * ones that collide with Object.prototype — survive every place that turns
 * request data into objects, in the local gateway (events) and in the
 * functions (policy input, query maps), without throwing, without being
 * swallowed and without polluting any prototype.
 */
import fc from 'fast-check';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { buildAuthorizerEvent, buildProxyEvent, type GatewayRequest } from '../../local/gateway/request-model';
import { redactEvent, DEFAULT_API } from '../../local/gateway/server';
import { buildRequestInput, requestFacts } from '../../functions/shared/request-input';
import type { VerifiedToken } from '../../functions/shared/token-verifier';

const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__', 'isPrototypeOf'];
const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-_';
const headerName = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.string({ unit: fc.constantFrom(...TOKEN_CHARS.split('')), minLength: 1, maxLength: 12 }));
const value = fc.string({ unit: fc.constantFrom(...'abc xyz123=&'.split('')), maxLength: 10 });
const TOKEN: VerifiedToken = { sub: 'alice', payload: { sub: 'alice' }, scopes: [] };

function request(pairs: Array<[string, string]>, query: Array<[string, string]>): GatewayRequest {
  return {
    method: 'GET',
    path: '/v1/claims/enrollee/1001',
    rawQuery: new URLSearchParams(query).toString(),
    headerPairs: pairs,
    body: Buffer.alloc(0),
    sourceIp: '127.0.0.1',
    requestId: 'r-1',
    receivedAt: new Date(0),
    resource: '/{proxy+}',
    resourceId: 'abc123',
    pathParameters: { proxy: 'v1/claims/enrollee/1001' },
  };
}

const own = (o: unknown, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? (o as Record<string, unknown>)[k] : undefined);

afterEach(() => {
  // Nothing may have been written onto the shared prototype.
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(typeof ({} as Record<string, unknown>).constructor).toBe('function');
});

it('local events and the functions\' policy input keep every header and query name as an own key', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(headerName, value), { minLength: 1, maxLength: 6 }), fc.array(fc.tuple(headerName, value), { maxLength: 6 }), (pairs, query) => {
      const req = request(pairs, query);
      const auth = buildAuthorizerEvent(DEFAULT_API, req);
      const proxy = buildProxyEvent(DEFAULT_API, req, { principalId: 'alice' });
      for (const event of [auth, proxy, redactEvent(proxy)]) {
        for (const [name] of pairs) {
          expect(own(event.headers, name)).toBe(pairs.filter(([n]) => n === name).at(-1)?.[1]);
          expect(own(event.multiValueHeaders, name)).toEqual(pairs.filter(([n]) => n === name).map(([, v]) => v));
        }
        for (const [name] of query) {
          expect(own(event.multiValueQueryStringParameters, name)).toEqual(query.filter(([n]) => n === name).map(([, v]) => v));
        }
      }
      for (const event of [auth, proxy]) {
        const input = buildRequestInput(requestFacts(event), TOKEN, 'x-api-key');
        for (const [name] of pairs) {
          const lower = name.toLowerCase();
          if (lower === 'x-api-key') continue;
          expect(own(input.headers, lower)).toBe(pairs.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v).join(', '));
        }
        for (const [name] of query) expect(own(input.query, name)).toEqual(query.filter(([n]) => n === name).map(([, v]) => v));
      }
    }),
    { numRuns: 300 },
  );
});

it('an HTTP API event parsed from JSON (own __proto__ keys) gives the same policy input', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(headerName, value), { minLength: 1, maxLength: 6 }), (pairs) => {
      const headers = Object.fromEntries(pairs.map(([n, v]) => [n.toLowerCase(), v]));
      const text = `{"version":"2.0","rawPath":"/v1/x","rawQueryString":${JSON.stringify(new URLSearchParams(pairs).toString())},"headers":${JSON.stringify(headers)},"requestContext":{"http":{"method":"GET","path":"/v1/x"},"stage":"prod","requestId":"r"}}`;
      const event = JSON.parse(text) as APIGatewayRequestAuthorizerEventV2;
      const input = buildRequestInput(requestFacts(event), TOKEN, 'x-api-key');
      for (const [name] of pairs) {
        if (name.toLowerCase() !== 'x-api-key') expect(own(input.headers, name.toLowerCase())).toBe(headers[name.toLowerCase()]);
        expect(own(input.query, name)).toEqual(pairs.filter(([n]) => n === name).map(([, v]) => v));
      }
    }),
    { numRuns: 200 },
  );
});
