import { AccessLogField, AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';

/**
 * JSON access-log line: who called what, what the authorizer decided and how
 * long each hop took. Never contains the Authorization header, the API key
 * value or any body. `$context.error.messageString` is already a quoted JSON
 * string, so it is inserted without quotes; every other value is quoted.
 */
export function accessLogFormat(): AccessLogFormat {
  const quotedFields: Record<string, string> = {
    requestId: AccessLogField.contextRequestId(),
    extendedRequestId: AccessLogField.contextExtendedRequestId(),
    requestTime: AccessLogField.contextRequestTime(),
    sourceIp: AccessLogField.contextIdentitySourceIp(),
    userAgent: AccessLogField.contextIdentityUserAgent(),
    httpMethod: AccessLogField.contextHttpMethod(),
    path: AccessLogField.contextPath(),
    resourcePath: AccessLogField.contextResourcePath(),
    protocol: AccessLogField.contextProtocol(),
    status: AccessLogField.contextStatus(),
    responseLength: AccessLogField.contextResponseLength(),
    responseLatencyMs: AccessLogField.contextResponseLatency(),
    principalId: AccessLogField.contextAuthorizerPrincipalId(),
    decisionId: AccessLogField.contextAuthorizer('decisionId'),
    authorizerStatus: AccessLogField.contextAuthorizerStatus(),
    authorizerLatencyMs: AccessLogField.contextAuthorizerLatency(),
    authorizerError: AccessLogField.contextAuthorizerError(),
    integrationStatus: AccessLogField.contextIntegrationStatus(),
    integrationLatencyMs: AccessLogField.contextIntegrationLatency(),
    errorType: AccessLogField.contextErrorResponseType(),
    apiKeyId: AccessLogField.contextIdentityApiKeyId(),
    xrayTraceId: AccessLogField.contextXrayTraceId(),
  };
  const parts = Object.entries(quotedFields).map(([key, value]) => `"${key}":"${value}"`);
  parts.push(`"errorMessage":${AccessLogField.contextErrorMessageString()}`);
  return AccessLogFormat.custom(`{${parts.join(',')}}`);
}
