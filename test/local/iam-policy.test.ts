import { evaluatePolicy, type PolicyDocument } from '../../local/gateway/iam-policy';

const ARN = 'arn:aws:execute-api:us-east-1:123456789012:api/local/GET/v1/claims/enrollee/1001';
const doc = (...Statement: PolicyDocument['Statement']): PolicyDocument => ({ Version: '2012-10-17', Statement });

describe('IAM policy evaluation against the methodArn (as API Gateway does it)', () => {
  test('an Allow on the exact methodArn allows it', () => {
    expect(evaluatePolicy(doc({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: ARN }), ARN)).toBe('allow');
  });
  test('an explicit Deny wins over a broader Allow', () => {
    const d = doc(
      { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:us-east-1:123456789012:api/local/*' },
      { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: ARN },
    );
    expect(evaluatePolicy(d, ARN)).toBe('explicit-deny');
  });
  test('globs are anchored: an Allow for /v1/claims/enrollee/100 does not cover /1001', () => {
    const d = doc({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: ARN.slice(0, -1) });
    expect(evaluatePolicy(d, ARN)).toBe('implicit-deny');
  });
  test('* spans path segments and ? matches one character', () => {
    expect(evaluatePolicy(doc({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:us-east-1:123456789012:api/local/GET/*' }), ARN)).toBe('allow');
    expect(evaluatePolicy(doc({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: ARN.replace('1001', '100?') }), ARN)).toBe('allow');
    expect(evaluatePolicy(doc({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:us-east-1:123456789012:api/local/POST/*' }), ARN)).toBe('implicit-deny');
  });
  test('the action must cover execute-api:Invoke (execute-api:* and * do)', () => {
    expect(evaluatePolicy(doc({ Effect: 'Allow', Action: 'execute-api:*', Resource: ARN }), ARN)).toBe('allow');
    expect(evaluatePolicy(doc({ Effect: 'Allow', Action: '*', Resource: ARN }), ARN)).toBe('allow');
    expect(evaluatePolicy(doc({ Effect: 'Allow', Action: 'execute-api:ManageConnections', Resource: ARN }), ARN)).toBe('implicit-deny');
  });
  // Each Resource holds one regex metacharacter; the request ARN is what that character would match as a regex, not as itself.
  test.each([
    ['.', '/v1/a.b', '/v1/aXb'],
    ['+', '/v1/a+', '/v1/aa'],
    ['^', '/v1/^a', '/v1/a'],
    ['$', '/v1/a$', '/v1/a'],
    ['{}', '/v1/a{2}', '/v1/aa'],
    ['()|', '/v1/(a|b)', '/v1/a'],
    ['[]', '/v1/[ab]', '/v1/a'],
    ['\\', '/v1/\\d', '/v1/1'],
  ])('the regex metacharacter %s in a Resource is literal: it matches only itself', (_chars, resourcePath, otherPath) => {
    const base = 'arn:aws:execute-api:us-east-1:123456789012:api/local/GET';
    const policy = doc({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${base}${resourcePath}` });
    expect(evaluatePolicy(policy, `${base}${otherPath}`)).toBe('implicit-deny');
    expect(evaluatePolicy(policy, `${base}${resourcePath}`)).toBe('allow');
  });
});
