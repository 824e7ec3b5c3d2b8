/**
 * CORS headers on the claims proxy's own responses (200, 403 withheld, 502,
 * 504). The allowed origins come from the environment the CDK construct sets
 * (cdk/construct/cors.ts `corsFunctionEnvironment`):
 *
 *   CORS_ALLOW_ORIGINS      comma-separated origins, or `*`; unset = no CORS headers
 *   CORS_EXPOSE_HEADERS     comma-separated response headers a page may read
 *   CORS_ALLOW_CREDENTIALS  `true` to send Access-Control-Allow-Credentials
 *
 * The request's Origin is echoed only when it equals an allowed origin; any
 * other origin gets no CORS header (the browser then withholds the response).
 */

export interface CorsConfig {
  readonly allowOrigins: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly allowCredentials: boolean;
}

const list = (raw: string | undefined): string[] => (raw ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');

/** undefined when CORS is off. */
export function corsConfigFromEnv(env: NodeJS.ProcessEnv): CorsConfig | undefined {
  const allowOrigins = list(env.CORS_ALLOW_ORIGINS);
  if (allowOrigins.length === 0) return undefined;
  return { allowOrigins, exposeHeaders: list(env.CORS_EXPOSE_HEADERS), allowCredentials: env.CORS_ALLOW_CREDENTIALS === 'true' };
}

/** The request's Origin header (header names are case-insensitive; a repeated header is refused). */
function requestOrigin(headers: Readonly<Record<string, string | undefined>> | null | undefined): string | undefined {
  let found: string | undefined;
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'origin' || value === undefined) continue;
    if (found !== undefined) return undefined;
    found = value;
  }
  return found;
}

/** CORS headers for a response to a request with these headers; `{}` when the origin is not allowed. */
export function corsResponseHeaders(config: CorsConfig | undefined, headers: Readonly<Record<string, string | undefined>> | null | undefined): Record<string, string> {
  if (config === undefined) return {};
  const any = config.allowOrigins[0] === '*';
  const origin = requestOrigin(headers);
  if (origin === undefined || (!any && !config.allowOrigins.includes(origin))) return any ? {} : { Vary: 'Origin' };
  return {
    'Access-Control-Allow-Origin': any ? '*' : origin,
    ...(config.exposeHeaders.length > 0 ? { 'Access-Control-Expose-Headers': config.exposeHeaders.join(',') } : {}),
    ...(config.allowCredentials ? { 'Access-Control-Allow-Credentials': 'true' } : {}),
    ...(any ? {} : { Vary: 'Origin' }),
  };
}
