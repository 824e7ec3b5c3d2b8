/**
 * The error taxonomy of the Lambda functions (DESIGN.md §7): one class per
 * kind of failure, each with a typed `reason` (its sub-failure), and ONE table
 * (`OUTCOMES`) that says what each kind becomes — for the authorizer (401 /
 * Deny 403 / 503) and for the claims proxy (its HTTP answer), which decision
 * result is recorded and at which level it is logged. Both handlers go
 * through `outcomeFor`; callers branch on the table, never on message text.
 *
 * Anything that is not one of these classes is a crash: it fails closed as
 * "unavailable" (authorizer: 503 + Retry-After through the gateway responses;
 * proxy: 502, what API Gateway answers for a crashed integration).
 *
 * Messages are for logs only and never contain a token, a secret or a
 * backend body.
 */
import type { BundleVerificationReason } from 'rego-wasm/bundle';

/** The kinds of failure; each has exactly one row in `OUTCOMES`. */
export type FailureKind =
  | 'config'
  | 'missing_token'
  | 'malformed_authorization'
  | 'invalid_token'
  | 'jwks_unavailable'
  | 'introspection_unavailable'
  | 'request_rejected'
  | 'policy_denied'
  | 'policy_failed'
  | 'policy_bundle_unavailable'
  | 'response_withheld'
  | 'authorizer_context'
  | 'backend_timeout'
  | 'backend_unreachable'
  | 'backend_tls'
  | 'backend_error'
  | 'backend_bad_response';

