/**
 * The REQUEST authorizer, built from its dependencies (handler.ts wires the
 * real ones at cold start; tests pass their own):
 *   1. Bearer token → verified Okta access token (401 on any failure)
 *   2. event → policy input (path tricks refused before the policy: Deny)
 *   3. request policy → Allow/Deny of exactly the methodArn, flat context
 * Fail closed: a policy error, undefined or malformed result is a Deny.
 */
import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
} from 'aws-lambda';
import { extractBearerToken, headerValues } from '../shared/bearer-token';
import type { AuthorizerConfig } from '../shared/config';
import { microsSince, newDecisionId, type DecisionLog, type DecisionResult } from '../shared/decision-log';
import { authorizerOutcomeFor, PolicyDeniedError, reasonOf, RequestRejectedError } from '../shared/errors';
import { iamPolicy, isValidMethodArn } from '../shared/iam-policy';
import { describeError, type Logger } from '../shared/logger';
import { decide, type PolicyEngine } from '../shared/policy-engine';
import { buildRequestInput, isV2Event, requestFacts, type RequestFacts } from '../shared/request-input';
import type { TokenVerifier, VerifiedToken } from '../shared/token-verifier';

export type AuthorizerEvent = APIGatewayRequestAuthorizerEvent | APIGatewayRequestAuthorizerEventV2;
export type AuthorizerHandler = (event: AuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

export interface AuthorizerDeps {
  readonly config: Pick<AuthorizerConfig, 'apiKeyHeader' | 'maxTokenBytes' | 'requestEntrypoint' | 'apiProduct'>;
  readonly verifier: TokenVerifier;
  /** Resolves once per container; a rejection makes every decision a Deny. */
  readonly engine: Promise<PolicyEngine>;
  readonly logger: Logger;
  readonly decisions: DecisionLog;
}

/** The exact message API Gateway turns into a 401. */
export const UNAUTHORIZED = 'Unauthorized';

export function createAuthorizer(deps: AuthorizerDeps): AuthorizerHandler {
  const { config, verifier, logger, decisions } = deps;
  // Never an unhandled rejection: the failure is reported per decision.
  // Once loaded, the engine is used directly (no promise hop per request).
  let loaded: PolicyEngine | undefined;
  deps.engine.then(
    (engine) => {
      loaded = engine;
    },
    () => undefined,
  );

  return async (event) => {
    const start = process.hrtime.bigint();
    const decisionId = newDecisionId();
    const methodArn = isV2Event(event) ? event.routeArn : event.methodArn;
    const method = (isV2Event(event) ? event.requestContext?.http?.method : event.httpMethod) ?? '';
    const rawPath = (isV2Event(event) ? event.rawPath : event.path) ?? '';
    const requestId = event.requestContext?.requestId;
    let sub: string | undefined;
    let revision: string | undefined;

    const record = (result: DecisionResult, reason: string): void =>
      decisions.write({
        decisionId,
        phase: 'request',
        method,
        path: rawPath,
        sub,
        result,
        reason,
        latencyMicros: microsSince(start),
        policyRevision: revision,
        requestId,
      });

    const deny = (reason: string): APIGatewayAuthorizerResult =>
      iamPolicy({ effect: 'Deny', principalId: sub ?? 'anonymous', methodArn, context: { decisionId, reason } });

    if (typeof methodArn !== 'string' || !isValidMethodArn(methodArn)) {
      logger.error('authorizer event has no usable methodArn/routeArn', { decisionId, requestId });
      throw new Error('Invalid authorizer event');
    }

    // 1. Token (401 / 503).
    let token: VerifiedToken;
    try {
      const headers = isV2Event(event) ? headerValues('authorization', event.headers) : headerValues('authorization', event.headers, event.multiValueHeaders);
      token = await verifier.verify(extractBearerToken(headers, config.maxTokenBytes));
      sub = token.sub;
    } catch (error) {
      const outcome = authorizerOutcomeFor(error);
      if (outcome === 'unavailable') {
        logger.error('token verification unavailable (failing closed)', { decisionId, requestId, reason: reasonOf(error), ...describeError(error) });
        record('error', reasonOf(error));
        throw new Error('Authorizer unavailable');
      }
      logger.info('token rejected', { decisionId, requestId, reason: reasonOf(error) });
      record('unauthorized', reasonOf(error));
      throw new Error(UNAUTHORIZED);
    }

    // 2. Input (path tricks → Deny before the policy) and 3. policy.
    try {
      const facts: RequestFacts = requestFacts(event);
      const engine = loaded ?? (await deps.engine);
      revision = engine.revision;
      const input = buildRequestInput(facts, token, config.apiKeyHeader, config.apiProduct);
      const decision = decide(engine, config.requestEntrypoint, input);
      if (!decision.allow) throw new PolicyDeniedError(decision.reason);
      record('allow', decision.reason);
      return iamPolicy({
        effect: 'Allow',
        principalId: token.sub,
        methodArn,
        context: {
          ...decision.context,
          claims: JSON.stringify(token.payload),
          decisionId,
          policyRevision: engine.revision,
        },
      });
    } catch (error) {
      const reason = reasonOf(error);
      if (error instanceof PolicyDeniedError) {
        record('deny', reason);
      } else if (error instanceof RequestRejectedError) {
        logger.info('request refused before the policy', { decisionId, requestId, reason });
        record('rejected', reason);
      } else {
        // PolicyEvaluationError (error, trap, undefined, malformed) or anything unexpected.
        logger.error('request policy failed (denying)', { decisionId, requestId, reason, ...describeError(error) });
        record('error', reason);
      }
      return deny(reason);
    }
  };
}
