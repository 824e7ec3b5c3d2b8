/**
 * CORS for browser clients (props `cors`), in one place for the deployed API
 * and the local gateway (local/gateway/cors.ts renders the same definitions):
 *
 * - Preflight (`OPTIONS` on `/` and `/{proxy+}`): a MOCK integration with
 *   `authorizationType: NONE`, so API Gateway answers it itself: no
 *   authorizer, no API key, never the backend. Its response template echoes
 *   the request's `Origin` only when it is one of `allowOrigins` (compared
 *   exactly); any other origin gets a 204 without CORS headers.
 * - Gateway responses (401, 403, 429, 5xx …): their headers are static, so
 *   they carry `Access-Control-Allow-Origin` only when it can be static: one
 *   allowed origin (or `*`). With several origins API Gateway has no way to
 *   echo only an allowed one (the alternative, mapping
 *   `method.request.header.Origin`, reflects any origin), so gateway
 *   responses then carry no CORS headers and a browser sees those errors as
 *   network errors. Use one origin per API to read error bodies in a page.
 * - The claims proxy's own responses (200, 403 withheld, 502, 504): the
 *   function echoes an allowed `Origin` (functions/shared/cors.ts), from the
 *   environment variables `corsFunctionEnvironment` sets.
 */
import { Duration, Token } from 'aws-cdk-lib';
import { MockIntegration, PassthroughBehavior, type IResource, type Method } from 'aws-cdk-lib/aws-apigateway';
import { AuthorizationType } from 'aws-cdk-lib/aws-apigateway';
import { InvalidPropError } from '../errors';

/** Browser access to the API (props `cors`). */
export interface CorsOptions {
  /**
   * Origins allowed to call the API from a browser, exactly as browsers send
   * them (`https://portal.example.com`, no path, no trailing slash). `http:`
   * only for loopback hosts. `['*']` allows any origin, never together with
   * `allowCredentials`.
   */
  readonly allowOrigins: readonly string[];
  /**
   * Request headers a page may send.
   * @default ['Authorization', 'Content-Type'] (+ `x-api-key` when `apiKeyRequired`)
   */
  readonly allowHeaders?: readonly string[];
  /**
   * Methods a page may use.
   * @default ['GET', 'POST', 'PUT', 'DELETE']
   */
  readonly allowMethods?: readonly string[];
  /**
   * Response headers a page may read besides the CORS-safelisted ones.
   * @default ['WWW-Authenticate', 'Retry-After', 'x-amzn-RequestId']
   */
  readonly exposeHeaders?: readonly string[];
  /**
   * Send `Access-Control-Allow-Credentials: true` (cookies / TLS client
   * certificates). Bearer tokens in `Authorization` do not need it.
   * @default false
   */
  readonly allowCredentials?: boolean;
  /**
   * How long a browser may cache a preflight answer (browsers cap it: Chromium 2 h).
   * @default Duration.minutes(10)
   */
  readonly maxAge?: Duration;
}

/** `CorsOptions` validated, defaults applied. */
export interface ResolvedCors {
  readonly allowOrigins: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly allowMethods: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly allowCredentials: boolean;
  readonly maxAgeSeconds: number;
}

export const CORS_DEFAULTS = {
  allowHeaders: ['Authorization', 'Content-Type'],
  allowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
  exposeHeaders: ['WWW-Authenticate', 'Retry-After', 'x-amzn-RequestId'],
  maxAgeSeconds: 600,
} as const;

/** Chromium's cap on Access-Control-Max-Age; a longer value is a mistake, not a wish. */
export const MAX_CORS_MAX_AGE_SECONDS = 7200;

const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
const METHOD = /^(GET|HEAD|POST|PUT|PATCH|DELETE)$/;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** What an origin may contain: no quote, `$` or `#` can reach the static header values or the VTL template. */
const ORIGIN_SHAPE = /^https?:\/\/(\[::1\]|[a-z0-9.-]+)(:\d{1,5})?$/;

