/**
 * Okta access-token verification: aws-jwt-verify's JwtVerifier (one per
 * container, JWKS from Okta's `{issuer}/v1/keys`) plus the checks the library
 * leaves out (jwt-and-okta-facts.md §1.5, §1.6, §4.3): pinned algorithm,
 * numeric `exp` required, `iat` not in the future beyond the skew, no `crit`
 * header, access tokens only (ID tokens rejected), and a key cache that a
 * key rotation cannot outrun (jwks-cache.ts): bounded age, one refresh per
 * interval whatever the `kid`s, fetch timeout. Every failure is an InvalidTokenError (401) except a JWKS outage,
 * which is a JwksUnavailableError (fail closed, 503).
 */
import { JwtVerifier } from 'aws-jwt-verify';
import {
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidClaimError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
  ParameterValidationError,
  WaitPeriodNotYetEndedJwkError,
  FetchError,
  JwksValidationError,
  JwkInvalidKtyError,
  JwkInvalidUseError,
} from 'aws-jwt-verify/error';
import type { JwtHeader, JwtPayload } from 'aws-jwt-verify/jwt-model';
import { RotationSafeJwksCache, systemClock } from './jwks-cache';
import { JwksFetcher } from './jwks-fetcher';
import { InvalidTokenError, JwksUnavailableError, type TokenRejection } from './errors';
import { scopesOf } from './scopes';

