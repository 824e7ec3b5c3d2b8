/**
 * CORS in the local gateway, from the construct's own definitions
 * (cdk/construct/cors.ts), so local and deployed behaviour match:
 *
 * - `OPTIONS` on any route is the construct's MOCK preflight: answered here
 *   with 204, before identity sources and the authorizer, never reaching
 *   the integration; CORS headers only for an allowed Origin.
 * - gateway error responses get the construct's static CORS headers (one
 *   allowed origin only; see cdk/construct/cors.ts).
 * - the claims proxy adds its own headers (functions/shared/cors.ts) from the
 *   environment `corsFunctionEnvironment` gives it (local/stack.ts).
 * Without a CORS configuration nothing changes: OPTIONS goes to the
 * authorizer like any method, as in a stack deployed without `cors`.
 */
import { preflightHeaders, type ResolvedCors } from '../../cdk/construct/cors';
import { gatewayResponseSpecs } from '../../cdk/construct/gateway-responses';
import { GatewayResponses } from './gateway-responses';
import type { HttpResult } from './proxy-result';

/** Gateway responses rendered from the construct's specs for this CORS configuration. */
export function corsGatewayResponses(cors: ResolvedCors | undefined): GatewayResponses {
  return new GatewayResponses(gatewayResponseSpecs('api', cors));
}

/**
 * The preflight answer for a request, or undefined when this is not a
 * preflight the gateway answers itself (no CORS configured, or not OPTIONS).
 */
export function preflightResult(cors: ResolvedCors | undefined, method: string, origin: string | undefined): HttpResult | undefined {
  if (cors === undefined || method !== 'OPTIONS') return undefined;
  // The MOCK integration's response: 204, content-type from the template's media type, empty body.
  return { statusCode: 204, headers: [['content-type', 'application/json'], ...Object.entries(preflightHeaders(cors, origin))], body: Buffer.alloc(0) };
}