function checkOrigin(origin: string): string {
  if (Token.isUnresolved(origin)) throw new InvalidPropError('cors.allowOrigins', 'must be literal strings (the preflight template compares them at synth)');
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new InvalidPropError('cors.allowOrigins', `not an origin: ${JSON.stringify(origin)}`);
  }
  // url.origin is the browser's serialisation: a value that differs (path, slash, case, default port) would never match.
  if (url.origin !== origin) {
    throw new InvalidPropError('cors.allowOrigins', `must be an origin exactly as a browser sends it (scheme://host[:port], lower case, no path or trailing slash): ${JSON.stringify(origin)}, did you mean ${url.origin}?`);
  }
  if (!ORIGIN_SHAPE.test(origin)) throw new InvalidPropError('cors.allowOrigins', `not a plain origin (letters, digits, dots, hyphens, optional port): ${JSON.stringify(origin)}`);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    throw new InvalidPropError('cors.allowOrigins', `must be https (http only for localhost/127.0.0.1): ${origin}`);
  }
  return origin;
}

function checkList(prop: string, values: readonly string[], pattern: RegExp): readonly string[] {
  if (values.length === 0) throw new InvalidPropError(prop, 'must not be empty');
  for (const v of values) {
    if (!pattern.test(v)) throw new InvalidPropError(prop, `invalid value ${JSON.stringify(v)}`);
  }
  return [...new Set(values)];
}

/** Validate `cors` and apply defaults. Throws `InvalidPropError` naming `cors.<field>`. */
export function resolveCors(options: CorsOptions, apiKeyHeader: string | undefined): ResolvedCors {
  const allowCredentials = options.allowCredentials ?? false;
  if (options.allowOrigins.length === 0) throw new InvalidPropError('cors.allowOrigins', 'must name at least one origin (omit `cors` to disable CORS)');
  let allowOrigins: readonly string[];
  if (options.allowOrigins.includes('*')) {
    if (options.allowOrigins.length > 1) throw new InvalidPropError('cors.allowOrigins', '"*" must be the only entry');
    if (allowCredentials) throw new InvalidPropError('cors.allowOrigins', '"*" is not allowed with allowCredentials (browsers refuse it, and it would expose credentialed responses to every site)');
    allowOrigins = ['*'];
  } else {
    allowOrigins = [...new Set(options.allowOrigins.map(checkOrigin))];
  }
  const defaultHeaders: string[] = [...CORS_DEFAULTS.allowHeaders, ...(apiKeyHeader !== undefined ? [apiKeyHeader] : [])];
  const allowHeaders = checkList('cors.allowHeaders', options.allowHeaders ?? defaultHeaders, HEADER_NAME);
  const allowMethods = checkList('cors.allowMethods', (options.allowMethods ?? CORS_DEFAULTS.allowMethods).map((m) => m.toUpperCase()), METHOD);
  const exposeHeaders = options.exposeHeaders !== undefined && options.exposeHeaders.length === 0
    ? []
    : checkList('cors.exposeHeaders', options.exposeHeaders ?? CORS_DEFAULTS.exposeHeaders, HEADER_NAME);
  const maxAgeSeconds = options.maxAge === undefined ? CORS_DEFAULTS.maxAgeSeconds : options.maxAge.toSeconds();
  if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 0 || maxAgeSeconds > MAX_CORS_MAX_AGE_SECONDS) {
    throw new InvalidPropError('cors.maxAge', `must be a whole number of seconds between 0 and ${MAX_CORS_MAX_AGE_SECONDS}, got ${maxAgeSeconds}`);
  }
  return { allowOrigins, allowHeaders, allowMethods, exposeHeaders, allowCredentials, maxAgeSeconds };
}

/** Is `origin` (the request's Origin header) allowed? Exact comparison, as the preflight template does. */
export function isAllowedOrigin(cors: ResolvedCors, origin: string | undefined): boolean {
  if (origin === undefined) return false;
  return cors.allowOrigins[0] === '*' || cors.allowOrigins.includes(origin);
}

