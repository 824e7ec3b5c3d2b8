import { AccessLogField, AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';

/**
 * JSON access-log line: what was called, what the authorizer decided and how
 * long each hop took. Never contains the Authorization header, the API key
 * value or any body.
 *
 * API Gateway substitutes `$context` values without JSON escaping, so a `"`
 * in a client-controlled value would forge fields. Only values API Gateway
 * generates or validates itself are logged (ids, times, the source address,
 * the route template, statuses, latencies, the error type); the User-Agent,
 * the raw path, the principal (a token claim) and error messages are not. The
 * functions' decision log (escaped by JSON.stringify) carries method, path
 * and subject, joined by requestId.
 */
export function accessLogFormat(): AccessLogFormat {
  const fields: Record<string, string> = {
    requestId: AccessLogField.contextRequestId(),
    extendedRequestId: AccessLogField.contextExtendedRequestId(),
    requestTime: AccessLogField.contextRequestTime(),
    sourceIp: AccessLogField.contextIdentitySourceIp(),
    httpMethod: AccessLogField.contextHttpMethod(),
    resourcePath: AccessLogField.contextResourcePath(),
    protocol: AccessLogField.contextProtocol(),
    status: AccessLogField.contextStatus(),
    responseLength: AccessLogField.contextResponseLength(),
    responseLatencyMs: AccessLogField.contextResponseLatency(),
    decisionId: AccessLogField.contextAuthorizer('decisionId'),
    authorizerStatus: AccessLogField.contextAuthorizerStatus(),
    authorizerLatencyMs: AccessLogField.contextAuthorizerLatency(),
    integrationStatus: AccessLogField.contextIntegrationStatus(),
    integrationLatencyMs: AccessLogField.contextIntegrationLatency(),
    errorType: AccessLogField.contextErrorResponseType(),
    apiKeyId: AccessLogField.contextIdentityApiKeyId(),
    xrayTraceId: AccessLogField.contextXrayTraceId(),
  };
  const parts = Object.entries(fields).map(([key, value]) => `"${key}":"${value}"`);
  return AccessLogFormat.custom(`{${parts.join(',')}}`);
}
