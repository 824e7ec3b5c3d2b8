/**
 * The one error taxonomy (functions/shared/errors.ts): every class has a row
 * in the outcome table, the table says what DESIGN.md §7 says, and anything
 * else is a crash that fails closed.
 */
import {
  AuthorizerContextError,
  BackendBadResponseError,
  BackendServerError,
  BackendTimeoutError,
  BackendUnreachableError,
  ConfigError,
  CRASH_OUTCOME,
  InvalidTokenError,
  JwksUnavailableError,
  MalformedAuthorizationError,
  MissingTokenError,
  OUTCOMES,
  outcomeFor,
  PolicyBundleError,
  PolicyDeniedError,
  PolicyEvaluationError,
  reasonOf,
  RequestRejectedError,
  ResponseWithheldError,
  type FunctionError,
} from '../../functions/shared/errors';

const samples: Array<[FunctionError, 'unauthorized' | 'deny' | 'unavailable', number]> = [
  [new ConfigError('x'), 'unavailable', 503],
  [new MissingTokenError('x'), 'unauthorized', 401],
  [new MalformedAuthorizationError('x'), 'unauthorized', 401],
  [new InvalidTokenError('expired', 'x'), 'unauthorized', 401],
  [new JwksUnavailableError('x'), 'unavailable', 503],
  [new RequestRejectedError('dot_segment', 'x'), 'deny', 400],
  [new PolicyDeniedError('not_own_record'), 'deny', 403],
  [new PolicyEvaluationError('undefined_result', 'x'), 'deny', 502],
  [new PolicyBundleError('no_policy', 'x'), 'unavailable', 503],
  [new ResponseWithheldError('x'), 'deny', 403],
  [new AuthorizerContextError('principal_mismatch', 'x'), 'deny', 502],
  [new BackendTimeoutError('x'), 'unavailable', 504],
  [new BackendUnreachableError('x'), 'unavailable', 502],
  [new BackendServerError(500), 'unavailable', 502],
  [new BackendBadResponseError('bad_json', 'x'), 'unavailable', 502],
];

describe('the outcome table', () => {
  it.each(samples.map(([e, a, s]) => [e.name, e, a, s] as const))('%s → authorizer %s, claims proxy %s', (_n, error, authorizer, status) => {
    expect(outcomeFor(error).authorizer).toBe(authorizer);
    expect(outcomeFor(error).response.status).toBe(status);
  });

  it('has one row per kind and every sample kind is covered', () => {
    expect(new Set(samples.map(([e]) => e.kind))).toEqual(new Set(Object.keys(OUTCOMES)));
  });

  it('infrastructure failures log at error level, refused requests at info', () => {
    for (const [e] of samples) {
      const infra = ['config', 'jwks_unavailable', 'policy_failed', 'policy_bundle_unavailable', 'authorizer_context'].includes(e.kind) || e.kind.startsWith('backend_');
      expect(`${e.kind}:${outcomeFor(e).level}`).toBe(`${e.kind}:${infra ? 'error' : 'info'}`);
    }
  });

  it('only an unavailable outcome is a 503 for the proxy, and it is never a 2xx anywhere', () => {
    for (const row of Object.values(OUTCOMES)) expect(row.response.status).toBeGreaterThanOrEqual(400);
  });

  it.each([new Error('boom'), new TypeError('x'), 'a string', undefined])('an unknown thrown value (%p) is a crash: unavailable, logged as error, reason internal_error', (thrown) => {
    expect(outcomeFor(thrown)).toBe(CRASH_OUTCOME);
    expect(CRASH_OUTCOME).toMatchObject({ authorizer: 'unavailable', level: 'error', result: 'error' });
    expect(reasonOf(thrown)).toBe('internal_error');
  });

  it('sub-reasons are the class\'s own: the two ID-token causes are told apart', () => {
    expect(new InvalidTokenError('id_token', 'nonce').reason).not.toBe(new InvalidTokenError('not_access_token', 'no scp').reason);
    expect(new AuthorizerContextError('missing_authorizer_context', 'x').reason).not.toBe(new AuthorizerContextError('principal_mismatch', 'x').reason);
  });
});
