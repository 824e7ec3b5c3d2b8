/**
 * The REST API's resource tree, as the CDK construct deploys it
 * (cdk/construct/opa-authorized-api.ts): `ANY /` and `ANY /{proxy+}`, both
 * behind the REQUEST authorizer and integrated with the claims proxy.
 * Matching follows API Gateway: literal segments beat `{param}`, which beats
 * a greedy `{proxy+}`; no match → 403 "Missing Authentication Token".
 */

export interface RouteDefinition {
  /** Resource template, e.g. `/{proxy+}` or `/v1/claims/enrollee/{id}`. */
  readonly resource: string;
  /** `ANY` or one HTTP method. */
  readonly method: string;
}

export interface RouteMatch {
  readonly resource: string;
  readonly resourceId: string;
  readonly pathParameters: Record<string, string> | null;
}

export const CDK_ROUTES: readonly RouteDefinition[] = [
  { resource: '/', method: 'ANY' },
  { resource: '/{proxy+}', method: 'ANY' },
];

function segmentsOf(p: string): string[] {
  return p.split('/').filter((s) => s !== '');
}

/** Specificity score: more literal segments first, then params, greedy last. */
function score(resource: string): number {
  let s = 0;
  for (const seg of segmentsOf(resource)) {
    if (/^\{.+\+\}$/.test(seg)) s += 1;
    else if (/^\{.+\}$/.test(seg)) s += 100;
    else s += 10_000;
  }
  return s;
}

function resourceId(resource: string): string {
  let h = 0;
  for (const ch of resource) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h.toString(36).padStart(6, '0').slice(-6);
}

function matchOne(resource: string, path: string): Record<string, string> | null | undefined {
  const tpl = segmentsOf(resource);
  const segs = segmentsOf(path);
  const params: Record<string, string> = {};
  for (let i = 0; i < tpl.length; i++) {
    const t = tpl[i] ?? '';
    const greedy = /^\{(.+)\+\}$/.exec(t);
    if (greedy) {
      const rest = segs.slice(i);
      if (rest.length === 0) return undefined;
      params[greedy[1] ?? 'proxy'] = rest.join('/');
      return params;
    }
    const s = segs[i];
    if (s === undefined) return undefined;
    const param = /^\{(.+)\}$/.exec(t);
    if (param) params[param[1] ?? ''] = s;
    else if (t !== s) return undefined;
  }
  if (segs.length !== tpl.length) return undefined;
  return Object.keys(params).length > 0 ? params : null;
}

const sortedTables = new WeakMap<readonly RouteDefinition[], RouteDefinition[]>();

function bySpecificity(routes: readonly RouteDefinition[]): RouteDefinition[] {
  let sorted = sortedTables.get(routes);
  if (!sorted) {
    sorted = [...routes].sort((a, b) => score(b.resource) - score(a.resource));
    sortedTables.set(routes, sorted);
  }
  return sorted;
}

export function matchRoute(routes: readonly RouteDefinition[], method: string, path: string): RouteMatch | undefined {
  for (const r of bySpecificity(routes)) {
    if (r.method !== 'ANY' && r.method !== method) continue;
    const params = matchOne(r.resource, path);
    if (params === undefined) continue;
    return { resource: r.resource, resourceId: resourceId(r.resource), pathParameters: params };
  }
  return undefined;
}
