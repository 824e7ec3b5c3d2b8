import { IdentitySource } from 'aws-cdk-lib/aws-apigateway';

/** API Gateway's only API-key header for `apiKeySourceType: HEADER`; also the contract's API_KEY_HEADER. */
export const API_KEY_HEADER = 'x-api-key';

/**
 * The REQUEST authorizer's identity sources = API Gateway's cache key:
 * token + method + concrete path (+ API key). A cached Allow for one route can
 * therefore never answer another route (the authorizer allows only the exact
 * methodArn it decided). `context.httpMethod` / `context.path` are REST API
 * context variables accepted as REQUEST-authorizer identity sources; all
 * sources must be present and non-empty or API Gateway answers 401 without
 * calling the authorizer. The local gateway builds its cache key from the
 * same list.
 */
export function authorizerIdentitySources(apiKeyRequired: boolean): string[] {
  const sources = [
    IdentitySource.header('Authorization'),
    IdentitySource.context('httpMethod'),
    IdentitySource.context('path'),
  ];
  if (apiKeyRequired) sources.push(IdentitySource.header(API_KEY_HEADER));
  return sources;
}
