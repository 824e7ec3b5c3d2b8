/**
 * The claims proxy (Lambda proxy integration), built from its dependencies:
 *   1. the verified claims from the authorizer context (never re-read the token)
 *   2. forward method, the policy's view of the path, query and a safe header
 *      subset to the backend (timeout, size cap)
 *   3. run the response policy on the backend's answer and send only what it
 *      returns: undefined → 403 (withheld), never the unfiltered body on any
 *      failure (502/504 JSON errors).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2WithLambdaAuthorizer, APIGatewayProxyResult } from 'aws-lambda';
import type { ClaimsProxyConfig } from '../shared/config';
import { beginDecision, type DecisionLog } from '../shared/decision-log';
import {
  AuthorizerContextError,
  BackendBadResponseError,
  BackendServerError,
  outcomeFor,
  reasonOf,
  rejectionDetail,
  ResponseWithheldError,
  RETRY_AFTER_SECONDS,
  type ErrorResponse,
} from '../shared/errors';
import { describeError, type Logger } from '../shared/logger';
import { filterResponse, type PolicyEngine, type ResponseVerdict } from '../shared/policy-engine';
import { shadowCompare, type Shadow, type ShadowOutcome, type Verdict } from '../shared/shadow';
import { policyStoreOf, type PolicySource } from '../shared/policy-store';
import { nameMap, requestFacts, type RequestFacts, type TokenInput } from '../shared/request-input';
import { scopesOf } from '../shared/scopes';
import type { BackendClient, BackendResponse } from './backend-client';

/** HTTP API (payload 2.0) integration event: the authorizer's context is under `requestContext.authorizer.lambda`. */
export type HttpApiProxyEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<Record<string, unknown>>;
/** A REST API proxy event or an HTTP API payload 2.0 event. */
export type ProxyEvent = APIGatewayProxyEvent | HttpApiProxyEvent;
export type ClaimsProxyHandler = (event: ProxyEvent) => Promise<APIGatewayProxyResult>;

function isHttpApiEvent(event: ProxyEvent): event is HttpApiProxyEvent {
  return (event as { version?: string }).version === '2.0';
}

export interface ClaimsProxyDeps {
  readonly config: Pick<ClaimsProxyConfig, 'apiKeyHeader' | 'responseEntrypoint'>;
  readonly backend: BackendClient;
  /** The response policy: a PolicyStore (remote bundle, polled) or an engine promise. */
  readonly engine: PolicySource;
  readonly logger: Logger;
  readonly decisions: DecisionLog;
  /** A candidate response policy evaluated beside the enforced one (never changes the answer). */
  readonly shadow?: Shadow;
  /** Told what the shadow did on each request (metrics). */
  readonly onShadow?: (outcome: ShadowOutcome) => void;
}

/** The comparable form of a response verdict (or of its failure). */
function responseVerdictOf(verdict: ResponseVerdict | undefined, failure: unknown): Verdict {
  if (verdict === undefined) return { outcome: `error:${reasonOf(failure)}`, result: undefined };
  if (verdict.kind === 'json') return { outcome: 'body', result: verdict.body, detail: verdict.body };
  return { outcome: verdict.kind, result: verdict.kind === 'passthrough' ? true : undefined };
}

function tryFilter(engine: PolicyEngine, entrypoint: string, input: unknown, bodyIsJson: boolean): [ResponseVerdict | undefined, unknown] {
  try {
    return [filterResponse(engine, entrypoint, input, bodyIsJson), undefined];
  } catch (error) {
    return [undefined, error];
  }
}

/** Request headers passed to the backend (everything else is dropped: credentials, hop-by-hop, cookies). */
const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'accept-language',
  'content-type',
  'user-agent',
  // Write preconditions only. Read validators (if-none-match, if-modified-since)
  // are dropped: a 304 has no body for the response policy to judge.
  'if-match',
  'if-unmodified-since',
  'traceparent',
  'tracestate',
  'x-correlation-id',
];

/**
 * Backend response headers the client may see. NOT `etag` / `last-modified`:
 * they describe the backend's unfiltered record, so a reader of a redacted
 * view could watch them to learn when hidden fields change. NOT `cache-control`: the body
 * the client gets depends on who asked (the response policy's view), so the
 * backend's caching advice for the unfiltered record (e.g. `public,
 * max-age=3600`) must never let a shared cache serve one caller's view to
 * another; every answer is `no-store`.
 */
const RETURNED_RESPONSE_HEADERS = ['content-language'];

