/**
 * Small fixture handlers for the gateway-emulation tests: the fixture
 * authorizer's behaviour is chosen by the bearer value, and both record the
 * events they received.
 */
import type {
  APIGatewayAuthorizerResult, APIGatewayProxyEvent, APIGatewayProxyResult, APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';

export interface Recorder {
  authorizerEvents: APIGatewayRequestAuthorizerEvent[];
  proxyEvents: APIGatewayProxyEvent[];
}

export function newRecorder(): Recorder {
  return { authorizerEvents: [], proxyEvents: [] };
}

function policy(effect: 'Allow' | 'Deny', resource: string | string[]): APIGatewayAuthorizerResult['policyDocument'] {
  return { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] };
}

export function fixtureAuthorizer(rec: Recorder) {
  return async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    rec.authorizerEvents.push(event);
    const auth = event.headers?.Authorization ?? event.headers?.authorization ?? '';
    const mode = auth.replace(/^Bearer /, '');
    const ctx = { decisionId: `d-${rec.authorizerEvents.length}`, claims: '{"sub":"alice"}', scopes: 2, primary: true };
    switch (mode) {
      case 'allow':
        return { principalId: 'alice', policyDocument: policy('Allow', event.methodArn), context: ctx };
      case 'deny':
        return { principalId: 'alice', policyDocument: policy('Deny', event.methodArn), context: ctx };
      case 'allow-elsewhere':
        return { principalId: 'alice', policyDocument: policy('Allow', event.methodArn.replace(/\/GET\//, '/DELETE/')), context: ctx };
      case 'allow-get-wildcard':
        return { principalId: 'alice', policyDocument: policy('Allow', event.methodArn.replace(/\/(GET|POST|PUT|DELETE)\/.*$/, '/GET/v1/*')), context: ctx };
      case 'unauthorized':
        throw new Error('Unauthorized');
      case 'boom':
        throw new Error('JWKS unreachable');
      case 'slow':
        await new Promise((r) => setTimeout(r, 1000));
        return { principalId: 'alice', policyDocument: policy('Allow', event.methodArn) };
      case 'malformed':
        return { principalId: 'alice' } as unknown as APIGatewayAuthorizerResult;
      case 'nested-context':
        return { principalId: 'alice', policyDocument: policy('Allow', event.methodArn), context: { claims: { sub: 'alice' } } as unknown as Record<string, string> };
      default:
        throw new Error('Unauthorized');
    }
  };
}

export function fixtureIntegration(rec: Recorder) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    rec.proxyEvents.push(event);
    const p = event.path;
    if (p === '/fixture/throw') throw new Error('integration crashed');
    if (p === '/fixture/malformed') return { statusCode: 200, body: { not: 'a string' } } as unknown as APIGatewayProxyResult;
    if (p === '/fixture/extra-key') return { statusCode: 200, body: '', surprise: true } as unknown as APIGatewayProxyResult;
    if (p === '/fixture/slow') {
      await new Promise((r) => setTimeout(r, 1000));
      return { statusCode: 200, body: 'late' };
    }
    if (p === '/fixture/binary') return { statusCode: 200, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0, 1, 2, 255]).toString('base64'), isBase64Encoded: true };
    if (p === '/fixture/cookies') {
      return { statusCode: 201, headers: { 'x-one': 'single', 'content-type': 'text/plain' }, multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] }, body: 'made' };
    }
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: event.path, method: event.httpMethod }) };
  };
}
