import { ResponseType, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { gatewayResponseCorsHeaders, type ResolvedCors } from './cors';

/**
 * Gateway responses: every error API Gateway produces itself (authorizer
 * 401/403, throttling, missing route, authorizer failure) gets a JSON body
 * with the request id, so clients and support can correlate it with the
 * access log. Header values are static (single-quoted) as API Gateway requires.
 */
export interface GatewayResponseSpec {
  readonly id: string;
  readonly type: ResponseType;
  readonly statusCode?: string;
  readonly headers: Record<string, string>;
  readonly template: string;
}

const quoted = (value: string): string => `'${value}'`;

/**
 * RFC 6750 §3 challenge for the 401s. API Gateway answers 401 both when the
 * Authorization header is missing (identity-source check, the authorizer is
 * not called) and when the authorizer throws `Unauthorized` (bad/expired
 * token); one static header serves both, so it names `invalid_token`, the
 * common case for a client that sent a token.
 */
export function bearerChallenge(realm: string, description: string): string {
  return `Bearer realm="${realm}", error="invalid_token", error_description="${description}"`;
}

export function gatewayResponseSpecs(realm: string, cors?: ResolvedCors): GatewayResponseSpec[] {
  const common = { 'Cache-Control': quoted('no-store'), 'X-Content-Type-Options': quoted('nosniff'), ...gatewayResponseCorsHeaders(cors) };
  return [
    {
      id: 'Unauthorized',
      type: ResponseType.UNAUTHORIZED,
      statusCode: '401',
      headers: {
        ...common,
        'WWW-Authenticate': quoted(bearerChallenge(realm, 'The access token is missing, malformed, expired or not valid for this API')),
      },
      template: '{"message":"Unauthorized","error":"invalid_token","requestId":"$context.requestId"}',
    },
    {
      id: 'ExpiredToken',
      type: ResponseType.EXPIRED_TOKEN,
      statusCode: '401',
      headers: { ...common, 'WWW-Authenticate': quoted(bearerChallenge(realm, 'The access token expired')) },
      template: '{"message":"Unauthorized","error":"invalid_token","requestId":"$context.requestId"}',
    },
    {
      // Explicit Deny from the authorizer (policy said no) or a resource-policy deny (source IP).
      // decisionId comes from the Deny's context so a denial can be found in the decision log.
      id: 'AccessDenied',
      type: ResponseType.ACCESS_DENIED,
      statusCode: '403',
      headers: common,
      template: '{"message":"Forbidden","error":"access_denied","requestId":"$context.requestId","decisionId":"$context.authorizer.decisionId"}',
    },
    // The authorizer could not answer (e.g. JWKS unreachable): fail closed with a retryable status.
    // API Gateway reports a thrown error other than `Unauthorized`, or a malformed result, as
    // AUTHORIZER_CONFIGURATION_ERROR and a failure to run it as AUTHORIZER_FAILURE: both get the same 503.
    ...(['AuthorizerFailure', 'AuthorizerConfigurationError'] as const).map((id) => ({
      id,
      type: id === 'AuthorizerFailure' ? ResponseType.AUTHORIZER_FAILURE : ResponseType.AUTHORIZER_CONFIGURATION_ERROR,
      statusCode: '503',
      headers: { ...common, 'Retry-After': quoted('1') },
      template: '{"message":"Authorization is temporarily unavailable","requestId":"$context.requestId"}',
    })),
    {
      id: 'Default4xx',
      type: ResponseType.DEFAULT_4XX,
      headers: common,
      template: '{"message":$context.error.messageString,"requestId":"$context.requestId"}',
    },
    {
      id: 'Default5xx',
      type: ResponseType.DEFAULT_5XX,
      headers: common,
      template: '{"message":$context.error.messageString,"requestId":"$context.requestId"}',
    },
  ];
}

export function addGatewayResponses(api: RestApi, realm: string, cors?: ResolvedCors): void {
  for (const spec of gatewayResponseSpecs(realm, cors)) {
    api.addGatewayResponse(spec.id, {
      type: spec.type,
      statusCode: spec.statusCode,
      responseHeaders: spec.headers,
      templates: { 'application/json': spec.template },
    });
  }
}
