/** Event → policy input (DESIGN.md §3), bearer parsing and path tricks refused before the policy. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { extractBearerToken } from '../../functions/shared/bearer-token';
import { MalformedAuthorizationError, MissingTokenError, RequestRejectedError } from '../../functions/shared/errors';
import { buildRequestInput, MAX_HEADERS, MAX_QUERY_PARAMS, requestFacts, withValidation } from '../../functions/shared/request-input';
import { checkedSegments, pathSegments } from '../../functions/shared/request-path';
import * as fc from 'fast-check';
import type { VerifiedToken } from '../../functions/shared/token-verifier';

const EVENTS = path.join(__dirname, '..', 'events');
const load = <T>(name: string): T => JSON.parse(fs.readFileSync(path.join(EVENTS, name), 'utf8')) as T;

const token: VerifiedToken = {
  sub: 'alice@acme.example',
  payload: { sub: 'alice@acme.example', scp: ['claims:read'], enrolleeId: '1001' },
  scopes: ['claims:read'],
};

describe('policy input from a REST REQUEST authorizer event', () => {
  // Built in beforeAll, not while the file loads: a fault in the module under test fails these tests, not the whole file.
  let input: ReturnType<typeof buildRequestInput>;
  beforeAll(() => {
    const event = load<APIGatewayRequestAuthorizerEvent>('authorizer-get-own-record.json');
    event.headers = { ...event.headers, 'X-Api-Key': 'secret-key', Cookie: 'session=abc' };
    event.multiValueHeaders = { ...event.multiValueHeaders, 'X-Api-Key': ['secret-key'], Cookie: ['session=abc'] };
    input = buildRequestInput(requestFacts(event), token, 'x-api-key');
  });

  it('has method, decoded path segments, raw path, query arrays, source IP and api', () => {
    expect(input.method).toBe('GET');
    expect(input.path).toEqual(['v1', 'claims', 'enrollee', '1001']);
    expect(input.rawPath).toBe('/v1/claims/enrollee/1001');
    expect(input.query).toEqual({ status: ['open'] });
    expect(input.sourceIp).toBe('203.0.113.7');
    expect(input.api).toEqual({ stage: 'prod', resource: '/v1/claims/enrollee/{id}' });
    expect(input.token).toEqual({ payload: token.payload, scopes: ['claims:read'], validation: 'local' });
  });

  it('lower-cases headers and never includes authorization, the API key or cookies', () => {
    expect(input.headers['x-request-id']).toBe('req-7f3c2a');
    expect(Object.keys(input.headers).every((k) => k === k.toLowerCase())).toBe(true);
    expect(input.headers).not.toHaveProperty('authorization');
    expect(input.headers).not.toHaveProperty('x-api-key');
    expect(input.headers).not.toHaveProperty('cookie');
    expect(JSON.stringify(input)).not.toContain('__ACCESS_TOKEN__');
    expect(JSON.stringify(input)).not.toContain('secret-key');
  });

  it('header names that are Object.prototype members arrive as sent', () => {
    const e = load<APIGatewayRequestAuthorizerEvent>('authorizer-get-own-record.json');
    e.multiValueHeaders = { ...e.multiValueHeaders, Constructor: ['b'] };
    Object.defineProperty(e.multiValueHeaders, '__proto__', { value: ['c'], enumerable: true });
    const headers = buildRequestInput(requestFacts(e), token, 'x-api-key').headers;
    expect(Object.getOwnPropertyDescriptor(headers, 'constructor')?.value).toBe('b');
    expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).toBe('c');
    // No prototype: `toString`, `constructor` and `__proto__` can only be the client's own names.
    expect(Object.getPrototypeOf(headers)).toBeNull();
    expect(JSON.parse(JSON.stringify(headers))).toMatchObject({ constructor: 'b' });
    expect(Object.keys(headers)).toContain('__proto__');
  });

  it(`keeps up to ${MAX_QUERY_PARAMS} query values and ${MAX_HEADERS} headers, and refuses more`, () => {
    const reasonFor = (f: () => unknown): string | undefined => {
      try {
        f();
        return undefined;
      } catch (error) {
        return error instanceof RequestRejectedError ? error.reason : String(error);
      }
    };
    const rest = (queryValues: number, headers: number): APIGatewayRequestAuthorizerEvent => {
      const e = load<APIGatewayRequestAuthorizerEvent>('authorizer-get-own-record.json');
      e.multiValueQueryStringParameters = { a: Array.from({ length: queryValues }, (_, i) => String(i)) };
      e.multiValueHeaders = Object.fromEntries(Array.from({ length: headers }, (_, i) => [`x-h${i}`, ['v']]));
      return e;
    };
    expect(requestFacts(rest(MAX_QUERY_PARAMS, MAX_HEADERS)).query.a).toHaveLength(MAX_QUERY_PARAMS);
    expect(reasonFor(() => requestFacts(rest(MAX_QUERY_PARAMS + 1, 1)))).toBe('too_many_query_params');
    expect(reasonFor(() => requestFacts(rest(1, MAX_HEADERS + 1)))).toBe('too_many_headers');
    const v2 = (queryValues: number): APIGatewayRequestAuthorizerEventV2 => {
      const e = load<APIGatewayRequestAuthorizerEventV2>('authorizer-http-api-v2.json');
      e.rawQueryString = Array.from({ length: queryValues }, (_, i) => `q=${i}`).join('&');
      return e;
    };
    expect(requestFacts(v2(MAX_QUERY_PARAMS)).query.q).toHaveLength(MAX_QUERY_PARAMS);
    expect(reasonFor(() => requestFacts(v2(MAX_QUERY_PARAMS + 1)))).toBe('too_many_query_params');
  });

  it('the HTTP API 2.0 event gives the same input', () => {
    const v2 = load<APIGatewayRequestAuthorizerEventV2>('authorizer-http-api-v2.json');
    const input2 = buildRequestInput(requestFacts(v2), token, 'x-api-key');
    expect(input2.method).toBe(input.method);
    expect(input2.path).toEqual(input.path);
    expect(input2.query).toEqual(input.query);
    expect(input2.sourceIp).toBe(input.sourceIp);
    expect(input2.headers).not.toHaveProperty('authorization');
  });
});

describe('path segments', () => {
  it('are percent-decoded exactly once, empty segments dropped', () => {
    expect(pathSegments('/v1//claims/enrollee/J%C3%BCrgen')).toEqual(['v1', 'claims', 'enrollee', 'Jürgen']);
    expect(pathSegments('/v1/claims/a%20b/')).toEqual(['v1', 'claims', 'a b']);
  });

  it.each([
    ['/v1/claims/enrollee/../1002', 'dot_segment'],
    ['/v1/claims/enrollee/./1001', 'dot_segment'],
    ['/v1/claims/enrollee/%2e%2e/1002', 'dot_segment'],
    ['/v1/claims/enrollee/1001%2F..%2F1002', 'encoded_slash'],
    ['/v1/claims/enrollee/1001%5c..', 'encoded_slash'],
    ['/v1/claims/enrollee/%252e%252e', 'double_encoding'],
    ['/v1/claims/enrollee/1001%00', 'control_character'],
    ['/v1/claims/enrollee/%E0%A4%A', 'bad_encoding'],
    ['/v1/claims/enrollee/1001\\..', 'encoded_slash'],
    [`/${'a/'.repeat(1100)}`, 'path_too_long'],
    // What lenient backends resolve as dot segments or separators (the policy would see another path).
    ['/v1/claims/enrollee/1001/claims/..;', 'dot_segment'],
    ['/v1/claims/enrollee/..;jsessionid=x/1002', 'dot_segment'],
    ['/v1/claims/enrollee/.;x/1002', 'dot_segment'],
    ['/v1/claims/enrollee/%2e%2e%3b/1002', 'dot_segment'],
    ['/v1/claims/enrollee/..%20/1002', 'dot_segment'],
    ['/v1/claims/enrollee/%EF%BC%8E%EF%BC%8E/1002', 'dot_segment'],
    ['/v1/claims/enrollee/1001%EF%BC%8F..', 'encoded_slash'],
    ['/v1/claims/enrollee/1001%EF%BC%BC..', 'encoded_slash'],
  ])('%s is refused before the policy (%s)', (raw, reason) => {
    let caught: unknown;
    try {
      pathSegments(raw);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RequestRejectedError);
    expect((caught as RequestRejectedError).reason).toBe(reason);
  });

  it('ordinary segments with ;, dots or non-ASCII letters are still accepted', () => {
    expect(pathSegments('/v1/claims/enrollee/E-1001;v=2')).toEqual(['v1', 'claims', 'enrollee', 'E-1001;v=2']);
    expect(pathSegments('/v1/claims/a.b/...x/J%C3%BCrgen')).toEqual(['v1', 'claims', 'a.b', '...x', 'Jürgen']);
  });

  it('the plain-path shortcut answers exactly as the full checks (segments or the same refusal)', () => {
    const outcome = (f: (p: string) => string[], raw: string): unknown => {
      try {
        return f(raw);
      } catch (error) {
        return error instanceof RequestRejectedError ? `refused:${error.reason}` : error;
      }
    };
    // Mostly unreserved characters (the shortcut), with the ones that force the full checks mixed in.
    const char = fc.constantFrom(...'/ab1._~-'.split(''), '/', '.', '%', ';', ' ', '\\', 'é', '%2e', '%2F', '\u0000');
    const path = fc.array(char, { maxLength: 40 }).map((cs) => `/${cs.join('')}`);
    fc.assert(
      fc.property(path, (raw) => {
        expect(outcome(pathSegments, raw)).toEqual(outcome(checkedSegments, raw));
      }),
      { numRuns: 2000 },
    );
    // the segment-count limit on the shortcut
    expect(outcome(pathSegments, '/a'.repeat(65))).toBe('refused:path_too_long');
    expect(outcome(checkedSegments, '/a'.repeat(65))).toBe('refused:path_too_long');
    expect(pathSegments('/a'.repeat(64))).toHaveLength(64);
  });

  it('the sample traversal event is refused when its facts are extracted', () => {
    expect(() => requestFacts(load<APIGatewayRequestAuthorizerEvent>('authorizer-path-traversal.json'))).toThrow(RequestRejectedError);
  });
});

describe('Authorization header', () => {
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln';
  /** A token with a 256-byte signature: its last base64url character has unused bits. */
  const jwtWithSignature = (): string =>
    [JSON.stringify({ alg: 'RS256', kid: 'k1' }), JSON.stringify({ sub: 'alice', n: 1 }), Buffer.alloc(256, 7)].map((p) => Buffer.from(p).toString('base64url')).join('.');

  it('accepts "Bearer <jwt>" with any scheme case', () => {
    expect(extractBearerToken([`Bearer ${jwt}`], 8192)).toBe(jwt);
    expect(extractBearerToken([`bearer ${jwt}`], 8192)).toBe(jwt);
  });

  it('missing header is MissingTokenError', () => {
    expect(() => extractBearerToken([], 8192)).toThrow(MissingTokenError);
  });

  it.each([
    ['Basic dXNlcjpwYXNz'],
    [jwt],
    [`Bearer ${jwt} extra`],
    ['Bearer not-a-jwt'],
    [`Bearer  ${jwt}x.y`],
    ['Bearer'],
  ])('malformed header %j is MalformedAuthorizationError', (value) => {
    expect(() => extractBearerToken([value], 8192)).toThrow(MalformedAuthorizationError);
  });

  it.each([
    ['= after the signature', (t: string) => `${t}=`],
    ['== after the signature', (t: string) => `${t}==`],
    ['= after the header part', (t: string) => t.replace('.', '=.')],
    ['= after the payload part', (t: string) => { const [h, p, s] = t.split('.'); return `${h}.${p}=.${s}`; }],
    ['other unused bits in the signature\'s last character', (t: string) => {
      const last = t.at(-1) ?? 'A';
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      return `${t.slice(0, -1)}${alphabet[alphabet.indexOf(last) ^ 1]}`;
    }],
  ])('one token, one spelling: %s is refused (RFC 7515 base64url without padding)', (_n, respell) => {
    const signed = jwtWithSignature();
    const respelt = respell(signed);
    expect(respelt).not.toBe(signed);
    // Every re-spelling decodes to the same bytes: only the spelling differs.
    expect(respelt.split('.').map((p) => Buffer.from(p, 'base64url').toString('hex'))).toEqual(signed.split('.').map((p) => Buffer.from(p, 'base64url').toString('hex')));
    expect(extractBearerToken([`Bearer ${signed}`], 8192)).toBe(signed);
    expect(() => extractBearerToken([`Bearer ${respelt}`], 8192)).toThrow(MalformedAuthorizationError);
  });

  it('two Authorization headers are refused', () => {
    expect(() => extractBearerToken([`Bearer ${jwt}`, `Bearer ${jwt}`], 8192)).toThrow(MalformedAuthorizationError);
  });

  it('the one-scan shortcut accepts exactly what the step-by-step rules accept, with the same token', () => {
    // The rules of RFC 6750 §2.1 as written out step by step (the pre-shortcut implementation).
    const reference = (header: string, maxBytes: number): string => {
      if (header.trim() === '') return 'missing';
      if (Buffer.byteLength(header, 'utf8') > maxBytes) return 'malformed';
      const m = /^([A-Za-z]+) +(\S+)$/.exec(header.trim());
      if (!m || m[1].toLowerCase() !== 'bearer') return 'malformed';
      const canonical = m[2].split('.').every((p) => Buffer.from(p, 'base64url').toString('base64url') === p);
      return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(m[2]) && canonical ? m[2] : 'malformed';
    };
    const actual = (header: string, maxBytes: number): string => {
      try {
        return extractBearerToken([header], maxBytes);
      } catch (error) {
        if (error instanceof MissingTokenError) return 'missing';
        if (error instanceof MalformedAuthorizationError) return 'malformed';
        throw error;
      }
    };
    const scheme = fc.constantFrom('Bearer', 'bearer', 'BeArEr', 'Basic', 'Bearerx', '', ' Bearer', 'Bear er');
    const sep = fc.constantFrom(' ', '   ', '', '\t', ' \n');
    const body = fc.array(fc.constantFrom('eyJ', 'a', '.', '=', '==', '-', '_', 'é', ' ', jwt, jwt), { maxLength: 4 }).map((xs) => xs.join(''));
    const suffix = fc.constantFrom('', '', ' ', '\n', 'x', '.');
    fc.assert(
      fc.property(scheme, sep, body, suffix, fc.integer({ min: 5, max: 80 }), (a, b, c, d, maxBytes) => {
        const header = a + b + c + d;
        expect(actual(header, maxBytes)).toBe(reference(header, maxBytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('an oversized header is refused before any parsing', () => {
    expect(() => extractBearerToken([`Bearer ${'a'.repeat(9000)}.b.c`], 8192)).toThrow(MalformedAuthorizationError);
  });
});

describe('withValidation (after introspection)', () => {
  const e = load<APIGatewayRequestAuthorizerEvent>('authorizer-get-own-record.json');
  const cert = { subjectCN: 'partner', fingerprintSha256: 'ab'.repeat(32) } as unknown as NonNullable<Parameters<typeof buildRequestInput>[4]>['clientCert'];

  it('replaces only the token validation, and adds no clientCert the input did not have', () => {
    const input = buildRequestInput(requestFacts(e), token, 'x-api-key', 'claims');
    const out = withValidation(input, 'introspected');
    expect(out.token.validation).toBe('introspected');
    expect(input.token.validation).toBe('local');
    expect(out).not.toHaveProperty('clientCert');
    expect({ ...out, token: { ...out.token, validation: 'local' } }).toStrictEqual(input);
  });

  it('keeps the client certificate', () => {
    const input = buildRequestInput(requestFacts(e), token, 'x-api-key', undefined, { clientCert: cert });
    expect(withValidation(input, 'introspected').clientCert).toBe(cert);
  });
});
