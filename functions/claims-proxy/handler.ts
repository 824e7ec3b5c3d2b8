/**
 * Lambda entry point of the claims proxy (REST API proxy integration). At cold
 * start it reads the environment and loads the policy once; a configuration
 * error makes every request a 502 JSON error (fail closed).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { loadClaimsProxyConfig } from '../shared/config';
import { corsConfigFromEnv, corsResponseHeaders } from '../shared/cors';
import { createDecisionLog } from '../shared/decision-log';
import { createLogger, describeError } from '../shared/logger';
import { loadConfiguredPolicyEngine } from '../shared/policy-engine';
import { createBackendClient } from './backend-client';
import { createClaimsProxy, type ClaimsProxyHandler } from './claims-proxy';

function init(): ClaimsProxyHandler {
  let config;
  try {
    config = loadClaimsProxyConfig(process.env, __dirname);
  } catch (error) {
    createLogger('error', 'claims-proxy').error('invalid configuration: every request fails closed', describeError(error));
    return async (event) => ({
      statusCode: 502,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify({ message: 'Bad gateway', error: 'bad_gateway', requestId: event.requestContext?.requestId ?? '' }),
    });
  }
  const logger = createLogger(config.logLevel, 'claims-proxy');
  const engine = loadConfiguredPolicyEngine(config.policy, logger, config.responseEntrypoint, 'every response is a 502');
  return createClaimsProxy({
    config,
    backend: createBackendClient({
      baseUrl: config.backendUrl,
      timeoutMs: config.backendTimeoutMs,
      maxResponseBytes: config.maxResponseBytes,
    }),
    engine,
    logger,
    decisions: createDecisionLog((line) => process.stdout.write(`${line}\n`), config.logLevel !== 'silent'),
  });
}

let current: ClaimsProxyHandler = init();
let cors = corsConfigFromEnv(process.env);

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const result = await current(event);
  const headers = corsResponseHeaders(cors, event.headers);
  return Object.keys(headers).length === 0 ? result : { ...result, headers: { ...result.headers, ...headers } };
}

/** Re-read the environment and reload the policy (tests and the local runner). */
export function resetForTests(): void {
  current = init();
  cors = corsConfigFromEnv(process.env);
}
