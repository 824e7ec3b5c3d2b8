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

export function newDecisionId(): string {
  return randomUUID();
}

/** Microseconds since `startNs` (from process.hrtime.bigint()). */
export function microsSince(startNs: bigint): number {
  return Number((process.hrtime.bigint() - startNs) / 1000n);
}

export interface DecisionLog {
  write(record: DecisionRecord): void;
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
