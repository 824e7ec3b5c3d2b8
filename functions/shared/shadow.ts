/**
 * Shadow mode: a candidate policy (SHADOW_BUNDLE_URL, polled and verified
 * like the enforced one) evaluated beside the enforced policy on each
 * request. It never changes the answer: the enforced outcome is computed
 * first and the candidate's result is only compared and logged; anything the
 * candidate does (throw, allow everything, take long) stays in here.
 *
 * Latency budget: before evaluating, the candidate's recent evaluation time
 * (the last measurement, or a slower one seen since) is compared with
 * SHADOW_LATENCY_BUDGET_MS; over it, the evaluation is skipped and counted.
 * A skipped candidate is measured again once a minute (one request pays for
 * the probe) and whenever a new candidate revision is activated.
 */
import type { PendingDecision } from './decision-log';
import type { PolicyEngine } from './policy-engine';
import type { PolicyStore } from './policy-store';

export type ShadowSkip = 'not_ready' | 'unavailable' | 'over_budget';

/** What a policy said, in comparable form. */
export interface Verdict {
  /** `allow:<reason>`, `deny:<reason>`, `error:<reason>` for decisions; `body`/`withheld`/`error:…` for responses. */
  readonly outcome: string;
  /** The result to log (undefined when the policy failed). */
  readonly result: unknown;
  /** Compared besides the outcome (e.g. the authorizer context, the filtered body). */
  readonly detail?: unknown;
}

export type ShadowOutcome =
  | { readonly kind: 'skipped'; readonly reason: ShadowSkip }
  | { readonly kind: 'agreed'; readonly evalNs: number }
  | { readonly kind: 'disagreed'; readonly evalNs: number; readonly revision: string; readonly candidate: Verdict };

export interface Shadow {
  /**
   * Evaluate the candidate with `evaluate` and compare with `enforced`.
   * Never throws; never awaits.
   */
  compare(enforced: Verdict, evaluate: (engine: PolicyEngine) => Verdict): ShadowOutcome;
}

/** How long a candidate found over budget is skipped before it is measured again. */
export const SHADOW_REPROBE_MS = 60_000;

export function createShadow(store: PolicyStore, budgetMs: number, now: () => number = Date.now): Shadow {
  const budgetNs = budgetMs * 1e6;
  let revision: string | undefined;
  let recentNs = 0;
  let measuredAt = 0;
  return {
    compare(enforced, evaluate) {
      let engine: PolicyEngine;
      try {
        const current = store.engine();
        if (current instanceof Promise) {
          // Never wait for the candidate's cold start.
          current.catch(() => undefined);
          return { kind: 'skipped', reason: 'not_ready' };
        }
        engine = current;
      } catch {
        return { kind: 'skipped', reason: 'unavailable' };
      }
      if (engine.revision !== revision) {
        revision = engine.revision;
        recentNs = 0;
      }
      if (recentNs > budgetNs && now() - measuredAt < SHADOW_REPROBE_MS) return { kind: 'skipped', reason: 'over_budget' };
      const started = process.hrtime.bigint();
      let candidate: Verdict;
      try {
        candidate = evaluate(engine);
      } catch (error) {
        candidate = { outcome: `error:${error instanceof Error ? error.name : 'error'}`, result: undefined };
      }
      const evalNs = Number(process.hrtime.bigint() - started);
      // A slow evaluation counts at once; a fast one brings the estimate down gradually.
      recentNs = evalNs >= recentNs ? evalNs : Math.round(recentNs * 0.7 + evalNs * 0.3);
      measuredAt = now();
      const same = candidate.outcome === enforced.outcome && stableJson(candidate.detail) === stableJson(enforced.detail);
      return same ? { kind: 'agreed', evalNs } : { kind: 'disagreed', evalNs, revision: engine.revision, candidate };
    },
  };
}

/** JSON with object keys sorted (two results are compared, not their key order). */
function stableJson(value: unknown): string {
  if (value === undefined) return 'undefined';
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** Compare, log a disagreement (its own decision-log event) and report the outcome; never throws. */
export function shadowCompare(
  shadow: Shadow,
  decision: PendingDecision,
  enforced: Verdict,
  evaluate: (engine: PolicyEngine) => Verdict,
  report?: (outcome: ShadowOutcome) => void,
): void {
  try {
    const outcome = shadow.compare(enforced, evaluate);
    if (outcome.kind === 'disagreed') {
      decision.recordShadow({
        revision: outcome.revision,
        result: outcome.candidate.result,
        outcome: outcome.candidate.outcome,
        enforcedOutcome: enforced.outcome,
        evalNs: outcome.evalNs,
      });
    }
    report?.(outcome);
  } catch {
    // The shadow never changes the answer, not even by failing.
  }
}
