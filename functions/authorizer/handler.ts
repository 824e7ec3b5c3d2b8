/**
 * Lambda entry point of the REQUEST authorizer. At cold start it reads the
 * environment (functions/shared/config.ts), builds the JWT verifier and starts
 * the JWKS fetch (`hydrate`) and the policy load; each invocation then only
 * verifies and evaluates. A configuration error fails every request closed.
 */
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { loadAuthorizerConfig } from '../shared/config';
import { createDecisionLog } from '../shared/decision-log';
import { createLogger, describeError } from '../shared/logger';
import { loadConfiguredPolicyEngine } from '../shared/policy-engine';
import { createTokenVerifier } from '../shared/token-verifier';
import { createIntrospector, parseClientCredentials } from '../shared/introspection';
import { cachedSecret } from '../shared/secrets';
import { createAuthorizer, UNAVAILABLE, type AuthorizerEvent, type AuthorizerHandler } from './authorizer';

function init(): AuthorizerHandler {
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
  const logger = createLogger(config.logLevel, 'authorizer');
  const verifier = createTokenVerifier(config);
  verifier.hydrate().catch((error: unknown) => {
    logger.error('JWKS not loaded at cold start; will retry per request and fail closed meanwhile', describeError(error));
  });
  const engine = loadConfiguredPolicyEngine(config.policy, logger, config.requestEntrypoint, 'every decision is a Deny');
  const decisionSink = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const intro = config.introspection;
  return createAuthorizer({
    config,
    verifier,
    engine,
    logger,
    decisions: createDecisionLog(decisionSink, config.logLevel !== 'silent'),
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
 * reload the policy. The local gateway's policy hot reload calls it after the
 * bundle changed; tests call it after changing the environment.
 */
export function reload(): void {
  current = init();
}
