/**
 * One JSON line per policy decision, in OPA's decision-log event schema
 * (OPA docs, "Decision Logs"): `decision_id`, `path` (the entrypoint),
 * `input`, `result`, `timestamp` (RFC 3339), `metrics`
 * (`timer_rego_query_eval_ns`, `timer_server_handler_ns`), `bundles.{name}.revision`,
 * `labels` (`id`, `version`, `type`), `erased`/`masked` (masking), `error`
 * and `requested_by`. What OPA has no field for (the HTTP outcome, the
 * reason token, the subject, the request line) is under `custom`.
 *
 * `input` and `result` are masked before anything is written (log-mask.ts:
 * the bundle's `system.log.mask`, then the default mask that always removes
 * credentials and protected fields); if masking fails they are not logged at
 * all and `masking_failed` is logged instead. A request refused before any
 * policy ran (no token, path tricks) has no `input`/`result`.
 */
import { randomUUID } from 'node:crypto';
import { applyBundleMask, applyDefaultMask, type DefaultMaskOptions } from './log-mask';
import type { LineSink } from './logger';
import type { PolicyEngine } from './policy-engine';

export type DecisionResult = 'allow' | 'deny' | 'error' | 'unauthorized' | 'rejected' | 'filtered' | 'withheld';

/** What the policy saw and said, when it ran. */
export interface Evaluation {
  /** The entrypoint (`acme/authz/decision`). */
  readonly path: string;
  readonly input: unknown;
  /** The policy's result (undefined when it failed or was undefined). */
  readonly result?: unknown;
  readonly evalNs: number;
  /** The engine that evaluated (its `system/log/mask` masks the event). */
  readonly engine: PolicyEngine;
  readonly bundle: string;
}

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
  readonly sourceIp?: string;
  /** The entrypoint this decision is for (OPA's `path`, also when the policy never ran). */
  readonly entrypoint?: string;
  readonly evaluation?: Evaluation;
  /** Shadow disagreement events: the candidate's result next to the enforced one. */
  readonly shadow?: ShadowRecord;
  /** Shadow disagreement events: the decision they shadow. */
  readonly enforcedDecisionId?: string;
}

/** A shadow candidate that disagreed with the enforced policy. */
export interface ShadowRecord {
  readonly revision: string;
  /** The candidate's result (or undefined when it failed). */
  readonly result: unknown;
  /** The candidate's outcome token (`allow`, `deny:not_own_record`, `error:evaluation_error`...). */
  readonly outcome: string;
  readonly enforcedOutcome: string;
  readonly evalNs: number;
}

/** One OPA decision-log event (the fields this project writes). */
export interface DecisionEvent {
  decision_id: string;
  path: string;
  input?: unknown;
  result?: unknown;
  timestamp: string;
  metrics: { timer_rego_query_eval_ns?: number; timer_server_handler_ns: number };
  bundles: Record<string, { revision: string }>;
  labels: DecisionLabels;
  erased?: string[];
  masked?: string[];
  error?: { code: string; message: string };
  requested_by?: string;
  custom: Record<string, unknown>;
}

/** OPA's `labels`: `id` (this instance) and `version`, plus what the operator adds. */
export interface DecisionLabels {
  readonly id: string;
  readonly version: string;
  readonly [label: string]: string;
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
  /** Set once the policy ran (or failed on this input). */
  evaluation: Evaluation | undefined;
  /** Write the decision line (latency measured from the start). */
  record(result: DecisionResult, reason: string): void;
  /**
   * Write a shadow-disagreement event: a line of its own (a new decision_id,
   * `custom.type` = `shadow_disagreement`, `custom.enforced_decision_id` = this
   * decision's) carrying the enforced result and the candidate's.
   */
  recordShadow(shadow: ShadowRecord): void;
}

/** What a decision is about, known when it starts. */
export type DecisionRequest = Pick<DecisionRecord, 'phase' | 'method' | 'path' | 'requestId' | 'sourceIp' | 'entrypoint'>;

/**
 * A decision in progress. A class, not an object literal of closures: with
 * esbuild's keepNames (the Lambda bundles) every closure made per request
 * also costs a `__name` call, and records are written field by field because
 * V8 in Node 20 makes `{ ...request, more }` cost microseconds per call
 * (bench/authorizer.ts).
 */
class DecisionInProgress implements PendingDecision {
  // Field initialisers run in this order: the clock starts first.
  private readonly start = process.hrtime.bigint();
  readonly decisionId = newDecisionId();
  sub: string | undefined = undefined;
  policyRevision: string | undefined = undefined;
  evaluation: Evaluation | undefined = undefined;

  constructor(
    private readonly log: DecisionLog,
    private readonly request: DecisionRequest,
  ) {}

  record(result: DecisionResult, reason: string): void {
    this.log.write(this.recordOf(this.decisionId, result, reason));
  }

  recordShadow(shadow: ShadowRecord): void {
    const enforced = shadow.enforcedOutcome.startsWith('allow') ? 'allow' : shadow.enforcedOutcome.startsWith('deny') ? 'deny' : 'error';
    this.log.write({ ...this.recordOf(newDecisionId(), enforced, 'shadow_disagreement'), enforcedDecisionId: this.decisionId, shadow });
  }

