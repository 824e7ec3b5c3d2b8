/**
 * Lambda entry point of the claims proxy (REST API proxy integration). At cold
 * start it reads the environment and loads the policy once; a configuration
 * error makes every request a 503 JSON error (fail closed; errors.ts OUTCOMES).
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { loadClaimsProxyConfig } from '../shared/config';
import { corsConfigFromEnv, corsResponseHeaders } from '../shared/cors';
import { createDecisionLog } from '../shared/decision-log';
import { outcomeFor } from '../shared/errors';
import { createLogger, describeError } from '../shared/logger';
import { loadConfiguredPolicyEngine } from '../shared/policy-engine';
import { createBackendClient } from './backend-client';
import { parseBackendTlsCredentials } from './backend-tls';
import { cachedSecret } from '../shared/secrets';
import { createClaimsProxy, errorResult, type ClaimsProxyHandler, type ProxyEvent } from './claims-proxy';

function init(): ClaimsProxyHandler {
  let config;
  try {
    config = loadClaimsProxyConfig(process.env, __dirname);
  } catch (error) {
    createLogger('error', 'claims-proxy').error('invalid configuration: every request fails closed', describeError(error));
    const answer = outcomeFor(error).response;
    return async (event) => errorResult(answer, event.requestContext?.requestId ?? '');
  }
  const logger = createLogger(config.logLevel, 'claims-proxy');
  const engine = loadConfiguredPolicyEngine(config.policy, logger, config.responseEntrypoint, 'every response is a 502');
  return createClaimsProxy({
    config,
    backend: createBackendClient({
      baseUrl: config.backendUrl,
      timeoutMs: config.backendTimeoutMs,
      maxResponseBytes: config.maxResponseBytes,
      tls: config.backendMtls && cachedSecret(config.backendMtls, parseBackendTlsCredentials),
    }),
    engine,
    logger,
    decisions: createDecisionLog((line) => process.stdout.write(`${line}\n`), config.logLevel !== 'silent'),
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
 * The local gateway's policy hot reload calls it after the bundle changed;
 * tests call it after changing the environment.
 */
export function reload(): void {
  current = init();
  cors = corsConfigFromEnv(process.env);
}
