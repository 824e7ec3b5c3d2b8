/**
 * The REQUEST authorizer, built from its dependencies (handler.ts wires the
 * real ones at cold start; tests pass their own):
 *   1. Bearer token → verified Okta access token (401 on any failure)
 *   2. event → policy input (path tricks refused before the policy: Deny)
 *   3. request policy → Allow of exactly the methodArn (which must name this
 *      request's method and path), or a Deny; flat context
 * Every failure goes through the outcome table of functions/shared/errors.ts
 * (401 / Deny / 503), failing closed: a policy error, undefined or malformed
 * result is a Deny; anything unexpected is "unavailable".
 */
import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
} from 'aws-lambda';
import { extractBearerToken, headerValues } from '../shared/bearer-token';
import type { AuthorizerConfig } from '../shared/config';
import { beginDecision, type DecisionLog } from '../shared/decision-log';
import { outcomeFor, PolicyDeniedError, reasonOf, rejectionDetail } from '../shared/errors';
import { checkExactArn, denyResource, iamPolicy, parseMethodArn } from '../shared/iam-policy';
import { describeError, type Logger } from '../shared/logger';
import { decide, type Decision, type PolicyEngine } from '../shared/policy-engine';
import { shadowCompare, type Shadow, type ShadowOutcome, type Verdict } from '../shared/shadow';
import { policyStoreOf, type PolicySource } from '../shared/policy-store';
import { buildRequestInput, isV2Event, requestFacts, withValidation } from '../shared/request-input';
import type { TokenVerifier } from '../shared/token-verifier';
import { validateAtIssuer, type IntrospectionStep } from './introspection-step';
import { clientCertOf } from '../shared/client-cert';

