/**
 * One structured JSON line per policy decision (DESIGN.md §7). It names the
 * request (method, path), the subject and the outcome, never the token, the
 * claims, headers, query values or any backend field.
 */
import { randomUUID } from 'node:crypto';
import type { LineSink } from './logger';

export type DecisionResult = 'allow' | 'deny' | 'error' | 'unauthorized' | 'rejected' | 'filtered' | 'withheld';

export interface DecisionRecord {
  readonly decisionId: string;
  /** `request` (authorizer) or `response` (claims proxy). */
  readonly phase: 'request' | 'response';
  readonly method: string;
  readonly path: string;
  readonly sub: string | undefined;
  readonly result: DecisionResult;
  readonly reason: string;
  readonly latencyMicros: number;
  readonly policyRevision: string | undefined;
  readonly requestId?: string;
}

function newDecisionId(): string {
  return randomUUID();
}

/** Microseconds since `startNs` (from process.hrtime.bigint()). */
function microsSince(startNs: bigint): number {
  return Number((process.hrtime.bigint() - startNs) / 1000n);
}

export interface DecisionLog {
  write(record: DecisionRecord): void;
}

/** One decision in progress: what is known at the start, what is learnt on the way, and its one record. */
export interface PendingDecision {
  readonly decisionId: string;
  /** Set once the token (authorizer) or the authorizer context (proxy) names the caller. */
  sub: string | undefined;
  /** Set once the policy is loaded. */
  policyRevision: string | undefined;
  /** Write the decision line (latency measured from the start). */
  record(result: DecisionResult, reason: string): void;
}

/** Start timing a decision of `phase` for this request; both handlers record through it. */
export function beginDecision(log: DecisionLog, request: Pick<DecisionRecord, 'phase' | 'method' | 'path' | 'requestId'>): PendingDecision {
  const start = process.hrtime.bigint();
  const pending: PendingDecision = {
    decisionId: newDecisionId(),
    sub: undefined,
    policyRevision: undefined,
    record(result, reason) {
      log.write({
        ...request,
        decisionId: pending.decisionId,
        sub: pending.sub,
        result,
        reason,
        latencyMicros: microsSince(start),
        policyRevision: pending.policyRevision,
      });
    },
  };
  return pending;
}

export function createDecisionLog(sink: LineSink, enabled = true): DecisionLog {
  return {
    write(record) {
      if (!enabled) return;
      sink(
        JSON.stringify({
          type: 'decision',
          time: new Date().toISOString(),
          decisionId: record.decisionId,
          phase: record.phase,
          method: record.method,
          // The raw path is what the client sent; it never carries a token (query strings are not logged).
          path: record.path.slice(0, 512),
          sub: record.sub,
          result: record.result,
          reason: record.reason,
          latencyMicros: record.latencyMicros,
          policyRevision: record.policyRevision,
          requestId: record.requestId,
        }),
      );
    },
  };
}
