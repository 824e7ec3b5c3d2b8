/** Capture log and decision lines in memory. */
import { createDecisionLog, type DecisionLog } from '../../../functions/shared/decision-log';
import { createLogger, type Logger } from '../../../functions/shared/logger';

/** A decision-log event (OPA's schema) flattened to the fields tests assert most. */
export interface DecisionSummary {
  readonly type: unknown;
  readonly decisionId: unknown;
  readonly phase: unknown;
  readonly method: unknown;
  readonly path: unknown;
  readonly sub: unknown;
  readonly result: unknown;
  readonly reason: unknown;
  readonly policyRevision: unknown;
  readonly latencyMicros: unknown;
  readonly requestId: unknown;
  readonly event: Record<string, unknown>;
}

export interface Captured {
  readonly lines: string[];
  readonly logger: Logger;
  readonly decisions: DecisionLog;
  parsed(): Array<Record<string, unknown>>;
  /** The OPA decision events (lines with a decision_id). */
  events(): Array<Record<string, unknown>>;
  /** The decision events, flattened. */
  summaries(): DecisionSummary[];
  /** The first decision event, flattened. */
  summary(): DecisionSummary | undefined;
  text(): string;
}

function summarise(event: Record<string, unknown>): DecisionSummary {
  const custom = (event.custom ?? {}) as Record<string, unknown>;
  const bundles = (event.bundles ?? {}) as Record<string, { revision?: unknown }>;
  const metrics = (event.metrics ?? {}) as Record<string, unknown>;
  return {
    type: custom.type,
    decisionId: event.decision_id,
    phase: custom.phase,
    method: custom.method,
    path: custom.request_path,
    sub: custom.sub,
    result: custom.outcome,
    reason: custom.reason,
    policyRevision: Object.values(bundles)[0]?.revision,
    latencyMicros: typeof metrics.timer_server_handler_ns === 'number' ? metrics.timer_server_handler_ns / 1000 : undefined,
    requestId: custom.request_id,
    event,
  };
}

export function captureLogs(): Captured {
  const lines: string[] = [];
  const sink = (line: string): void => {
    lines.push(line);
  };
  const parsed = (): Array<Record<string, unknown>> => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const events = (): Array<Record<string, unknown>> => parsed().filter((l) => typeof l.decision_id === 'string');
  return {
    lines,
    logger: createLogger('debug', 'test', sink),
    decisions: createDecisionLog(sink),
    parsed,
    events,
    summaries: () => events().map(summarise),
    summary: () => events().map(summarise)[0],
    text: () => lines.join('\n'),
  };
}
