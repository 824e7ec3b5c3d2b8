/** Decision normalisation: boolean, object, undefined, malformed, error — all but a clear allow deny. */
import { PolicyEvaluationError } from '../../functions/shared/errors';
import { decide, filterResponse, normaliseDecision } from '../../functions/shared/policy-engine';
import { resultOf, scriptedEngine, throwingEngine } from './support/engines';

const reasonOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    if (error instanceof PolicyEvaluationError) return error.reason;
    throw error;
  }
  throw new Error('did not throw');
};

describe('request decision normalisation', () => {
  it('boolean true allows, false denies', () => {
    expect(normaliseDecision(true, 'e')).toEqual({ allow: true, reason: 'allowed', context: {} });
    expect(normaliseDecision(false, 'e')).toEqual({ allow: false, reason: 'denied', context: {} });
  });

  it('object result carries reason and flat context', () => {
    expect(normaliseDecision({ allow: false, reason: 'insufficient_scope', context: { requiredScope: 'claims:read' } }, 'e')).toEqual({
      allow: false,
      reason: 'insufficient_scope',
      context: { requiredScope: 'claims:read' },
    });
  });

  it('undefined result (empty result set) is an error, i.e. deny', () => {
    expect(reasonOf(() => decide(scriptedEngine(() => []), 'e', {}))).toBe('undefined_result');
  });

  it.each([
    ['a string', 'yes'],
    ['null', null],
    ['an array', [true]],
    ['allow not boolean', { allow: 'true' }],
    ['allow missing', { reason: 'x' }],
    ['reason with spaces', { allow: true, reason: 'has spaces' }],
    ['nested context value', { allow: true, context: { roles: ['a'] } }],
    ['reserved context key', { allow: true, context: { claims: 'forged' } }],
  ])('malformed result (%s) is an error, i.e. deny', (_name, value) => {
    expect(reasonOf(() => normaliseDecision(value, 'e'))).toBe('malformed_result');
  });

  it('several results for one entrypoint are malformed', () => {
    expect(reasonOf(() => decide(scriptedEngine(() => [{ result: true }, { result: false }]), 'e', {}))).toBe('malformed_result');
  });

  it('an evaluation error (wasm trap) is an error, i.e. deny', () => {
    expect(reasonOf(() => decide(throwingEngine(), 'e', {}))).toBe('evaluation_error');
  });
});

describe('response policy verdict', () => {
  it('JSON body: the result is the body to send', () => {
    expect(filterResponse(scriptedEngine(() => resultOf({ a: 1 })), 'e', {}, true)).toEqual({ kind: 'json', body: { a: 1 } });
  });

  it('undefined result withholds the body', () => {
    expect(filterResponse(scriptedEngine(() => []), 'e', {}, true)).toEqual({ kind: 'withheld' });
  });

  it('non-JSON body passes only on an explicit true', () => {
    expect(filterResponse(scriptedEngine(() => resultOf(true)), 'e', {}, false)).toEqual({ kind: 'passthrough' });
    expect(filterResponse(scriptedEngine(() => []), 'e', {}, false)).toEqual({ kind: 'withheld' });
    expect(reasonOf(() => filterResponse(scriptedEngine(() => resultOf({ body: 'x' })), 'e', {}, false))).toBe('malformed_result');
  });

  it('an evaluation error is thrown, never a verdict', () => {
    expect(reasonOf(() => filterResponse(throwingEngine(), 'e', {}, true))).toBe('evaluation_error');
  });
});