export type AuthorizerEvent = APIGatewayRequestAuthorizerEvent | APIGatewayRequestAuthorizerEventV2;
export type AuthorizerHandler = (event: AuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

export interface AuthorizerDeps {
  readonly config: Pick<AuthorizerConfig, 'apiKeyHeader' | 'maxTokenBytes' | 'requestEntrypoint' | 'apiProduct'>;
  readonly verifier: TokenVerifier;
  /**
   * The enforced policy: a PolicyStore (remote bundle, polled), or an engine
   * promise resolved once per container (a rejection makes every decision a Deny).
   */
  readonly engine: PolicySource;
  readonly logger: Logger;
  readonly decisions: DecisionLog;
  /** Token introspection (INTROSPECTION_MODE policy | all); absent = local validation only. */
  readonly introspection?: IntrospectionStep;
  /** A candidate policy evaluated beside the enforced one (never changes the answer). */
  readonly shadow?: Shadow;
  /** Told what the shadow did on each request (metrics). */
  readonly onShadow?: (outcome: ShadowOutcome) => void;
}

/** The comparable form of a request decision (or of its failure). */
function verdictOf(verdict: Decision | undefined, failure: unknown): Verdict {
  if (verdict === undefined) return { outcome: `error:${reasonOf(failure)}`, result: undefined };
  return { outcome: `${verdict.allow ? 'allow' : 'deny'}:${verdict.reason}`, result: verdict, detail: verdict.context };
}

function tryDecide(engine: PolicyEngine, entrypoint: string, input: unknown): [Decision | undefined, unknown] {
  try {
    return [decide(engine, entrypoint, input), undefined];
  } catch (error) {
    return [undefined, error];
  }
}

/** The exact message API Gateway turns into a 401. */
export const UNAUTHORIZED = 'Unauthorized';
/**
 * Thrown for every failure that is not the caller's: API Gateway reports any
 * error other than `Unauthorized` as AUTHORIZER_CONFIGURATION_ERROR, which
 * the construct's gateway responses turn into 503 + Retry-After.
 */
export const UNAVAILABLE = 'Authorizer unavailable';

export function createAuthorizer(deps: AuthorizerDeps): AuthorizerHandler {
  const { config, verifier, logger, decisions } = deps;
  const store = policyStoreOf(deps.engine, logger);

  return async (event) => {
    const methodArn = isV2Event(event) ? event.routeArn : event.methodArn;
    const requestId = event.requestContext?.requestId;
    const decision = beginDecision(decisions, {
      phase: 'request',
      method: (isV2Event(event) ? event.requestContext?.http?.method : event.httpMethod) ?? '',
      path: (isV2Event(event) ? event.rawPath : event.path) ?? '',
      requestId,
      entrypoint: config.requestEntrypoint,
      sourceIp: (isV2Event(event) ? event.requestContext?.http?.sourceIp : event.requestContext?.identity?.sourceIp) ?? undefined,
    });
    const decisionId = decision.decisionId;

    const arn = typeof methodArn === 'string' ? parseMethodArn(methodArn) : undefined;
    if (arn === undefined) {
      // Not an ARN at all: API Gateway never sends this, so it is a broken integration, not a client.
      logger.error('authorizer event has no usable methodArn/routeArn', { decisionId, requestId });
      throw new Error(UNAVAILABLE);
    }

    try {
      // 1. Token (401 / 503) before anything about the request is judged.
      const headers = isV2Event(event) ? headerValues('authorization', event.headers) : headerValues('authorization', event.headers, event.multiValueHeaders);
      const jwt = extractBearerToken(headers, config.maxTokenBytes);
      const token = await verifier.verify(jwt);
      decision.sub = token.sub;
      // 2. Input (path tricks → Deny before the policy); the ARN an Allow would
      //    name must be exact and be this request; then 3. the policy.
      const facts = requestFacts(event);
      checkExactArn(arn, { method: facts.method, path: facts.rawPath, stage: facts.stage });
      // Synchronous once a policy is active (no promise hop, no network); a due check runs in the background.
      const current = store.engine();
      const engine = current instanceof Promise ? await current : current;
      decision.policyRevision = engine.revision;
      let input = buildRequestInput(facts, token, config.apiKeyHeader, config.apiProduct, { clientCert: clientCertOf(event) });
      if (deps.introspection) {
        const validation = await validateAtIssuer(deps.introspection, engine, input, jwt, token, logger, { decisionId, requestId });
        input = withValidation(input, validation);
      }
      const started = process.hrtime.bigint();
      const [verdict, failure] = tryDecide(engine, config.requestEntrypoint, input);
      decision.evaluation = { path: config.requestEntrypoint, input, result: verdict, evalNs: Number(process.hrtime.bigint() - started), engine, bundle: 'authz' };
      // The candidate runs after the enforced answer is fixed, and only to be compared.
      if (deps.shadow !== undefined) shadowCompare(deps.shadow, decision, verdictOf(verdict, failure), (candidate) => verdictOf(...tryDecide(candidate, config.requestEntrypoint, input)), deps.onShadow);
      if (verdict === undefined) throw failure;
      if (!verdict.allow) throw new PolicyDeniedError(verdict.reason);
      decision.record('allow', verdict.reason);
      return iamPolicy({
        effect: 'Allow',
        principalId: token.sub,
        resource: arn.arn,
        // Not `{ ...verdict.context, claims… }`: V8 makes a spread followed by more keys cost
        // microseconds. decide() already refused the keys set here (and any non-identifier key).
        context: Object.assign({}, verdict.context, { claims: JSON.stringify(token.payload), decisionId, policyRevision: engine.revision }),
      });
    } catch (error) {
      const outcome = outcomeFor(error);
      const reason = reasonOf(error);
      decision.record(outcome.result, reason);
      if (outcome.level === 'error') {
        logger.error(`authorizer failure (${outcome.authorizer})`, { decisionId, requestId, reason, ...describeError(error) });
      } else if (outcome.result !== 'deny') {
        logger.info(outcome.authorizer === 'unauthorized' ? 'token rejected' : 'request refused before the policy', { decisionId, requestId, reason, ...rejectionDetail(error) });
      }
      if (outcome.authorizer === 'unauthorized') throw new Error(UNAUTHORIZED);
      if (outcome.authorizer === 'unavailable') throw new Error(UNAVAILABLE);
      return iamPolicy({ effect: 'Deny', principalId: decision.sub ?? 'anonymous', resource: denyResource(arn), context: { decisionId, reason } });
    }
  };
}
