/**
 * functions/shared/iam-policy.ts on its own: which method ARNs an Allow may
 * name (exact, IAM-sized, the request the policy decided on), the Deny's
 * Resource, and the flat context API Gateway accepts (DESIGN.md §3, §7).
 */
import { rejectionDetail, RequestRejectedError } from '../../functions/shared/errors';
import { checkExactArn, denyResource, iamPolicy, MAX_RESOURCE_CHARS, parseMethodArn, type DecidedRequest, type MethodArn } from '../../functions/shared/iam-policy';

const API = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234';
const ARN = `${API}/prod/GET/v1/claims/enrollee/1001`;

function arn(text: string): MethodArn {
  const parsed = parseMethodArn(text);
  if (parsed === undefined) throw new Error(`not an ARN: ${text}`);
  return parsed;
}

function answer(text: string, request: DecidedRequest): string {
  try {
    checkExactArn(arn(text), request);
    return 'exact';
  } catch (error) {
    if (error instanceof RequestRejectedError) return error.reason;
    throw error;
  }
}

const GET_1001: DecidedRequest = { method: 'GET', path: '/v1/claims/enrollee/1001', stage: 'prod' };

describe('parseMethodArn', () => {
  it('splits a REST method ARN into api, stage, method and path', () => {
    expect(parseMethodArn(ARN)).toEqual({ arn: ARN, api: API, stage: 'prod', method: 'GET', path: '/v1/claims/enrollee/1001' });
  });

  it('an ARN naming the root has the path /', () => {
    expect(parseMethodArn(`${API}/prod/GET/`)).toMatchObject({ method: 'GET', path: '/' });
    expect(parseMethodArn(`${API}/prod/GET`)).toMatchObject({ method: 'GET', path: '/' });
  });

  it('other partitions (aws-cn, aws-us-gov) are ARNs too', () => {
    expect(parseMethodArn(ARN.replace('arn:aws:', 'arn:aws-cn:'))).toMatchObject({ stage: 'prod' });
    expect(parseMethodArn(ARN.replace('arn:aws:', 'arn:aws-us-gov:'))).toMatchObject({ stage: 'prod' });
  });

  it.each([
    ['another service', ARN.replace('execute-api', 'lambda')],
    ['another scheme', ARN.replace('arn:', 'urn:')],
    ['an 11-digit account', ARN.replace('123456789012', '12345678901')],
    ['a 13-digit account', ARN.replace('123456789012', '1234567890123')],
    ['a wildcard account', ARN.replace('123456789012', '*')],
    ['a wildcard region', ARN.replace('us-east-1', '*')],
    ['an upper-case region', ARN.replace('us-east-1', 'US-EAST-1')],
    ['a wildcard api id', ARN.replace('abcdef1234', '*')],
    ['a wildcard stage', ARN.replace('/prod/', '/*/')],
    ['a ? in the stage', ARN.replace('/prod/', '/pr?d/')],
    ['an empty stage', ARN.replace('/prod/', '//')],
    ['whitespace in the stage', ARN.replace('/prod/', '/pr od/')],
    ['no method', `${API}/prod`],
    ['whitespace in the path', `${ARN} x`],
    ['a leading space', ` ${ARN}`],
    ['a newline after it', `${ARN}\n`],
    ['text before it', `x${ARN}`],
    ['empty', ''],
  ])('%s is not a method ARN', (_what, text) => {
    expect(parseMethodArn(text)).toBeUndefined();
  });
});

