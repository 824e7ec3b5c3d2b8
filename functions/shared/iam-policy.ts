/**
 * The authorizer's answer to API Gateway: an IAM policy that Allows or Denies
 * exactly the decided `methodArn` (the cache key includes method and path, see
 * functions/README.md) and a flat context (only string/number/boolean values
 * are allowed by API Gateway).
 */
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import type { ContextValue } from './policy-engine';

/** `arn:aws:execute-api:region:account:apiId/stage/METHOD/path...` (or an HTTP API routeArn). */
const METHOD_ARN = /^arn:aws[a-z-]*:execute-api:[a-z0-9-]+:\d{12}:[A-Za-z0-9]+\/[^/\s]+\/[A-Z*]+(\/[^\s*]*)?$/;

/**
 * A methodArn the authorizer may echo into a policy `Resource`: well formed
 * and free of IAM wildcards (`*` any run, `?` one character), so an Allow
 * can never cover more than the request that was decided (a path such as
 * `/v1/claims/enrollee/100?` would otherwise match 1000-1009).
 */
export function isValidMethodArn(arn: string): boolean {
  return METHOD_ARN.test(arn) && !arn.includes('*') && !arn.includes('?');
}

export interface AuthorizerAnswer {
  readonly effect: 'Allow' | 'Deny';
  readonly principalId: string;
  readonly methodArn: string;
  readonly context: Readonly<Record<string, ContextValue>>;
}

export function iamPolicy(answer: AuthorizerAnswer): APIGatewayAuthorizerResult {
  const context: Record<string, ContextValue> = {};
  for (const [k, v] of Object.entries(answer.context)) {
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) context[k] = v;
  }
  return {
    principalId: answer.principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: answer.effect, Resource: answer.methodArn }],
    },
    context,
  };
}