export abstract class FunctionError<Reason extends string = string> extends Error {
  /** Which row of the outcome table applies. */
  abstract readonly kind: FailureKind;
  /** Short machine-readable sub-failure for logs and decision logs. */
  abstract readonly reason: Reason;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid environment configuration (every request fails closed). */
export class ConfigError extends FunctionError<'invalid_configuration'> {
  readonly kind = 'config';
  readonly reason = 'invalid_configuration';
}

/**
 * No Authorization header (RFC 6750: bare challenge, no error code). This and
 * MalformedAuthorizationError are logged with their message (`rejectionDetail`):
 * fixed text, at most the scheme's name (20 letters), never the credentials.
 */
export class MissingTokenError extends FunctionError<'missing_token'> {
  readonly kind = 'missing_token';
  readonly reason = 'missing_token';
}

/** Authorization header present but not one `Bearer <compact JWS>`, repeated, or too long. */
export class MalformedAuthorizationError extends FunctionError<'malformed_authorization'> {
  readonly kind = 'malformed_authorization';
  readonly reason = 'malformed_authorization';
}

/** Why a bearer token was rejected. */
export type TokenRejection =
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'algorithm_not_allowed'
  | 'bad_signature'
  | 'unknown_kid'
  | 'malformed_token'
  | 'missing_exp'
  | 'iat_in_future'
  | 'crit_header'
  | 'missing_sub'
  /** It carries an ID-token-only claim (`nonce`, `at_hash`, `c_hash`). */
  | 'id_token'
  /** It lacks what every access token has (`scp`/`scope`, `cid`/`client_id`), or its audience is its own client id. */
  | 'not_access_token'
  /** aws-jwt-verify refused it for a reason without its own class. */
  | 'invalid_token'
  /** Something other than the verifier's own errors was thrown while verifying. */
  | 'verification_failed'
  /** Token introspection (RFC 7662) answered `active: false`: revoked, or otherwise no longer valid at the issuer. */
  | 'token_inactive';

/** Bad signature, wrong iss/aud, expired, alg none/HS*, ID token, unknown kid... */
export class InvalidTokenError extends FunctionError<TokenRejection> {
  readonly kind = 'invalid_token';
  constructor(
    readonly reason: TokenRejection,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The JWKS could not be fetched (cold start or refresh): fail closed, retryable. */
export class JwksUnavailableError extends FunctionError<'jwks_unavailable'> {
  readonly kind = 'jwks_unavailable';
  readonly reason = 'jwks_unavailable';
}

/** Why token introspection could not give an answer. */
export type IntrospectionFailure =
  /** Connection refused, DNS, TLS... */
  | 'introspection_unreachable'
  /** No answer within INTROSPECTION_TIMEOUT_MS. */
  | 'introspection_timeout'
  /** The endpoint answered 5xx (or another non-200 that is not a client-auth refusal). */
  | 'introspection_error'
  /** The endpoint refused our client authentication (400/401 invalid_client): a credentials problem. */
  | 'introspection_client_rejected'
  /** Not JSON, too large, or no boolean `active`. */
  | 'introspection_bad_response'
  /** The client credentials could not be loaded (Secrets Manager, file) or are unusable. */
  | 'introspection_credentials';

/** Introspection was required but gave no answer: fail closed (503), unless the product allows a downgrade to local validation. */
export class IntrospectionUnavailableError extends FunctionError<IntrospectionFailure> {
  readonly kind = 'introspection_unavailable';
  constructor(
    readonly reason: IntrospectionFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Why a request was refused before any policy ran. */
export type RequestRejection =
  | 'bad_method'
  | 'bad_path'
  | 'path_too_long'
  | 'encoded_slash'
  | 'double_encoding'
  | 'bad_encoding'
  | 'control_character'
  | 'dot_segment'
  | 'too_many_headers'
  | 'too_many_query_params'
  /** The path holds `*` or `?`: the ARN would be an IAM wildcard. */
  | 'wildcard_in_path'
  /** The methodArn would be longer than an IAM `Resource` may be. */
  | 'arn_too_long'
  /** The event's methodArn/routeArn does not name the method and path the policy would see. */
  | 'arn_mismatch'
  /** The forwarded client certificate is not one parsable PEM certificate with short printable fields. */
  | 'bad_client_certificate';

/**
 * The request is refused before any policy runs (path tricks, oversized input, an ARN that is not this request).
 * The message is logged beside the reason (`rejectionDetail`), so it is fixed text: never request data.
 */
export class RequestRejectedError extends FunctionError<RequestRejection> {
  readonly kind = 'request_rejected';
  constructor(
    readonly reason: RequestRejection,
    message: string,
  ) {
    super(message);
  }
}

/** The request policy said no; `reason` is the policy's own (validated) token. */
export class PolicyDeniedError extends FunctionError {
  readonly kind = 'policy_denied';
  constructor(readonly reason: string) {
    super(`policy denied: ${reason}`);
  }
}

/** Why a policy could not give a usable answer. */
export type PolicyFailure = 'policy_unavailable' | 'evaluation_error' | 'undefined_result' | 'malformed_result';

/** The policy could not be loaded or evaluated, or its result is malformed/undefined. */
export class PolicyEvaluationError extends FunctionError<PolicyFailure> {
  readonly kind = 'policy_failed';
  constructor(
    readonly reason: PolicyFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Why a policy bundle was rejected or is missing (policy-store.ts). The
 * verification reasons are those of rego-wasm's `readBundle`/`verifyBundle`.
 */
export type BundleRejection =
  /** Network failure, refused connection, DNS. */
  | 'download_failed'
  | 'download_timeout'
  /** The bundle service answered something other than 200/304. */
  | 'http_status'
  | 'too_large'
  /** rego-wasm's verification reasons (`malformed` also: gzip/tar/JSON/manifest problems, no `/policy.wasm`). */
  | BundleVerificationReason
  /** The wasm does not instantiate, or lacks the configured entrypoint. */
  | 'instantiate_failed'
  /** The verification key (SSM parameter) could not be read. */
  | 'verification_key_unavailable'
  /** No good bundle has been loaded yet (cold start, fallback not allowed): every request fails closed. */
  | 'no_policy';

/**
 * A policy bundle could not be used. In the background it is logged and the
 * last good bundle keeps serving; on the request path (no good bundle at all)
 * it fails closed as "unavailable" (503 + Retry-After).
 */
export class PolicyBundleError extends FunctionError<BundleRejection> {
  readonly kind = 'policy_bundle_unavailable';
  /** The rejected bundle's `.manifest` revision, when it could be read. */
  readonly revision: string | undefined;
  constructor(
    readonly reason: BundleRejection,
    message: string,
    options?: { cause?: unknown; revision?: string },
  ) {
    super(message, options);
    this.revision = options?.revision;
  }
}

/** The response policy withheld the backend body (undefined result). */
export class ResponseWithheldError extends FunctionError<'response_withheld'> {
  readonly kind = 'response_withheld';
  readonly reason = 'response_withheld';
}

/** What is wrong with the authorizer context the integration received. */
export type AuthorizerContextProblem =
  /** No principalId/claims: the authorizer is not attached. */
  | 'missing_authorizer_context'
  /** The claims are not a JSON object. */
  | 'malformed_authorizer_context'
  /** principalId is not the claims' `sub`. */
  | 'principal_mismatch';

/** The integration was invoked without verified claims it can trust. */
export class AuthorizerContextError extends FunctionError<AuthorizerContextProblem> {
  readonly kind = 'authorizer_context';
  constructor(
    readonly reason: AuthorizerContextProblem,
    message: string,
  ) {
    super(message);
  }
}

/** The backend did not answer within BACKEND_TIMEOUT_MS. */
export class BackendTimeoutError extends FunctionError<'backend_timeout'> {
  readonly kind = 'backend_timeout';
  readonly reason = 'backend_timeout';
}

/** The backend could not be reached (connection refused, DNS...). */
export class BackendUnreachableError extends FunctionError<'backend_unreachable'> {
  readonly kind = 'backend_unreachable';
  readonly reason = 'backend_unreachable';
}

/** Why mutual TLS to the backend failed. */
export type BackendTlsFailure =
  /** The backend's certificate does not chain to the pinned CA, or does not name the host. */
  | 'backend_certificate_rejected'
  /** The backend refused the handshake (no client certificate, or one it does not trust). */
  | 'backend_handshake_failed'
  /** The client certificate and key could not be loaded (Secrets Manager, file) or are unusable. */
  | 'backend_credentials';

/** Mutual TLS to the backend failed: no request was sent, no backend data exists. */
export class BackendTlsError extends FunctionError<BackendTlsFailure> {
  readonly kind = 'backend_tls';
  constructor(
    readonly reason: BackendTlsFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The backend answered 5xx. */
export class BackendServerError extends FunctionError<'backend_error'> {
  readonly kind = 'backend_error';
  readonly reason = 'backend_error';
  constructor(readonly status: number) {
    super(`backend answered ${status}`);
  }
}

/** The backend's answer is unusable: bad JSON, too large. */
export class BackendBadResponseError extends FunctionError<'bad_json' | 'response_too_large'> {
  readonly kind = 'backend_bad_response';
  constructor(
    readonly reason: 'bad_json' | 'response_too_large',
    message: string,
  ) {
    super(message);
  }
}

/** What the authorizer does with a failure: API Gateway only knows these three. */
export type AuthorizerOutcome =
  /** `throw new Error('Unauthorized')` → 401 with the Bearer challenge. */
  | 'unauthorized'
  /** Deny policy → 403. */
  | 'deny'
  /** Throw anything else → AUTHORIZER_CONFIGURATION_ERROR / AUTHORIZER_FAILURE → 503 + Retry-After (gateway responses). */
  | 'unavailable';

/** What the claims proxy answers (a JSON error body). */
export interface ErrorResponse {
  readonly status: 400 | 401 | 403 | 502 | 503 | 504;
  /** Stable error code for JSON bodies (`access_denied`, `bad_gateway`...). */
  readonly error: string;
  /** Client-safe message. */
  readonly message: string;
}

/** Decision-log results a failure can have. */
export type FailureResult = 'unauthorized' | 'rejected' | 'deny' | 'withheld' | 'error';

/** What one kind of failure becomes. */
export interface FailureOutcome {
  readonly authorizer: AuthorizerOutcome;
  readonly response: ErrorResponse;
  readonly result: FailureResult;
  /** `error` = an infrastructure problem someone must look at; `info` = a refused request. */
  readonly level: 'info' | 'error';
}

/** Seconds clients are asked to wait after a 503 (the same as the construct's gateway responses). */
export const RETRY_AFTER_SECONDS = 1;

const UNAUTHORIZED_401: ErrorResponse = { status: 401, error: 'invalid_token', message: 'Unauthorized' };
const FORBIDDEN_403: ErrorResponse = { status: 403, error: 'access_denied', message: 'Forbidden' };
const BAD_GATEWAY_502: ErrorResponse = { status: 502, error: 'bad_gateway', message: 'Bad gateway' };
const UNAVAILABLE_503: ErrorResponse = { status: 503, error: 'temporarily_unavailable', message: 'Temporarily unavailable' };

/** THE mapping (DESIGN.md §7). `response` is what the claims proxy answers; the authorizer never builds HTTP itself. */
export const OUTCOMES: Readonly<Record<FailureKind, FailureOutcome>> = {
  config: { authorizer: 'unavailable', response: UNAVAILABLE_503, result: 'error', level: 'error' },
  missing_token: { authorizer: 'unauthorized', response: { ...UNAUTHORIZED_401, error: 'invalid_request' }, result: 'unauthorized', level: 'info' },
  malformed_authorization: { authorizer: 'unauthorized', response: { ...UNAUTHORIZED_401, error: 'invalid_request' }, result: 'unauthorized', level: 'info' },
  invalid_token: { authorizer: 'unauthorized', response: UNAUTHORIZED_401, result: 'unauthorized', level: 'info' },
  jwks_unavailable: { authorizer: 'unavailable', response: UNAVAILABLE_503, result: 'error', level: 'error' },
  introspection_unavailable: { authorizer: 'unavailable', response: UNAVAILABLE_503, result: 'error', level: 'error' },
  request_rejected: { authorizer: 'deny', response: { status: 400, error: 'invalid_request', message: 'Bad request' }, result: 'rejected', level: 'info' },
  policy_denied: { authorizer: 'deny', response: FORBIDDEN_403, result: 'deny', level: 'info' },
  // The request policy failing is a Deny (fail closed); the response policy failing is a 502 (no backend body).
  policy_failed: { authorizer: 'deny', response: BAD_GATEWAY_502, result: 'error', level: 'error' },
  // No good policy bundle yet (and no allowed fallback): retryable, never an allow.
  policy_bundle_unavailable: { authorizer: 'unavailable', response: UNAVAILABLE_503, result: 'error', level: 'error' },
  response_withheld: { authorizer: 'deny', response: FORBIDDEN_403, result: 'withheld', level: 'info' },
  authorizer_context: { authorizer: 'deny', response: BAD_GATEWAY_502, result: 'error', level: 'error' },
  backend_timeout: { authorizer: 'unavailable', response: { status: 504, error: 'backend_timeout', message: 'The backend did not answer in time' }, result: 'error', level: 'error' },
  backend_unreachable: { authorizer: 'unavailable', response: BAD_GATEWAY_502, result: 'error', level: 'error' },
  backend_tls: { authorizer: 'unavailable', response: BAD_GATEWAY_502, result: 'error', level: 'error' },
  backend_error: { authorizer: 'unavailable', response: BAD_GATEWAY_502, result: 'error', level: 'error' },
  backend_bad_response: { authorizer: 'unavailable', response: BAD_GATEWAY_502, result: 'error', level: 'error' },
};

/** Any other thrown value: a crash, failing closed (authorizer 503, proxy 502 like a crashed integration). */
export const CRASH_OUTCOME: FailureOutcome = { authorizer: 'unavailable', response: BAD_GATEWAY_502, result: 'error', level: 'error' };

/** The outcome of any thrown value. */
export function outcomeFor(error: unknown): FailureOutcome {
  return error instanceof FunctionError ? OUTCOMES[error.kind] : CRASH_OUTCOME;
}

/** A short reason for logs, for any thrown value. */
export function reasonOf(error: unknown): string {
  return error instanceof FunctionError ? error.reason : 'internal_error';
}

/**
 * The log fields of a request refused before the policy, beyond its reason:
 * which check refused it (one reason, e.g. `path_too_long` or
 * `malformed_authorization`, covers several). Only for the errors whose
 * messages are written for it (request rejections and the Authorization
 * header's form), never a token's or a library's message.
 */
export function rejectionDetail(error: unknown): { detail?: string } {
  const written = error instanceof RequestRejectedError || error instanceof MissingTokenError || error instanceof MalformedAuthorizationError;
  return written ? { detail: error.message } : {};
}
