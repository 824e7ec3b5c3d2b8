/**
 * The authorizer's introspection step (INTROSPECTION_MODE policy | all),
 * between local token verification and the request policy:
 *   1. is introspection required for this request? `all`: yes, fail closed;
 *      `policy`: the policy's introspection entrypoint answers from data.json
 *      (`{"required": bool, "on_unavailable": "fail_closed" | "local"}`);
 *   2. introspect (cached positive answers, introspection.ts): inactive → 401;
 *   3. unavailable → 503, unless the answer said `on_unavailable: "local"`:
 *      then the request goes on with `validation: "local"` and a logged
 *      downgrade (warn), so the policy can still refuse what needs more.
 * The result is `input.token.validation`.
 */
import { IntrospectionUnavailableError, PolicyEvaluationError } from '../shared/errors';
import type { IntrospectionMode } from '../shared/config';
import type { Introspector, TokenValidation } from '../shared/introspection';
import type { Logger } from '../shared/logger';
import type { PolicyEngine } from '../shared/policy-engine';
import type { VerifiedToken } from '../shared/token-verifier';

export interface IntrospectionStep {
  readonly mode: IntrospectionMode;
  /** The policy entrypoint that answers the requirement (mode `policy`). */
  readonly entrypoint: string;
  readonly introspector: Introspector;
}

export interface IntrospectionRequirement {
  readonly required: boolean;
  readonly onUnavailable: 'fail_closed' | 'local';
}

const NOT_REQUIRED: IntrospectionRequirement = { required: false, onUnavailable: 'fail_closed' };
const ALWAYS: IntrospectionRequirement = { required: true, onUnavailable: 'fail_closed' };

/** Read the requirement from the policy; an error, undefined or malformed answer fails closed (Deny) like any policy failure. */
export function introspectionRequirement(engine: PolicyEngine, entrypoint: string, input: unknown): IntrospectionRequirement {
  let results: ReadonlyArray<{ readonly result?: unknown }>;
  try {
    results = engine.evaluate(entrypoint, input);
  } catch (error) {
    throw new PolicyEvaluationError('evaluation_error', `policy ${entrypoint} failed to evaluate`, { cause: error });
  }
  if (!Array.isArray(results) || results.length !== 1) {
    throw new PolicyEvaluationError(Array.isArray(results) && results.length === 0 ? 'undefined_result' : 'malformed_result', `policy ${entrypoint} gave no single introspection requirement`);
  }
  const value: unknown = (results[0] as { result?: unknown } | undefined)?.result;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PolicyEvaluationError('malformed_result', `policy ${entrypoint}: the introspection requirement is not an object`);
  }
  const { required, on_unavailable: onUnavailable } = value as { required?: unknown; on_unavailable?: unknown };
  if (typeof required !== 'boolean') throw new PolicyEvaluationError('malformed_result', `policy ${entrypoint}: "required" is not a boolean`);
  if (onUnavailable !== undefined && onUnavailable !== 'fail_closed' && onUnavailable !== 'local') {
    throw new PolicyEvaluationError('malformed_result', `policy ${entrypoint}: "on_unavailable" must be "fail_closed" or "local"`);
  }
  return required ? { required, onUnavailable: onUnavailable ?? 'fail_closed' } : NOT_REQUIRED;
}

/** Run the step: the token's validation for the policy input. Throws InvalidTokenError (401) or IntrospectionUnavailableError (503). */
export async function validateAtIssuer(
  step: IntrospectionStep,
  engine: PolicyEngine,
  input: unknown,
  jwt: string,
  token: VerifiedToken,
  logger: Logger,
  log: { readonly decisionId: string; readonly requestId: string | undefined },
): Promise<TokenValidation> {
  const need = step.mode === 'all' ? ALWAYS : introspectionRequirement(engine, step.entrypoint, input);
  if (!need.required) return 'local';
  try {
    await step.introspector.introspect(jwt, token);
    return 'introspected';
  } catch (error) {
    if (error instanceof IntrospectionUnavailableError && need.onUnavailable === 'local') {
      logger.warn('introspection unavailable: DOWNGRADED to local validation (on_unavailable: local)', { ...log, reason: error.reason });
      return 'local';
    }
    throw error;
  }
}