/** The headers of a preflight answer for `origin`; `{}` for a disallowed or missing origin. */
export function preflightHeaders(cors: ResolvedCors, origin: string | undefined): Record<string, string> {
  if (!isAllowedOrigin(cors, origin)) return {};
  return {
    'Access-Control-Allow-Origin': cors.allowOrigins[0] === '*' ? '*' : (origin ?? ''),
    'Access-Control-Allow-Methods': [...cors.allowMethods, 'OPTIONS'].join(','),
    'Access-Control-Allow-Headers': cors.allowHeaders.join(','),
    'Access-Control-Max-Age': String(cors.maxAgeSeconds),
    ...(cors.allowCredentials ? { 'Access-Control-Allow-Credentials': 'true' } : {}),
    ...(cors.allowOrigins[0] === '*' ? {} : { Vary: 'Origin' }),
  };
}

/**
 * Static CORS headers for every gateway response (values single-quoted, as
 * API Gateway wants them): only with exactly one allowed origin or `*` (see
 * the file comment); `{}` otherwise.
 */
export function gatewayResponseCorsHeaders(cors: ResolvedCors | undefined): Record<string, string> {
  if (cors === undefined || cors.allowOrigins.length !== 1) return {};
  const origin = cors.allowOrigins[0] ?? '';
  return {
    'Access-Control-Allow-Origin': `'${origin}'`,
    ...(cors.exposeHeaders.length > 0 ? { 'Access-Control-Expose-Headers': `'${cors.exposeHeaders.join(',')}'` } : {}),
    ...(cors.allowCredentials ? { 'Access-Control-Allow-Credentials': "'true'" } : {}),
    ...(origin === '*' ? {} : { Vary: "'Origin'" }),
  };
}

/** Environment of the claims proxy (read by functions/shared/cors.ts). */
export function corsFunctionEnvironment(cors: ResolvedCors | undefined): Record<string, string> {
  if (cors === undefined) return {};
  return {
    CORS_ALLOW_ORIGINS: cors.allowOrigins.join(','),
    ...(cors.exposeHeaders.length > 0 ? { CORS_EXPOSE_HEADERS: cors.exposeHeaders.join(',') } : {}),
    ...(cors.allowCredentials ? { CORS_ALLOW_CREDENTIALS: 'true' } : {}),
  };
}

const PREFLIGHT_HEADERS = [
  'Access-Control-Allow-Origin', 'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers',
  'Access-Control-Max-Age', 'Access-Control-Allow-Credentials', 'Vary',
] as const;

/**
 * The MOCK integration's response template: it sets the CORS headers with
 * `$context.responseOverride.header` only when the Origin equals an allowed
 * origin (a VTL string comparison, no regex). Origins are validated to
 * contain no quote or `$`, so they are safe inside the VTL string literals.
 */
export function preflightResponseTemplate(cors: ResolvedCors): string {
  const lines = ['#set($origin = $input.params().header.get("Origin"))', '#if("$!origin" == "") #set($origin = $input.params().header.get("origin")) #end'];
  const condition = cors.allowOrigins[0] === '*'
    ? '"$!origin" != ""'
    : cors.allowOrigins.map((o) => `"$!origin" == "${o}"`).join(' || ');
  lines.push(`#if(${condition})`);
  // The same headers preflightHeaders gives an allowed origin, with the origin itself echoed from the request.
  const any = cors.allowOrigins[0] === '*';
  const headers = preflightHeaders(cors, any ? '*' : cors.allowOrigins[0]);
  for (const [name, value] of Object.entries(headers)) {
    const v = name === 'Access-Control-Allow-Origin' && !any ? '$origin' : value;
    lines.push(`#set($context.responseOverride.header.${name} = "${v}")`);
  }
  lines.push('#end');
  return lines.join('\n');
}

/** Add the unauthenticated `OPTIONS` preflight method (MOCK, 204) to `resource`. */
export function addPreflight(resource: IResource, cors: ResolvedCors): Method {
  const integration = new MockIntegration({
    requestTemplates: { 'application/json': '{"statusCode": 204}' },
    passthroughBehavior: PassthroughBehavior.WHEN_NO_MATCH,
    integrationResponses: [{ statusCode: '204', responseTemplates: { 'application/json': preflightResponseTemplate(cors) } }],
  });
  return resource.addMethod('OPTIONS', integration, {
    authorizationType: AuthorizationType.NONE,
    apiKeyRequired: false,
    methodResponses: [{ statusCode: '204', responseParameters: Object.fromEntries(PREFLIGHT_HEADERS.map((h) => [`method.response.header.${h}`, true])) }],
  });
}
