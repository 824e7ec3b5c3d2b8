/**
 * Lambda entry point of the claims proxy (REST API proxy integration). At cold
 * start it reads the environment and loads the policy once; a configuration
 * error makes every request a 503 JSON error (fail closed; errors.ts OUTCOMES).
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { loadClaimsProxyConfig } from '../shared/config';
import { corsConfigFromEnv, corsResponseHeaders } from '../shared/cors';
import { createDecisionLog, defaultLabels } from '../shared/decision-log';
import { outcomeFor } from '../shared/errors';
import { createLogger, describeError } from '../shared/logger';
import { configuredPolicyStores, type PolicyStore } from '../shared/policy-store';
import { createFunctionMetrics, NO_METRICS, withMetrics } from '../shared/metrics';
import { createShadow } from '../shared/shadow';
import { createBackendClient } from './backend-client';
import { parseBackendTlsCredentials } from './backend-tls';
import { cachedSecret } from '../shared/secrets';
import { createClaimsProxy, errorResult, type ClaimsProxyHandler, type ProxyEvent } from './claims-proxy';

/** The current cold start's policy stores (undefined after a configuration error). */
let policyStores: { enforced: PolicyStore; shadow: PolicyStore | undefined } | undefined;

function init(): ClaimsProxyHandler {
  policyStores = undefined;
  let config;
  try {
    config = loadClaimsProxyConfig(process.env, __dirname);
  } catch (error) {
    createLogger('error', 'claims-proxy').error('invalid configuration: every request fails closed', describeError(error));
    const answer = outcomeFor(error).response;
    return async (event) => errorResult(answer, event.requestContext?.requestId ?? '');
  }
  let stores: { enforced: PolicyStore; shadow: PolicyStore | undefined } | undefined;
  // Every log line names the policy revision serving now.
  const logger = createLogger(config.logLevel, 'claims-proxy', undefined, () => ({ policyRevision: stores?.enforced.active()?.engine.revision }));
  // EMF metrics (Powertools); none when the operator silenced all output.
  const metrics = config.logLevel === 'silent' ? NO_METRICS : createFunctionMetrics({ service: 'claims-proxy', store: () => stores?.enforced });
  policyStores = stores = configuredPolicyStores({
    policy: config.policy,
    logger,
    entrypoints: [config.responseEntrypoint],
    ifUnavailable: 'every response is a 502',
    onCheck: (bundle, result, reason) => metrics.bundleCheck(bundle, result, reason),
  });
  return createClaimsProxy({
    config,
    backend: createBackendClient({
      baseUrl: config.backendUrl,
      timeoutMs: config.backendTimeoutMs,
      maxResponseBytes: config.maxResponseBytes,
      tls: config.backendMtls && cachedSecret(config.backendMtls, parseBackendTlsCredentials),
    }),
    engine: stores.enforced,
    shadow: stores.shadow === undefined ? undefined : createShadow(stores.shadow, config.policy.bundle.shadowLatencyBudgetMs),
    onShadow: (outcome) => metrics.shadow(outcome),
    logger,
    decisions: withMetrics(createDecisionLog((line) => process.stdout.write(`${line}\n`), {
      enabled: config.logLevel !== 'silent',
      labels: defaultLabels('claims-proxy'),
      mask: { credentialKeys: [config.apiKeyHeader], protectedFields: config.decisionLogEraseFields },
      onMaskFailure: (decisionId, error) => logger.error('decision log masking failed: input and result not logged', { decisionId, ...describeError(error) }),
    }), metrics),
  });
}

let current: ClaimsProxyHandler = init();
let cors = corsConfigFromEnv(process.env);

export async function handler(event: ProxyEvent): Promise<APIGatewayProxyResult> {
  const result = await current(event);
  const headers = corsResponseHeaders(cors, event.headers);
  return Object.keys(headers).length === 0 ? result : { ...result, headers: { ...result.headers, ...headers } };
}

/**
 * Run the cold start again: re-read the environment and reload the policy.
 * Tests call it after changing the environment; policy changes reach running
 * functions through the bundle service, not this.
 */
export function reload(): void {
  current = init();
  cors = corsConfigFromEnv(process.env);
}

/** Resolves when no policy bundle check is in flight (tests and the local stack wait on it; Lambda never does). */
export async function policyIdle(): Promise<void> {
  await Promise.all([policyStores?.enforced.idle(), policyStores?.shadow?.idle()]);
}
