/**
 * API Gateway's own error responses, rendered from the SAME specs the CDK
 * construct deploys (cdk/construct/gateway-responses.ts): status code,
 * static headers and the body template with `$context.*` substitution. A
 * type without its own spec falls back to DEFAULT_4XX / DEFAULT_5XX, as in AWS.
 */
import { gatewayResponseSpecs, type GatewayResponseSpec } from '../../cdk/construct/gateway-responses';

export type GatewayResponseType =
  | 'UNAUTHORIZED'
  | 'ACCESS_DENIED'
  | 'AUTHORIZER_FAILURE'
  | 'AUTHORIZER_CONFIGURATION_ERROR'
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'REQUEST_TOO_LARGE'
  | 'BAD_REQUEST_PARAMETERS'
  | 'INVALID_API_KEY'
  | 'INTEGRATION_FAILURE'
  | 'INTEGRATION_TIMEOUT'
  | 'DEFAULT_4XX'
  | 'DEFAULT_5XX';

const DEFAULT_STATUS: Record<GatewayResponseType, number> = {
  UNAUTHORIZED: 401,
  ACCESS_DENIED: 403,
  AUTHORIZER_FAILURE: 500,
  AUTHORIZER_CONFIGURATION_ERROR: 500,
  MISSING_AUTHENTICATION_TOKEN: 403,
  REQUEST_TOO_LARGE: 413,
  BAD_REQUEST_PARAMETERS: 400,
  INVALID_API_KEY: 403,
  INTEGRATION_FAILURE: 504,
  INTEGRATION_TIMEOUT: 504,
  DEFAULT_4XX: 400,
  DEFAULT_5XX: 500,
};

export interface GatewayErrorContext {
  readonly requestId: string;
  /** `$context.error.message`; null renders as JSON null (AWS's `{"message": null}`). */
  readonly message: string | null;
  /** Overrides the type's default status when API Gateway uses a specific one (e.g. 502 for a bad proxy result). */
  readonly statusCode?: number;
  readonly authorizer?: Readonly<Record<string, string | number | boolean | null>>;
}

export interface RenderedResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith("'") && v.endsWith("'") ? v.slice(1, -1) : v;
}

function escapeJsonString(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

export class GatewayResponses {
  private readonly specs = new Map<string, GatewayResponseSpec>();

  constructor(specs: readonly GatewayResponseSpec[] = gatewayResponseSpecs('api')) {
    for (const s of specs) this.specs.set(s.type.responseType, s);
  }

  render(type: GatewayResponseType, ctx: GatewayErrorContext): RenderedResponse {
    const status = ctx.statusCode ?? DEFAULT_STATUS[type];
    const spec = this.specs.get(type) ?? this.specs.get(status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (type === 'ACCESS_DENIED' || type === 'UNAUTHORIZED' || type === 'MISSING_AUTHENTICATION_TOKEN') {
      headers['x-amzn-ErrorType'] = type === 'UNAUTHORIZED' ? 'UnauthorizedException' : type === 'ACCESS_DENIED' ? 'AccessDeniedException' : 'MissingAuthenticationTokenException';
    }
    if (!spec) {
      return { statusCode: status, headers, body: JSON.stringify({ message: ctx.message }) };
    }
    for (const [k, v] of Object.entries(spec.headers)) headers[k] = unquote(v);
    // A spec's own status applies to its own type only; a DEFAULT_* fallback keeps the specific status.
    const statusCode = spec.type.responseType === type && spec.statusCode !== undefined && ctx.statusCode === undefined ? Number(spec.statusCode) : status;
    const body = spec.template.replace(/\$context\.([A-Za-z0-9_.]+)/g, (_m, name: string) => {
      if (name === 'requestId') return escapeJsonString(ctx.requestId);
      if (name === 'error.messageString') return JSON.stringify(ctx.message);
      if (name === 'error.message') return ctx.message === null ? '' : escapeJsonString(ctx.message);
      if (name === 'error.responseType') return type;
      if (name.startsWith('authorizer.')) {
        const v = ctx.authorizer?.[name.slice('authorizer.'.length)];
        return v === undefined || v === null ? '' : escapeJsonString(String(v));
      }
      return '';
    });
    return { statusCode, headers, body };
  }
}