describe('checkExactArn', () => {
  it('the ARN of the decided request is exact', () => {
    expect(answer(ARN, GET_1001)).toBe('exact');
  });

  it.each(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'])('%s is one of API Gateway\'s methods', (method) => {
    expect(answer(ARN.replace('/GET/', `/${method}/`), { ...GET_1001, method })).toBe('exact');
  });

  it.each(['*', 'ANY', 'get', 'PROPFIND', 'G?T'])('method %s: bad_method (never an Allow)', (method) => {
    expect(answer(ARN.replace('/GET/', `/${method}/`), { ...GET_1001, method })).toBe('bad_method');
  });

  it.each([
    ['* at the end', `${ARN}*`, '/v1/claims/enrollee/1001*'],
    ['* inside', `${API}/prod/GET/v1/*/enrollee/1001`, '/v1/*/enrollee/1001'],
    ['? inside', `${API}/prod/GET/v1/claims/enrollee/100?`, '/v1/claims/enrollee/100?'],
  ])('an IAM wildcard in the path (%s): wildcard_in_path, even when the request path is spelt the same', (_what, text, path) => {
    expect(answer(text, { ...GET_1001, path })).toBe('wildcard_in_path');
  });

  it(`an ARN of ${MAX_RESOURCE_CHARS} characters is exact; one more is arn_too_long`, () => {
    const base = `${API}/prod/GET/`;
    const at = (n: number): string => `${base}${'a'.repeat(n - base.length)}`;
    expect(at(MAX_RESOURCE_CHARS)).toHaveLength(512);
    expect(answer(at(512), { ...GET_1001, path: at(512).slice(`${API}/prod/GET`.length) })).toBe('exact');
    expect(answer(at(513), { ...GET_1001, path: at(513).slice(`${API}/prod/GET`.length) })).toBe('arn_too_long');
  });

  it.each<[string, DecidedRequest]>([
    ['another method', { ...GET_1001, method: 'POST' }],
    ['another path', { ...GET_1001, path: '/v1/claims/enrollee/1002' }],
    ['a longer path', { ...GET_1001, path: '/v1/claims/enrollee/1001/x' }],
    ['a shorter path', { ...GET_1001, path: '/v1/claims/enrollee' }],
    ['another stage', { ...GET_1001, stage: 'test' }],
    ['the stage prefix of another stage', { ...GET_1001, path: '/test/v1/claims/enrollee/1001' }],
    ['the stage name without its slash', { ...GET_1001, path: '/prodv1/claims/enrollee/1001' }],
  ])('a request with %s: arn_mismatch', (_what, request) => {
    expect(answer(ARN, request)).toBe('arn_mismatch');
  });

  it('an event without a stage is judged on method and path', () => {
    expect(answer(ARN, { ...GET_1001, stage: '' })).toBe('exact');
  });

  it('an HTTP API rawPath with the stage as its first segment agrees', () => {
    expect(answer(ARN, { ...GET_1001, path: '/prod/v1/claims/enrollee/1001' })).toBe('exact');
  });

  it('paths compare after one percent-decoding on both sides, and a malformed escape compares as written', () => {
    expect(answer(`${API}/prod/GET/v1/claims/enrollee/10%301`, GET_1001)).toBe('exact');
    expect(answer(ARN, { ...GET_1001, path: '/v1/claims/enrollee/10%301' })).toBe('exact');
    expect(answer(`${API}/prod/GET/v1/a%E0%A4%A`, { ...GET_1001, path: '/v1/a%E0%A4%A' })).toBe('exact');
    expect(answer(`${API}/prod/GET/v1/a%E0%A4%A`, { ...GET_1001, path: '/v1/a%E0%A4%B' })).toBe('arn_mismatch');
  });
});

describe('denyResource', () => {
  it('is the ARN itself when IAM can hold it', () => {
    expect(denyResource(arn(ARN))).toBe(ARN);
    const exact = `${API}/prod/GET/${'a'.repeat(512 - `${API}/prod/GET/`.length)}`;
    expect(denyResource(arn(exact))).toBe(exact);
  });

  it('is the whole stage when the ARN is too long', () => {
    const long = `${API}/prod/GET/${'a'.repeat(513 - `${API}/prod/GET/`.length)}`;
    expect(denyResource(arn(long))).toBe(`${API}/prod/*`);
  });
});

describe('iamPolicy', () => {
  it('one statement with the effect and resource; principalId as given', () => {
    expect(iamPolicy({ effect: 'Deny', principalId: 'anonymous', resource: ARN, context: {} })).toEqual({
      principalId: 'anonymous',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: ARN }] },
      context: {},
    });
  });

  it('keeps only string, boolean and finite number context values', () => {
    const context = { s: 'x', b: false, n: 0, big: 1e300, inf: Infinity, nan: NaN, o: { a: 1 }, a: [1], nul: null } as unknown as Record<string, string>;
    expect(iamPolicy({ effect: 'Allow', principalId: 'p', resource: ARN, context }).context).toEqual({ s: 'x', b: false, n: 0, big: 1e300 });
  });
});

describe('which check refused an ARN: the logged detail', () => {
  // The message is what an operator reads beside the reason (errors.ts rejectionDetail), so each is pinned.
  const detail = (text: string, request: DecidedRequest): unknown => {
    try {
      checkExactArn(arn(text), request);
    } catch (error) {
      return rejectionDetail(error);
    }
    return undefined;
  };
  it.each<[string, string, DecidedRequest, string]>([
    ['a method API Gateway does not route', `${API}/prod/TRACE/v1/claims/enrollee/1001`, { ...GET_1001, method: 'TRACE' }, 'the method is not one API Gateway routes'],
    ['an IAM wildcard in the path', `${API}/prod/GET/v1/claims/*`, { ...GET_1001, path: '/v1/claims/*' }, 'the path holds an IAM wildcard (* or ?)'],
    ['an ARN too long for IAM', `${API}/prod/GET/${'a'.repeat(MAX_RESOURCE_CHARS)}`, { ...GET_1001, path: `/${'a'.repeat(MAX_RESOURCE_CHARS)}` }, `the method ARN is longer than ${MAX_RESOURCE_CHARS} characters`],
    ['another request', ARN, { ...GET_1001, path: '/v1/claims/enrollee/1002' }, 'the method ARN does not name the method, stage and path of the request'],
  ])('%s', (_name, text, request, message) => {
    expect(detail(text, request)).toEqual({ detail: message });
  });
});
