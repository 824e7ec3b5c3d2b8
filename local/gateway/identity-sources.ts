/**
 * Resolve REQUEST-authorizer identity sources (`method.request.header.X`,
 * `method.request.querystring.X`, `context.X`, `stageVariables.X`) for one
 * request. API Gateway answers 401 without calling the authorizer when any
 * of them is missing or empty; their values, in order, are the cache key.
 */
import { headerValue, type ApiIdentity, type GatewayRequest } from './request-model';

export function resolveIdentitySources(sources: readonly string[], api: ApiIdentity, req: GatewayRequest): string[] | undefined {
  const values: string[] = [];
  for (const source of sources) {
    const v = resolveOne(source, api, req);
    if (v === undefined || v === '') return undefined;
    values.push(v);
  }
  return values;
}

function resolveOne(source: string, api: ApiIdentity, req: GatewayRequest): string | undefined {
  const header = /^method\.request\.header\.(.+)$/.exec(source);
  if (header) return headerValue(req, header[1] ?? '');
  const query = /^method\.request\.querystring\.(.+)$/.exec(source);
  if (query) return new URLSearchParams(req.rawQuery).get(query[1] ?? '') ?? undefined;
  const context = /^\$?context\.(.+)$/.exec(source);
  if (context) {
    switch (context[1]) {
      case 'httpMethod': return req.method;
      case 'path': return `/${api.stage}${req.path}`;
      case 'resourcePath': return req.resource;
      case 'stage': return api.stage;
      case 'identity.sourceIp': return req.sourceIp;
      default: throw new Error(`identity source ${source} is not supported by the local gateway`);
    }
  }
  if (/^stageVariables\./.test(source)) return undefined;
  throw new Error(`identity source ${source} is not supported by the local gateway`);
}
