/**
 * CloudWatch metrics in the Embedded Metric Format, through Powertools for
 * AWS Lambda (`@aws-lambda-powertools/metrics`): one EMF line per decision
 * and one per bundle check or shadow comparison, written to stdout like the
 * logs. Namespace `OpaAuthorizer` (POWERTOOLS_METRICS_NAMESPACE overrides),
 * `service` = the function; POWERTOOLS_METRICS_DISABLED=true turns them off.
 *
 * Dimensions stay low-cardinality: `outcome` (allow, deny, error,
 * unauthorized, rejected, filtered, withheld) and `reason` (the functions'
 * own reason tokens and the policy's validated reason tokens), `bundle`
 * (authz, shadow), check/shadow `result`. The policy revision is a property
 * (`policyRevision`), never a dimension: every publish would start new series.
 *
 * Metrics:
 *   Decisions (Count)           by outcome, reason
 *   DecisionLatency (Ms)        by outcome, reason: the handler's time for the decision
 *   PolicyEvalTime (µs)         by outcome, reason: the policy evaluation alone, when it ran
 *   PolicyBundleAge (Seconds)   by outcome, reason: since the serving policy was activated
 *   BundleChecks (Count)        by bundle, result (activated, not_modified, rejected) [, reason]
 *   ShadowEvaluations (Count)   by result (agreed, disagreed, skipped_<why>)
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DecisionLog, DecisionRecord } from './decision-log';
import type { PolicyStore } from './policy-store';
import type { ShadowOutcome } from './shadow';

export const METRICS_NAMESPACE = 'OpaAuthorizer';

export interface FunctionMetrics {
  decision(record: DecisionRecord): void;
  bundleCheck(bundle: string, result: 'activated' | 'not_modified' | 'rejected', reason: string | undefined): void;
  shadow(outcome: ShadowOutcome): void;
}

/** No metrics (LOG_LEVEL=silent, tests). */
export const NO_METRICS: FunctionMetrics = { decision: () => undefined, bundleCheck: () => undefined, shadow: () => undefined };

export interface MetricsOptions {
  /** `service` dimension: `authorizer` or `claims-proxy`. */
  readonly service: string;
  /** The enforced policy store (bundle age). */
  readonly store?: () => PolicyStore | undefined;
  readonly now?: () => number;
}

export function createFunctionMetrics(opts: MetricsOptions): FunctionMetrics {
  const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE, serviceName: opts.service });
  const now = opts.now ?? Date.now;
  return {
    decision(record) {
      if (record.shadow !== undefined) return;
      metrics.addDimensions({ outcome: record.result, reason: record.reason });
      metrics.addMetric('Decisions', MetricUnit.Count, 1);
      metrics.addMetric('DecisionLatency', MetricUnit.Milliseconds, record.latencyMicros / 1000);
      if (record.evaluation !== undefined) metrics.addMetric('PolicyEvalTime', MetricUnit.Microseconds, Math.round(record.evaluation.evalNs / 1000));
      const active = opts.store?.()?.active();
      if (active !== undefined) metrics.addMetric('PolicyBundleAge', MetricUnit.Seconds, Math.max(0, Math.round((now() - active.activatedAtMs) / 1000)));
      if (record.policyRevision !== undefined) metrics.addMetadata('policyRevision', record.policyRevision);
      metrics.publishStoredMetrics();
    },
    bundleCheck(bundle, result, reason) {
      const single = metrics.singleMetric();
      single.addDimensions({ bundle, result, ...(reason === undefined ? {} : { reason }) });
      const revision = opts.store?.()?.active()?.engine.revision;
      if (revision !== undefined && bundle === 'authz') single.addMetadata('policyRevision', revision);
      single.addMetric('BundleChecks', MetricUnit.Count, 1);
    },
    shadow(outcome) {
      const single = metrics.singleMetric();
      single.addDimension('result', outcome.kind === 'skipped' ? `skipped_${outcome.reason}` : outcome.kind);
      single.addMetric('ShadowEvaluations', MetricUnit.Count, 1);
    },
  };
}

/** A decision log that also counts each decision. */
export function withMetrics(log: DecisionLog, metrics: FunctionMetrics): DecisionLog {
  return {
    write(record) {
      try {
        metrics.decision(record);
      } catch {
        // Metrics never change a decision or stop its log line.
      }
      log.write(record);
    },
  };
}
