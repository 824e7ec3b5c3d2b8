/**
 * API Gateway event → the policy input of DESIGN.md §3. Works for the REST
 * API REQUEST authorizer event, the REST proxy event (claims proxy) and the
 * HTTP API payload 2.0 authorizer event: the policy sees the same document.
 * `inputByNeed` then narrows a document to the parts a policy entrypoint can
 * read (the policy engine applies it to every evaluation).
 */
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
} from 'aws-lambda';
import { inputJsonSelector, readInputPathsSection } from 'rego-wasm/load';
import { pathSegments } from './request-path';
import { RequestRejectedError } from './errors';
import type { VerifiedToken } from './token-verifier';
import type { TokenValidation } from './introspection';
import type { ClientCertInput } from './client-cert';

/**
 * A map keyed by client-chosen names (headers, query parameters): no
 * prototype, so `__proto__`, `constructor` or `toString` are ordinary keys
 * and never merge with (or are swallowed by) Object.prototype. Every object
 * built from request data starts as one.
 */
export function nameMap<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

export interface TokenInput {
  readonly payload: Readonly<Record<string, unknown>>;
  readonly scopes: readonly string[];
}

export interface RequestInput {
  readonly method: string;
  readonly path: readonly string[];
  readonly rawPath: string;
  readonly query: Readonly<Record<string, readonly string[]>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly sourceIp: string;
  readonly token: RequestTokenInput;
  readonly api: { readonly stage: string; readonly resource: string; readonly product?: string };
  /** The mutual-TLS client certificate (client-cert.ts); absent without one. */
  readonly clientCert?: ClientCertInput;
}

/** The request phase also says how the token was checked: signature and claims only, or also at the issuer (introspection). */
export interface RequestTokenInput extends TokenInput {
  readonly validation: TokenValidation;
}

/** What the authorizer learnt about the caller beyond the request itself. */
export interface CallerSecurity {
  /** `local` unless introspection confirmed the token. */
  readonly validation?: TokenValidation;
  /** The client certificate API Gateway forwarded (mutual TLS). */
  readonly clientCert?: ClientCertInput;
}

/** What the request looked like, independent of the event version. */
export interface RequestFacts {
  readonly method: string;
  readonly rawPath: string;
  readonly path: readonly string[];
  readonly query: Readonly<Record<string, readonly string[]>>;
  /** Lower-cased names, all values (multi-value kept). */
  readonly rawHeaders: ReadonlyArray<readonly [string, string]>;
  readonly sourceIp: string;
  readonly stage: string;
  readonly resource: string;
  readonly requestId: string;
}

export const MAX_QUERY_PARAMS = 100;
export const MAX_HEADERS = 100;
/** Headers never handed to a policy: credentials and AWS session secrets. */
export const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'x-amz-security-token'];
const SECRET_HEADER_SET: ReadonlySet<string> = new Set(SECRET_HEADERS);

/** Payload 2.0 events (HTTP API) have the same request fields whether they reach the authorizer or the integration. */
type V2Event = APIGatewayRequestAuthorizerEventV2 | APIGatewayProxyEventV2;
export type AnyRequestEvent = APIGatewayRequestAuthorizerEvent | APIGatewayProxyEvent | V2Event;

export function isV2Event<E extends AnyRequestEvent>(event: E): event is Extract<E, V2Event> {
  return (event as { version?: string }).version === '2.0';
}

function headerPairs(
  single: Readonly<Record<string, string | undefined>> | null | undefined,
  multi: Readonly<Record<string, readonly string[] | undefined>> | null | undefined,
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (multi && Object.keys(multi).length > 0) {
    for (const [k, values] of Object.entries(multi)) for (const v of values ?? []) out.push([k.toLowerCase(), v]);
  } else if (single) {
    for (const [k, v] of Object.entries(single)) if (v !== undefined) out.push([k.toLowerCase(), v]);
  }
  if (out.length > MAX_HEADERS) throw new RequestRejectedError('too_many_headers', `more than ${MAX_HEADERS} headers`);
  return out;
}

function queryOf(
  multi: Readonly<Record<string, readonly string[] | undefined>> | null | undefined,
  single: Readonly<Record<string, string | undefined>> | null | undefined,
): Record<string, string[]> {
  const out = nameMap<string[]>();
  let count = 0;
  if (multi && Object.keys(multi).length > 0) {
    for (const [k, values] of Object.entries(multi)) {
      for (const v of values ?? []) count = addQueryValue(out, k, v, count);
    }
  } else if (single) {
    for (const [k, v] of Object.entries(single)) if (v !== undefined) count = addQueryValue(out, k, v, count);
  }
  return out;
}

/** Append one query value; returns the new count (refused beyond MAX_QUERY_PARAMS). */
function addQueryValue(out: Record<string, string[]>, k: string, v: string, count: number): number {
  if (count >= MAX_QUERY_PARAMS) throw new RequestRejectedError('too_many_query_params', `more than ${MAX_QUERY_PARAMS} query values`);
  (out[k] ??= []).push(v);
  return count + 1;
}

function rawQueryOf(raw: string): Record<string, string[]> {
  const out = nameMap<string[]>();
  let count = 0;
  for (const [k, v] of new URLSearchParams(raw)) count = addQueryValue(out, k, v, count);
  return out;
}