/** Backend response headers the response policy sees (no cookies). */
const POLICY_RESPONSE_HEADER_DENYLIST = new Set(['set-cookie', 'set-cookie2', 'authorization', 'www-authenticate']);

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const mime = contentType.split(';')[0].trim().toLowerCase();
  return mime === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mime);
}

/** The JSON error answer of the outcome table (functions/shared/errors.ts); a 503 says when to retry. */
export function errorResult(response: ErrorResponse, requestId: string, extra: Record<string, string> = {}): APIGatewayProxyResult {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...SECURITY_HEADERS, 'x-request-id': requestId };
  if (response.status === 503) headers['retry-after'] = String(RETRY_AFTER_SECONDS);
  return {
    statusCode: response.status,
    headers,
    body: JSON.stringify({ message: response.message, error: response.error, requestId, ...extra }),
  };
}

interface Caller {
  readonly sub: string;
  readonly token: TokenInput;
  readonly requestDecisionId: string | undefined;
}

/** The verified claims the authorizer put in its context (a JSON string). */
function callerOf(event: ProxyEvent): Caller {
  let ctx: Record<string, unknown> | null | undefined;
  let principalId: unknown;
  if (isHttpApiEvent(event)) {
    // HTTP API: the context as the authorizer returned it, the principal beside it.
    const authorizer = event.requestContext?.authorizer as { lambda?: Record<string, unknown> | null; principalId?: unknown } | undefined;
    ctx = authorizer?.lambda;
    principalId = authorizer?.principalId ?? ctx?.principalId;
  } else {
    ctx = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
    principalId = ctx?.principalId;
  }
  const claimsText = ctx?.claims;
  if (typeof principalId !== 'string' || principalId === '' || typeof claimsText !== 'string') {
    throw new AuthorizerContextError('missing_authorizer_context', 'no verified claims in requestContext.authorizer (is the authorizer attached?)');
  }
  let payload: unknown;
  try {
    payload = JSON.parse(claimsText);
  } catch {
    throw new AuthorizerContextError('malformed_authorizer_context', 'authorizer claims are not JSON');
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new AuthorizerContextError('malformed_authorizer_context', 'authorizer claims are not an object');
  }
  const claims = payload as Record<string, unknown>;
  if (claims.sub !== principalId) throw new AuthorizerContextError('principal_mismatch', 'authorizer principalId does not match the claims');
  const decisionId = ctx?.decisionId;
  return {
    sub: principalId,
    token: { payload: claims, scopes: scopesOf(claims) },
    requestDecisionId: typeof decisionId === 'string' ? decisionId : undefined,
  };
}

function forwardHeaders(facts: RequestFacts, sub: string, requestId: string): Record<string, string> {
  const out = nameMap<string>();
  const allowed = new Set(FORWARDED_REQUEST_HEADERS);
  for (const [k, v] of facts.rawHeaders) {
    if (!allowed.has(k)) continue;
    out[k] = k in out ? `${out[k]}, ${v}` : v;
  }
  out['x-request-id'] = requestId;
  out['x-authz-sub'] = sub;
  if (facts.sourceIp !== '') out['x-forwarded-for'] = facts.sourceIp;
  return out;
}

/** Methods whose requests carry no body to the backend (fetch refuses one, and it has no meaning). */
const BODYLESS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

