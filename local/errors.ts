/**
 * One error hierarchy for the local stack (STYLE.md): callers branch on the
 * class, never on the message text.
 */
export abstract class LocalStackError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A port/URL/env override is not usable. */
export class LocalConfigError extends LocalStackError {}

/** The policy bundle cannot be built (toolchain missing or the Rego does not compile). */
export class PolicyBuildError extends LocalStackError {}

/** A handler module could not be loaded or returned something API Gateway would reject. */
export class HandlerLoadError extends LocalStackError {}

/** The Okta stand-in refused a token request (HTTP error from /v1/token). */
export class TokenRequestError extends LocalStackError {
  constructor(
    readonly status: number,
    readonly oauthError: string,
    message: string,
  ) {
    super(message);
  }
}

/** A CLI was called with bad arguments. */
export class UsageError extends LocalStackError {}
