/** The emulation's validation of an authorizer result, where AWS refuses what IAM cannot hold. */
import { MalformedAuthorizerResult, parseAuthorizerResult } from '../../local/gateway/authorizer-result';

const result = (resource: string | string[]) => ({
  principalId: 'alice',
  policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resource }] },
});

it('a Resource of 512 characters is accepted', () => {
  expect(parseAuthorizerResult(result('a'.repeat(512))).policyDocument.Statement).toHaveLength(1);
});

it.each([['a string', 'a'.repeat(513)], ['a list entry', ['ok', 'a'.repeat(513)]]])('a Resource over 512 characters (%s) is a malformed result', (_n, resource) => {
  expect(() => parseAuthorizerResult(result(resource))).toThrow(MalformedAuthorizerResult);
});