function requestBody(event: ProxyEvent): Buffer | undefined {
  if (event.body === null || event.body === undefined) return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

function policyResponseHeaders(response: BackendResponse): Record<string, string> {
  const out = nameMap<string>();
  for (const [k, v] of Object.entries(response.headers)) if (!POLICY_RESPONSE_HEADER_DENYLIST.has(k)) out[k] = v;
  return out;
}

function returnedHeaders(response: BackendResponse, requestId: string, contentType: string): Record<string, string> {
  const out: Record<string, string> = { 'content-type': contentType, 'x-request-id': requestId };
  for (const name of RETURNED_RESPONSE_HEADERS) {
    const v = response.headers[name];
    if (v !== undefined) out[name] = v;
  }
  // Last, so nothing from the backend can replace them.
  return { ...out, ...SECURITY_HEADERS };
}

/** Encode the path segments the policy saw, so the backend gets exactly that path. */
export function encodePath(segments: readonly string[]): string {
  return `/${segments.map(encodeURIComponent).join('/')}`;
}

export function createClaimsProxy(deps: ClaimsProxyDeps): ClaimsProxyHandler {
  const { config, backend, logger, decisions } = deps;
  const store = policyStoreOf(deps.engine, logger);

  return async (event) => {
    const decision = beginDecision(decisions, {
      phase: 'response',
      method: ((isHttpApiEvent(event) ? event.requestContext?.http?.method : event.httpMethod) ?? '').toUpperCase(),
      path: (isHttpApiEvent(event) ? event.rawPath : event.path) ?? '',
      requestId: event.requestContext?.requestId,
      entrypoint: config.responseEntrypoint,
      sourceIp: (isHttpApiEvent(event) ? event.requestContext?.http?.sourceIp : event.requestContext?.identity?.sourceIp) ?? undefined,
    });
    const { decisionId } = decision;
    const requestId = event.requestContext?.requestId ?? decisionId;
    let requestDecisionId: string | undefined;

    try {
      const caller = callerOf(event);
      decision.sub = caller.sub;
      requestDecisionId = caller.requestDecisionId;
      const facts = requestFacts(event);
      const current = store.engine();
      const engine = current instanceof Promise ? await current : current;
      decision.policyRevision = engine.revision;

      let body = requestBody(event);
      if (body !== undefined && BODYLESS_METHODS.has(facts.method)) {
        logger.info('body of a GET/HEAD request dropped', { decisionId, requestId, bytes: body.length });
        body = undefined;
      }
      const response = await backend.send({
        method: facts.method,
        path: encodePath(facts.path),
        query: facts.query,
        headers: forwardHeaders(facts, caller.sub, requestId),
        body,
      });
      if (response.status >= 500) throw new BackendServerError(response.status);

      const contentType = response.headers['content-type'];
      const empty = response.body.length === 0;
      const bodyIsJson = empty || isJsonContentType(contentType);
      let json: unknown = null;
      if (bodyIsJson && !empty) {
        try {
          json = JSON.parse(response.body.toString('utf8'));
        } catch {
          throw new BackendBadResponseError('bad_json', 'backend sent invalid JSON');
        }
      }
      const input = {
        method: facts.method,
        path: facts.path,
        rawPath: facts.rawPath,
        token: caller.token,
        response: bodyIsJson
          ? { status: response.status, headers: policyResponseHeaders(response), body: json }
          : { status: response.status, headers: policyResponseHeaders(response), contentType: contentType ?? '' },
      };
      const started = process.hrtime.bigint();
      let verdict: ResponseVerdict | undefined;
      let failure: unknown;
      try {
        verdict = filterResponse(engine, config.responseEntrypoint, input, bodyIsJson);
      } catch (error) {
        failure = error;
      }
      const enforced = responseVerdictOf(verdict, failure);
      decision.evaluation = { path: config.responseEntrypoint, input, result: enforced.result, evalNs: Number(process.hrtime.bigint() - started), engine, bundle: 'authz' };
      // The candidate runs after the enforced answer is fixed, and only to be compared.
      if (deps.shadow !== undefined) {
        shadowCompare(deps.shadow, decision, enforced, (candidate) => responseVerdictOf(...tryFilter(candidate, config.responseEntrypoint, input, bodyIsJson)), deps.onShadow);
      }
      if (verdict === undefined) throw failure;
      if (verdict.kind === 'withheld') throw new ResponseWithheldError('response policy withheld the body');
      if (verdict.kind === 'passthrough') {
        decision.record('allow', 'passthrough');
        const textual = /^text\/|charset=/i.test(contentType ?? '');
        return {
          statusCode: response.status,
          headers: returnedHeaders(response, requestId, contentType ?? 'application/octet-stream'),
          body: textual ? response.body.toString('utf8') : response.body.toString('base64'),
          isBase64Encoded: !textual,
        };
      }
      decision.record('filtered', 'filtered');
      return {
        statusCode: response.status,
        headers: returnedHeaders(response, requestId, 'application/json'),
        body: verdict.body === null && empty ? '' : JSON.stringify(verdict.body),
      };
    } catch (error) {
      const outcome = outcomeFor(error);
      const reason = reasonOf(error);
      decision.record(outcome.result, reason);
      const fields = { decisionId, requestId, reason, status: outcome.response.status };
      if (outcome.level === 'error') logger.error('claims proxy failed (no backend body sent)', { ...fields, ...describeError(error) });
      else if (outcome.result !== 'withheld') logger.info('request refused', { ...fields, ...rejectionDetail(error) });
      const extra: Record<string, string> = { decisionId };
      if (requestDecisionId !== undefined) extra.requestDecisionId = requestDecisionId;
      if (error instanceof ResponseWithheldError) extra.reason = reason;
      return errorResult(outcome.response, requestId, extra);
    }
  };
}
