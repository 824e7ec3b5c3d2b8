/**
 * Lambda entry point of the REQUEST authorizer. At cold start it reads the
 * environment (functions/shared/config.ts), builds the JWT verifier and starts
 * the JWKS fetch (`hydrate`) and the policy load; each invocation then only
 * verifies and evaluates. A configuration error fails every request closed.
 */
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { loadAuthorizerConfig } from '../shared/config';
import { createDecisionLog, defaultLabels } from '../shared/decision-log';
import { createLogger, describeError } from '../shared/logger';
import { configuredPolicyStores, type PolicyStore } from '../shared/policy-store';
import { createFunctionMetrics, NO_METRICS, withMetrics } from '../shared/metrics';
import { createShadow } from '../shared/shadow';
import { createTokenVerifier } from '../shared/token-verifier';
import { createIntrospector, parseClientCredentials } from '../shared/introspection';
import { cachedSecret } from '../shared/secrets';
import { createAuthorizer, UNAVAILABLE, type AuthorizerEvent, type AuthorizerHandler } from './authorizer';

/** The current cold start's policy stores (undefined after a configuration error). */
let policyStores: { enforced: PolicyStore; shadow: PolicyStore | undefined } | undefined;

function init(): AuthorizerHandler {
  policyStores = undefined;
  let config;
  try {
    config = loadAuthorizerConfig(process.env, __dirname);
  } catch (error) {
    const logger = createLogger('error', 'authorizer');
    logger.error('invalid configuration: every request fails closed', describeError(error));
    return async () => {
      throw new Error(UNAVAILABLE);
    };
  }
  let stores: { enforced: PolicyStore; shadow: PolicyStore | undefined } | undefined;
  // Every log line names the policy revision serving now.
  const logger = createLogger(config.logLevel, 'authorizer', undefined, () => ({ policyRevision: stores?.enforced.active()?.engine.revision }));
  const verifier = createTokenVerifier(config);
  verifier.hydrate().catch((error: unknown) => {
    logger.error('JWKS not loaded at cold start; will retry per request and fail closed meanwhile', describeError(error));
  });
  // EMF metrics (Powertools); none when the operator silenced all output.
  const metrics = config.logLevel === 'silent' ? NO_METRICS : createFunctionMetrics({ service: 'authorizer', store: () => stores?.enforced });
  policyStores = stores = configuredPolicyStores({
    policy: config.policy,
    logger,
    entrypoints: [config.requestEntrypoint],
    ifUnavailable: 'every decision is a Deny',
    onCheck: (bundle, result, reason) => metrics.bundleCheck(bundle, result, reason),
  });
  const decisionSink = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const intro = config.introspection;
  return createAuthorizer({
    config,
    verifier,
    engine: stores.enforced,
    shadow: stores.shadow === undefined ? undefined : createShadow(stores.shadow, config.policy.bundle.shadowLatencyBudgetMs),
    onShadow: (outcome) => metrics.shadow(outcome),
    logger,
    decisions: withMetrics(createDecisionLog(decisionSink, {
      enabled: config.logLevel !== 'silent',
      labels: defaultLabels('authorizer'),
      mask: { credentialKeys: [config.apiKeyHeader], protectedFields: config.decisionLogEraseFields },
      onMaskFailure: (decisionId, error) => logger.error('decision log masking failed: input and result not logged', { decisionId, ...describeError(error) }),
    }), metrics),
    introspection: intro && {
      mode: intro.mode,
      entrypoint: intro.entrypoint,
      introspector: createIntrospector({ ...intro, credentials: cachedSecret(intro.credentials, parseClientCredentials(intro.clientAuth)) }),
    },
  });
}

let current: AuthorizerHandler = init();

export function handler(event: AuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  return current(event);
}

/**
 * Run the cold start again: re-read the environment, rebuild the verifier and
 * reload the policy. Tests call it after changing the environment; policy
 * changes reach running functions through the bundle service, not this.
 */
export function reload(): void {
  current = init();
}

/** Resolves when no policy bundle check is in flight (tests and the local stack wait on it; Lambda never does). */
export async function policyIdle(): Promise<void> {
  await Promise.all([policyStores?.enforced.idle(), policyStores?.shadow?.idle()]);
}