  private recordOf(decisionId: string, result: DecisionResult, reason: string): DecisionRecord {
    const request = this.request;
    return {
      phase: request.phase,
      method: request.method,
      path: request.path,
      requestId: request.requestId,
      sourceIp: request.sourceIp,
      entrypoint: request.entrypoint,
      decisionId,
      sub: this.sub,
      result,
      reason,
      latencyMicros: microsSince(this.start),
      policyRevision: this.policyRevision,
      evaluation: this.evaluation,
    };
  }
}

/** Start timing a decision of `phase` for this request; both handlers record through it. */
export function beginDecision(log: DecisionLog, request: DecisionRequest): PendingDecision {
  return new DecisionInProgress(log, request);
}

export interface DecisionLogOptions {
  readonly enabled?: boolean;
  readonly labels?: DecisionLabels;
  readonly mask?: DefaultMaskOptions;
  /** Told when masking failed (the event was written without input/result). */
  readonly onMaskFailure?: (decisionId: string, error: unknown) => void;
}

/** This container's labels: a random id per cold start and the package version. */
export function defaultLabels(component: string): DecisionLabels {
  return { id: randomUUID(), version: PACKAGE_VERSION, type: 'opa-okta-apigateway', component };
}

/** The version in the labels (the monorepo's package version). */
export const PACKAGE_VERSION = '0.1.0';

/** Protected fields erased when no configuration says (config.ts DECISION_LOG_ERASE_FIELDS has the same default). */
export const DEFAULT_PROTECTED_FIELDS: readonly string[] = ['memberSsn', 'ssn', 'procedure'];

/** A deep copy of JSON data (what the policy saw), so masking never touches the live objects. */
function jsonCopy(value: unknown): unknown {
  if (value === undefined) return undefined;
  return JSON.parse(JSON.stringify(value)) as unknown;
}

export function createDecisionLog(sink: LineSink, options: DecisionLogOptions | boolean = {}): DecisionLog {
  const opts: DecisionLogOptions = typeof options === 'boolean' ? { enabled: options } : options;
  const enabled = opts.enabled ?? true;
  const labels = opts.labels ?? defaultLabels('function');
  const mask: DefaultMaskOptions = opts.mask ?? { credentialKeys: ['x-api-key'], protectedFields: DEFAULT_PROTECTED_FIELDS };
  return {
    write(record) {
      if (!enabled) return;
      const evaluation = record.evaluation;
      const custom: Record<string, unknown> = {
        type: record.shadow === undefined ? 'decision' : 'shadow_disagreement',
        phase: record.phase,
        outcome: record.result,
        reason: record.reason,
        method: record.method,
        // The raw path is what the client sent; query strings are never logged here.
        request_path: record.path.slice(0, 512),
        sub: record.sub,
        request_id: record.requestId,
      };
      const event: DecisionEvent = {
        decision_id: record.decisionId,
        path: evaluation?.path ?? record.entrypoint ?? '',
        timestamp: new Date().toISOString(),
        metrics: { timer_server_handler_ns: record.latencyMicros * 1000 },
        bundles: record.policyRevision === undefined ? {} : { [evaluation?.bundle ?? 'authz']: { revision: record.policyRevision } },
        labels,
        custom,
      };
      if (evaluation !== undefined) {
        event.metrics.timer_rego_query_eval_ns = evaluation.evalNs;
        event.input = jsonCopy(evaluation.input);
        if (evaluation.result !== undefined) event.result = jsonCopy(evaluation.result);
      }
      if (record.result === 'error') event.error = { code: record.reason, message: 'the decision failed closed' };
      if (record.sourceIp !== undefined && record.sourceIp !== '') event.requested_by = record.sourceIp;
      if (record.shadow !== undefined) {
        custom.enforced_decision_id = record.enforcedDecisionId;
        event.bundles.shadow = { revision: record.shadow.revision };
        custom.shadow = {
          revision: record.shadow.revision,
          outcome: record.shadow.outcome,
          enforced_outcome: record.shadow.enforcedOutcome,
          timer_rego_query_eval_ns: record.shadow.evalNs,
        };
        // The candidate's result is masked like the enforced one (it may hold the same protected fields).
        (event as unknown as Record<string, unknown>).shadow_result = jsonCopy(record.shadow.result);
      }
      try {
        if (evaluation !== undefined) applyBundleMask(evaluation.engine, event as DecisionEvent & Record<string, unknown>);
        applyDefaultMask(event, mask);
        if (record.shadow !== undefined) {
          const shadowView = { result: (event as unknown as Record<string, unknown>).shadow_result } as { result?: unknown; erased?: string[] };
          applyDefaultMask(shadowView, mask);
          (custom.shadow as Record<string, unknown>).result = shadowView.result;
          delete (event as unknown as Record<string, unknown>).shadow_result;
        }
      } catch (error) {
        // Fail closed for secrecy: nothing the policy saw or said is written.
        delete event.input;
        delete event.result;
        delete (event as unknown as Record<string, unknown>).shadow_result;
        if (custom.shadow !== undefined) delete (custom.shadow as Record<string, unknown>).result;
        event.erased = ['/input', '/result'];
        delete event.masked;
        custom.masking_failed = true;
        opts.onMaskFailure?.(record.decisionId, error);
      }
      sink(JSON.stringify(event));
    },
  };
}
