/**
 * One error hierarchy for the Lambda functions (DESIGN.md §7). Callers branch
 * on the class, never on message text; `failureFor` is the ONE place that maps
 * a class to what the client gets (401/403/502/504...).
 *
 * Messages are for logs only and never contain a token, a secret or a
 * backend body.
 */
export abstract class FunctionError extends Error {
  /** Short machine-readable reason for logs and decision logs. */
  abstract readonly reason: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid environment configuration (cold start fails). */
export class ConfigError extends FunctionError {
  readonly reason = 'invalid_configuration';
}

/** No Authorization header (RFC 6750: bare challenge, no error code). */
export class MissingTokenError extends FunctionError {
  readonly reason = 'missing_token';
}

/** Authorization header present but not `Bearer <b64token>`, repeated, or too long. */
export class MalformedAuthorizationError extends FunctionError {
  readonly reason = 'malformed_authorization';
}

/** Bad signature, wrong iss/aud, expired, alg none/HS*, ID token, unknown kid... */
export class InvalidTokenError extends FunctionError {
  /** e.g. `expired`, `bad_signature`, `wrong_audience`, `id_token`. */
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The JWKS could not be fetched (cold start or refresh): fail closed, retryable. */
export class JwksUnavailableError extends FunctionError {
  readonly reason = 'jwks_unavailable';
}

/** The request is refused before any policy runs (path tricks, oversized input). */
export class RequestRejectedError extends FunctionError {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** The request policy said no. */
export class PolicyDeniedError extends FunctionError {
  constructor(readonly reason: string) {
    super(`policy denied: ${reason}`);
  }
}

/** The policy could not be loaded or evaluated, or its result is malformed/undefined. */
export class PolicyEvaluationError extends FunctionError {
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The response policy withheld the backend body (undefined result). */
export class ResponseWithheldError extends FunctionError {
  readonly reason = 'response_withheld';
}

/** The integration was invoked without the authorizer's verified claims. */
export class MissingAuthorizerContextError extends FunctionError {
  readonly reason = 'missing_authorizer_context';
}

/** The backend did not answer within BACKEND_TIMEOUT_MS. */
export class BackendTimeoutError extends FunctionError {
  readonly reason = 'backend_timeout';
}

/** The backend could not be reached (connection refused, DNS...). */
export class BackendUnreachableError extends FunctionError {
  readonly reason = 'backend_unreachable';
}

/** The backend answered 5xx. */
export class BackendServerError extends FunctionError {
  readonly reason = 'backend_error';
  constructor(readonly status: number) {
    super(`backend answered ${status}`);
  }
}

/** The backend's answer is unusable: bad JSON, too large. */
export class BackendBadResponseError extends FunctionError {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** What a failure becomes for the client. */
export interface FailureOutcome {
  /** HTTP status the client sees. */
  readonly status: 400 | 401 | 403 | 500 | 502 | 503 | 504;
  /** Stable error code for JSON bodies (`invalid_token`, `access_denied`...). */
  readonly error: string;
  /** Client-safe message. */
  readonly message: string;
  /** Whether it is an infrastructure problem to log at error level. */
  readonly operational: boolean;
}

/** The one mapping from error class to client outcome (DESIGN.md §7). */
export function failureFor(error: unknown): FailureOutcome {
  if (error instanceof MissingTokenError || error instanceof MalformedAuthorizationError) {
    return { status: 401, error: 'invalid_request', message: 'Unauthorized', operational: false };
  }
  if (error instanceof InvalidTokenError) {
    return { status: 401, error: 'invalid_token', message: 'Unauthorized', operational: false };
  }
  if (error instanceof JwksUnavailableError) {
    return { status: 503, error: 'temporarily_unavailable', message: 'Authorization is temporarily unavailable', operational: true };
  }
  if (error instanceof RequestRejectedError) {
    return { status: 400, error: 'invalid_request', message: 'Bad request', operational: false };
  }
  if (error instanceof PolicyDeniedError || error instanceof ResponseWithheldError) {
    return { status: 403, error: 'access_denied', message: 'Forbidden', operational: false };
  }
  if (error instanceof BackendTimeoutError) {
    return { status: 504, error: 'backend_timeout', message: 'The backend did not answer in time', operational: true };
  }
  if (
    error instanceof BackendServerError ||
    error instanceof BackendUnreachableError ||
    error instanceof BackendBadResponseError ||
    error instanceof PolicyEvaluationError ||
    error instanceof MissingAuthorizerContextError
  ) {
    return { status: 502, error: 'bad_gateway', message: 'Bad gateway', operational: true };
  }
  return { status: 500, error: 'internal_error', message: 'Internal error', operational: true };
}

/** A short reason for logs, for any thrown value. */
export function reasonOf(error: unknown): string {
  return error instanceof FunctionError ? error.reason : 'internal_error';
}

/** What the authorizer does with a failure: API Gateway only knows these three. */
export type AuthorizerOutcome =
  /** `throw new Error('Unauthorized')` → 401 with the Bearer challenge. */
  | 'unauthorized'
  /** Deny policy → 403 (policy said no, policy broken, request refused). */
  | 'deny'
  /** Throw anything else → AUTHORIZER_FAILURE (503 via gateway responses). */
  | 'unavailable';

/** The one mapping for the authorizer (fail closed: unknown errors deny). */
export function authorizerOutcomeFor(error: unknown): AuthorizerOutcome {
  if (error instanceof MissingTokenError || error instanceof MalformedAuthorizationError || error instanceof InvalidTokenError) {
    return 'unauthorized';
  }
  if (error instanceof JwksUnavailableError || error instanceof ConfigError) return 'unavailable';
  return 'deny';
}