/** Extract the request facts; path tricks and oversized input throw RequestRejectedError. */
export function requestFacts(event: AnyRequestEvent): RequestFacts {
  if (isV2Event(event)) {
    const rawPath = event.rawPath ?? event.requestContext.http.path;
    const pairs: Array<[string, string]> = [];
    for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) pairs.push([k.toLowerCase(), v]);
    if (pairs.length > MAX_HEADERS) throw new RequestRejectedError('too_many_headers', `more than ${MAX_HEADERS} headers`);
    return {
      method: event.requestContext.http.method.toUpperCase(),
      rawPath,
      path: pathSegments(rawPath),
      query: rawQueryOf(event.rawQueryString ?? ''),
      rawHeaders: pairs,
      sourceIp: event.requestContext.http.sourceIp ?? '',
      stage: event.requestContext.stage ?? '',
      resource: event.routeKey ?? '',
      requestId: event.requestContext.requestId ?? '',
    };
  }
  const rawPath = event.path ?? '';
  const method = (event.httpMethod ?? event.requestContext?.httpMethod ?? '').toUpperCase();
  if (!/^[A-Z]{1,16}$/.test(method)) throw new RequestRejectedError('bad_method', 'missing or invalid HTTP method');
  return {
    method,
    rawPath,
    path: pathSegments(rawPath),
    query: queryOf(event.multiValueQueryStringParameters, event.queryStringParameters),
    rawHeaders: headerPairs(event.headers, event.multiValueHeaders),
    sourceIp: event.requestContext?.identity?.sourceIp ?? '',
    stage: event.requestContext?.stage ?? '',
    resource: event.resource ?? event.requestContext?.resourcePath ?? '',
    requestId: event.requestContext?.requestId ?? '',
  };
}

/** Header map for the policy: lower-cased, multiple values joined by ", ", secrets and the API key removed. */
function policyHeaders(facts: RequestFacts, apiKeyHeader: string): Record<string, string> {
  const apiKey = apiKeyHeader.toLowerCase();
  const joined = nameMap<string>();
  for (const [k, v] of facts.rawHeaders) {
    if (SECRET_HEADER_SET.has(k) || k === apiKey) continue;
    const seen = joined[k];
    joined[k] = seen === undefined ? v : `${seen}, ${v}`;
  }
  return joined;
}

function tokenInput(token: VerifiedToken, validation: TokenValidation): RequestTokenInput {
  return { payload: token.payload, scopes: token.scopes, validation };
}

/** The request policy's input document (DESIGN.md §3). */
export function buildRequestInput(facts: RequestFacts, token: VerifiedToken, apiKeyHeader: string, product?: string, security: CallerSecurity = {}): RequestInput {
  const input: { -readonly [K in keyof RequestInput]: RequestInput[K] } = {
    method: facts.method,
    path: facts.path,
    rawPath: facts.rawPath,
    query: facts.query,
    headers: policyHeaders(facts, apiKeyHeader),
    sourceIp: facts.sourceIp,
    token: tokenInput(token, security.validation ?? 'local'),
    api: product === undefined ? { stage: facts.stage, resource: facts.resource } : { stage: facts.stage, resource: facts.resource, product },
  };
  if (security.clientCert !== undefined) input.clientCert = security.clientCert;
  return input;
}

/** The same input with the token's validation replaced (after introspection). */
export function withValidation(input: RequestInput, validation: TokenValidation): RequestInput {
  const out: { -readonly [K in keyof RequestInput]: RequestInput[K] } = {
    method: input.method,
    path: input.path,
    rawPath: input.rawPath,
    query: input.query,
    headers: input.headers,
    sourceIp: input.sourceIp,
    token: { payload: input.token.payload, scopes: input.token.scopes, validation },
    api: input.api,
  };
  if (input.clientCert !== undefined) out.clientCert = input.clientCert;
  return out;
}

/**
 * Hands a policy entrypoint the parts of its input document it can read, as
 * what the SDK's `evaluate` takes: the document, or the JSON bytes of its
 * parts in an ArrayBuffer that the next call for that entrypoint reuses.
 */
export type InputByNeed = (entrypoint: string, input: unknown) => unknown;

/**
 * Input by need: the paths each entrypoint can read, as the rego-wasm build
 * stored them in `policy.wasm`, select what the policy is given, written
 * straight to the JSON bytes the SDK copies into the module
 * (`inputJsonSelector`: no pruned copy, no second serialisation). A module
 * without them (built by `opa`), an entrypoint not listed, or a policy that
 * reads the input whole (a dynamic key, `walk(input)`, `input` passed to a
 * function…) gets the whole document.
 */
export function inputByNeed(wasm: Uint8Array): InputByNeed {
  const paths = readInputPathsSection(wasm);
  if (paths === undefined) return (_entrypoint, input) => input;
  const selectors = new Map<string, (input: unknown) => unknown>();
  for (const [entrypoint, read] of Object.entries(paths)) selectors.set(entrypoint, inputJsonSelector(read));
  return (entrypoint, input) => {
    const select = selectors.get(entrypoint);
    return select === undefined ? input : select(input);
  };
}