export interface TokenVerifierOptions {
  readonly issuers: readonly string[];
  readonly audiences: readonly string[];
  /** One JWKS URI per issuer (same order as `issuers`). */
  readonly jwksUris: readonly string[];
  readonly algorithms: readonly string[];
  readonly clockSkewSeconds: number;
  readonly jwksMaxAgeSeconds: number;
  readonly jwksFetchTimeoutMs: number;
  /** At most one JWKS fetch per this interval, however many unknown `kid`s arrive. @default 2000 */
  readonly jwksRefreshMinIntervalMs?: number;
  /** Clock in ms (tests). @default Date.now */
  readonly now?: () => number;
  /** Timer for the refresh interval (tests). @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A verified access token: its payload and the normalised scopes. */
export interface VerifiedToken {
  readonly sub: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly scopes: readonly string[];
}

export interface TokenVerifier {
  /** Fetch every JWKS now (cold start). Rejects with JwksUnavailableError. */
  hydrate(): Promise<void>;
  /** @throws InvalidTokenError | JwksUnavailableError */
  verify(jwt: string): Promise<VerifiedToken>;
}

/**
 * Claims that only ID tokens carry (OIDC Core §2, §3.3.2.11). `auth_time`,
 * `acr` and `amr` are NOT in this list: RFC 9068 §2.2.1 allows them in access
 * tokens.
 */
const ID_TOKEN_CLAIMS = ['nonce', 'at_hash', 'c_hash'];

/** Class raised by our own custom check; a claim error so the library treats it like its own. */
class CustomCheckError extends JwtInvalidClaimError {
  constructor(
    readonly reason: TokenRejection,
    message: string,
  ) {
    super(message, undefined, undefined);
  }
}

type CustomCheck = (props: { header: JwtHeader; payload: JwtPayload }) => void;

/**
 * The checks aws-jwt-verify leaves out, run by the library after the signature
 * and its own claim checks; each throws a claim error carrying its rejection.
 * Exported for its unit tests: the key cache refuses an unconfigured `alg`
 * before this runs, so only a direct call shows that the pin here holds alone.
 */
export function customChecks(opts: TokenVerifierOptions, now: () => number): CustomCheck {
  const algorithms = new Set(opts.algorithms);
  const audiences = new Set(opts.audiences);
  return ({ header, payload }) => {
    if (typeof header.alg !== 'string' || !algorithms.has(header.alg)) {
      throw new CustomCheckError('algorithm_not_allowed', `algorithm ${String(header.alg)} is not allowed`);
    }
    if ('crit' in header) throw new CustomCheckError('crit_header', 'tokens with a crit header are not accepted');
    // Number.isFinite is false for anything that is not a number (and for NaN, ±Infinity).
    if (!Number.isFinite(payload.exp)) {
      throw new CustomCheckError('missing_exp', 'token has no numeric exp');
    }
    if (payload.iat !== undefined && (typeof payload.iat !== 'number' || payload.iat > now() / 1000 + opts.clockSkewSeconds)) {
      throw new CustomCheckError('iat_in_future', 'token issued in the future');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new CustomCheckError('missing_sub', 'token has no sub');
    // Access tokens only: an ID token from the same issuer has the same keys and iss.
    for (const claim of ID_TOKEN_CLAIMS) {
      if (claim in payload) throw new CustomCheckError('id_token', `token carries the ID-token claim ${claim}`);
    }
    const scp = payload.scp;
    const hasScp = Array.isArray(scp) && scp.every((s) => typeof s === 'string');
    const hasScope = typeof payload.scope === 'string';
    if (!hasScp && !hasScope) throw new CustomCheckError('not_access_token', 'token has no scp/scope: not an access token');
    const cid = payload.cid ?? payload.client_id;
    if (typeof cid !== 'string' || cid === '') throw new CustomCheckError('not_access_token', 'token has no cid/client_id: not an access token');
    if (audiences.has(cid)) throw new CustomCheckError('not_access_token', 'audience is the client id: not an access token');
  };
}

/**
 * Translate any verification failure into our hierarchy (fail closed): a JWKS
 * outage is a JwksUnavailableError (503), everything else an
 * InvalidTokenError (401) with the reason of the library's error class.
 */
export function toTokenError(error: unknown): InvalidTokenError | JwksUnavailableError {
  if (error instanceof JwksUnavailableError || error instanceof InvalidTokenError) return error;
  if (error instanceof CustomCheckError) return new InvalidTokenError(error.reason, error.message, { cause: error });
  const reasonFor = (): TokenRejection => {
    if (error instanceof JwtExpiredError) return 'expired';
    if (error instanceof JwtNotBeforeError) return 'not_yet_valid';
    if (error instanceof JwtInvalidIssuerError || error instanceof ParameterValidationError) return 'wrong_issuer';
    if (error instanceof JwtInvalidAudienceError) return 'wrong_audience';
    if (error instanceof JwtInvalidSignatureAlgorithmError || error instanceof JwkInvalidKtyError || error instanceof JwkInvalidUseError) {
      return 'algorithm_not_allowed';
    }
    if (error instanceof JwtInvalidSignatureError) return 'bad_signature';
    if (error instanceof JwtWithoutValidKidError || error instanceof KidNotFoundInJwksError || error instanceof WaitPeriodNotYetEndedJwkError) {
      return 'unknown_kid';
    }
    if (error instanceof JwtParseError) return 'malformed_token';
    return 'invalid_token';
  };
  if (error instanceof FetchError || error instanceof JwksValidationError) {
    return new JwksUnavailableError(`JWKS unusable: ${error.message}`, { cause: error });
  }
  if (error instanceof JwtBaseError) return new InvalidTokenError(reasonFor(), error.message, { cause: error });
  // Anything unexpected is still a rejected token (never an accidental allow).
  return new InvalidTokenError('verification_failed', error instanceof Error ? error.message : String(error), { cause: error });
}

export function createTokenVerifier(opts: TokenVerifierOptions): TokenVerifier {
  const now = opts.now ?? Date.now;
  const cache = new RotationSafeJwksCache({
    fetcher: new JwksFetcher(opts.jwksFetchTimeoutMs),
    algorithms: opts.algorithms,
    maxAgeSeconds: opts.jwksMaxAgeSeconds,
    refreshMinIntervalMs: opts.jwksRefreshMinIntervalMs,
    clock: { now, sleep: opts.sleep ?? systemClock.sleep },
  });
  const check = customChecks(opts, now);
  const configs = opts.issuers.map((issuer, i) => ({
    issuer,
    jwksUri: opts.jwksUris[i],
    audience: [...opts.audiences],
    graceSeconds: opts.clockSkewSeconds,
    customJwtCheck: check,
  }));
  const verifier = JwtVerifier.create(configs, { jwksCache: cache });
  return {
    async hydrate() {
      try {
        await verifier.hydrate();
      } catch (error) {
        throw toTokenError(error) instanceof JwksUnavailableError
          ? toTokenError(error)
          : new JwksUnavailableError('JWKS could not be loaded', { cause: error });
      }
    },
    async verify(jwt) {
      let payload: JwtPayload;
      try {
        payload = await verifier.verify(jwt);
      } catch (error) {
        throw toTokenError(error);
      }
      const claims = payload as Readonly<Record<string, unknown>>;
      return { sub: String(claims.sub), payload: claims, scopes: scopesOf(claims) };
    },
  };
}
