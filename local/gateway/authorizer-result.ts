/**
 * Validation of what a REQUEST authorizer returned, the way API Gateway does
 * it: a `principalId` string, a `policyDocument` with a `Statement` list of
 * Allow/Deny statements, and a flat `context` of string/number/boolean values
 * (objects or arrays make API Gateway answer 500); a `Resource` longer than
 * IAM's 512 characters cannot be applied. Anything else is a malformed
 * result (AUTHORIZER_CONFIGURATION_ERROR).
 */
import { nameMap } from '../../functions/shared/request-input';
import type { PolicyDocument, PolicyStatement } from './iam-policy';

export type ContextValue = string | number | boolean | null;

export interface AuthorizerDecision {
  readonly principalId: string;
  readonly policyDocument: PolicyDocument;
  readonly context: Readonly<Record<string, ContextValue>>;
  readonly usageIdentifierKey?: string;
}

export class MalformedAuthorizerResult extends Error {
  constructor(readonly detail: string) {
    super(`malformed authorizer result: ${detail}`);
    this.name = 'MalformedAuthorizerResult';
  }
}

/** IAM's limit on one `Resource`; API Gateway cannot apply a policy with a longer one. */
const MAX_RESOURCE_CHARS = 512;

function isStringOrList(v: unknown): v is string | string[] {
  return typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'));
}

function parseStatement(raw: unknown, i: number): PolicyStatement {
  if (typeof raw !== 'object' || raw === null) throw new MalformedAuthorizerResult(`Statement[${i}] is not an object`);
  const s = raw as Record<string, unknown>;
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new MalformedAuthorizerResult(`Statement[${i}].Effect must be Allow or Deny`);
  if (!isStringOrList(s.Action)) throw new MalformedAuthorizerResult(`Statement[${i}].Action must be a string or a list of strings`);
  if (!isStringOrList(s.Resource)) throw new MalformedAuthorizerResult(`Statement[${i}].Resource must be a string or a list of strings`);
  if ((typeof s.Resource === 'string' ? [s.Resource] : s.Resource).some((r) => r.length > MAX_RESOURCE_CHARS)) {
    throw new MalformedAuthorizerResult(`Statement[${i}].Resource is longer than ${MAX_RESOURCE_CHARS} characters`);
  }
  return { Effect: s.Effect, Action: s.Action, Resource: s.Resource };
}

export function parseAuthorizerResult(raw: unknown): AuthorizerDecision {
  if (typeof raw !== 'object' || raw === null) throw new MalformedAuthorizerResult('not an object');
  const r = raw as Record<string, unknown>;
  if (typeof r.principalId !== 'string' || r.principalId === '') throw new MalformedAuthorizerResult('principalId must be a non-empty string');
  const doc = r.policyDocument;
  if (typeof doc !== 'object' || doc === null) throw new MalformedAuthorizerResult('policyDocument is missing');
  const statements = (doc as Record<string, unknown>).Statement;
  if (!Array.isArray(statements)) throw new MalformedAuthorizerResult('policyDocument.Statement must be a list');
  const policyDocument: PolicyDocument = {
    Version: typeof (doc as Record<string, unknown>).Version === 'string' ? ((doc as Record<string, unknown>).Version as string) : undefined,
    Statement: statements.map(parseStatement),
  };
  const context = nameMap<ContextValue>();
  if (r.context !== undefined && r.context !== null) {
    if (typeof r.context !== 'object' || Array.isArray(r.context)) throw new MalformedAuthorizerResult('context must be an object');
    for (const [k, v] of Object.entries(r.context as Record<string, unknown>)) {
      if (v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) {
        context[k] = v;
      } else {
        throw new MalformedAuthorizerResult(`context.${k} is not a string, number or boolean`);
      }
    }
  }
  const usageIdentifierKey = typeof r.usageIdentifierKey === 'string' ? r.usageIdentifierKey : undefined;
  return { principalId: r.principalId, policyDocument, context, usageIdentifierKey };
}

/**
 * `requestContext.authorizer` of the proxy event: every context value as a
 * string (API Gateway's REST behaviour), plus `principalId` and a numeric
 * `integrationLatency` (ms the authorizer took; 0 on a cache hit).
 */
export function proxyAuthorizerContext(decision: AuthorizerDecision, latencyMs: number): Record<string, string | number | null> {
  const out = nameMap<string | number | null>();
  for (const [k, v] of Object.entries(decision.context)) out[k] = v === null ? null : String(v);
  out.principalId = decision.principalId;
  out.integrationLatency = latencyMs;
  return out;
}
