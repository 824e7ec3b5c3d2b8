/**
 * The authorizer's answer to API Gateway: an IAM policy that Allows exactly
 * the decided `methodArn` — only when it is exact, short enough for IAM and
 * names the request the policy saw — or Denies (the cache key includes method
 * and path, see functions/README.md), and a flat context (only
 * string/number/boolean values are allowed by API Gateway).
 */
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { RequestRejectedError } from './errors';
import type { ContextValue } from './policy-engine';

/** IAM refuses a policy `Resource` longer than this, so API Gateway cannot apply the authorizer's answer. */
export const MAX_RESOURCE_CHARS = 512;

/** The HTTP methods of a REST API method ARN (API Gateway's set). */
const API_GATEWAY_METHODS: ReadonlySet<string> = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);

/** `arn:aws:execute-api:region:account:apiId/stage/METHOD[/path...]` (a REST methodArn or an HTTP API routeArn). */
const ARN_SHAPE = /^(arn:aws[a-z-]*:execute-api:[a-z0-9-]+:\d{12}:[A-Za-z0-9]+)\/([^/\s*?]+)\/([^/\s]+)(\/[^\s]*)?$/;

/** A method ARN split into what it names. */
export interface MethodArn {
  readonly arn: string;
  /** `arn:...:apiId` */
  readonly api: string;
  readonly stage: string;
  readonly method: string;
  /** `/...` as in the ARN (`/` when it names the root). */
  readonly path: string;
}

/** Split a methodArn/routeArn; undefined when it is not one (an event API Gateway does not send). */
export function parseMethodArn(arn: string): MethodArn | undefined {
  const m = ARN_SHAPE.exec(arn);
  if (!m) return undefined;
  return { arn, api: m[1], stage: m[2], method: m[3], path: m[4] ?? '/' };
}

/** What the policy decided on: the event's own method, path and stage. */
export interface DecidedRequest {
  readonly method: string;
  readonly path: string;
  readonly stage: string;
}

function decodedOrRaw(path: string): string {
  if (!path.includes('%')) return path; // nothing to decode (the same string, without decodeURIComponent's copy)
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Whether two paths are the same once each is percent-decoded (a malformed escape compares as written). */
function samePath(a: string, b: string): boolean {
  return decodedOrRaw(a) === decodedOrRaw(b);
}

/**
 * Refuse (RequestRejectedError → Deny) an ARN an Allow may not name: one that
 * is not exact (`*` or `?` would be IAM wildcards covering other requests; a
 * method outside API Gateway's set), too long for an IAM `Resource`, or not
 * the request the policy decided on (method, stage and path must agree; the
 * path compared after one percent-decoding, the way both sides spell it).
 */
export function checkExactArn(arn: MethodArn, request: DecidedRequest): void {
  if (!API_GATEWAY_METHODS.has(arn.method)) throw new RequestRejectedError('bad_method', 'the method is not one API Gateway routes');
  if (arn.path.includes('*') || arn.path.includes('?')) throw new RequestRejectedError('wildcard_in_path', 'the path holds an IAM wildcard (* or ?)');
  if (arn.arn.length > MAX_RESOURCE_CHARS) throw new RequestRejectedError('arn_too_long', `the method ARN is longer than ${MAX_RESOURCE_CHARS} characters`);
  // An HTTP API's rawPath carries a named stage as its first segment.
  const stagePrefix = `/${arn.stage}`;
  const pathAgrees = samePath(request.path, arn.path) || (request.path.startsWith(`${stagePrefix}/`) && samePath(request.path.slice(stagePrefix.length), arn.path));
  if (arn.method !== request.method || (request.stage !== '' && arn.stage !== request.stage) || !pathAgrees) {
    throw new RequestRejectedError('arn_mismatch', 'the method ARN does not name the method, stage and path of the request');
  }
}

/** The Resource of a Deny: the ARN itself when IAM can hold it, else the whole stage (a broader Deny never grants anything). */
export function denyResource(arn: MethodArn): string {
  return arn.arn.length <= MAX_RESOURCE_CHARS ? arn.arn : `${arn.api}/${arn.stage}/*`;
}

export interface AuthorizerAnswer {
  readonly effect: 'Allow' | 'Deny';
  readonly principalId: string;
  /** An exact method ARN (checkExactArn) for an Allow; denyResource() for a Deny. */
  readonly resource: string;
  readonly context: Readonly<Record<string, ContextValue>>;
}

export function iamPolicy(answer: AuthorizerAnswer): APIGatewayAuthorizerResult {
  const context: Record<string, ContextValue> = {};
  for (const k of Object.keys(answer.context)) {
    const v = answer.context[k];
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) context[k] = v;
  }
  return {
    principalId: answer.principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: answer.effect, Resource: answer.resource }],
    },
    context,
  };
}
