/**
 * EMF metrics through Powertools (issue #11 item 6): counts by outcome and
 * reason, decision latency, policy evaluation time, bundle age, the revision
 * as a property (never a dimension), bundle checks and shadow results.
 */
import { createFunctionMetrics, withMetrics } from '../../functions/shared/metrics';
import { createDecisionLog, type DecisionRecord } from '../../functions/shared/decision-log';
import type { PolicyStore } from '../../functions/shared/policy-store';

interface Emf {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [key: string]: unknown;
}

/** EMF lines written to stdout while `fn` runs. */
function emfDuring(fn: () => void): Emf[] {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    fn();
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Emf);
}

const store = { active: () => ({ engine: { revision: 'rev-42', evaluate: () => [] }, origin: 'remote', activatedAtMs: 1_000 }) } as unknown as PolicyStore;
const record: DecisionRecord = {
  decisionId: 'd', phase: 'request', method: 'GET', path: '/v1/claims/enrollee/1001', sub: 'alice', result: 'deny', reason: 'not_own_record',
  latencyMicros: 2500, policyRevision: 'rev-42',
  evaluation: { path: 'acme/authz/decision', input: { token: 'eyJx.eyJy.sig' }, result: { allow: false }, evalNs: 48_000, engine: { revision: 'rev-42', evaluate: () => [] }, bundle: 'authz' },
};

describe('decision metrics', () => {
  it('one EMF line per decision: Decisions, DecisionLatency, PolicyEvalTime, PolicyBundleAge by outcome and reason; the revision is a property', () => {
    const metrics = createFunctionMetrics({ service: 'authorizer', store: () => store, now: () => 91_000 });
    const [emf, ...rest] = emfDuring(() => metrics.decision(record));
    expect(rest).toHaveLength(0);
    const directive = emf._aws.CloudWatchMetrics[0];
    expect(directive.Namespace).toBe('OpaAuthorizer');
    expect(directive.Dimensions).toEqual([['service', 'outcome', 'reason']]);
    expect(directive.Metrics.map((m) => `${m.Name}:${m.Unit}`).sort()).toEqual(['DecisionLatency:Milliseconds', 'Decisions:Count', 'PolicyBundleAge:Seconds', 'PolicyEvalTime:Microseconds']);
    expect(emf).toMatchObject({ service: 'authorizer', outcome: 'deny', reason: 'not_own_record', Decisions: 1, DecisionLatency: 2.5, PolicyEvalTime: 48, PolicyBundleAge: 90, policyRevision: 'rev-42' });
    // Nothing the policy saw is in a metric line.
    expect(JSON.stringify(emf)).not.toContain('eyJ');
  });

  it('withMetrics counts each decision and still writes its log line', () => {
    const lines: string[] = [];
    const log = withMetrics(createDecisionLog((l) => lines.push(l), { labels: { id: 'i', version: 'v' } }), createFunctionMetrics({ service: 'authorizer' }));
    const emf = emfDuring(() => log.write(record));
    expect(emf).toHaveLength(1);
    expect(lines).toHaveLength(1);
  });

  it('bundle checks are counted by bundle and result (and reason when rejected); shadow results by result', () => {
    const metrics = createFunctionMetrics({ service: 'claims-proxy', store: () => store });
    const emf = emfDuring(() => {
      metrics.bundleCheck('authz', 'rejected', 'bad_signature');
      metrics.bundleCheck('authz', 'not_modified', undefined);
      metrics.shadow({ kind: 'skipped', reason: 'over_budget' });
    });
    expect(emf.map((e) => e._aws.CloudWatchMetrics[0].Dimensions[0])).toEqual([['service', 'bundle', 'result', 'reason'], ['service', 'bundle', 'result'], ['service', 'result']]);
    expect(emf[0]).toMatchObject({ BundleChecks: 1, bundle: 'authz', result: 'rejected', reason: 'bad_signature', policyRevision: 'rev-42' });
    expect(emf[2]).toMatchObject({ ShadowEvaluations: 1, result: 'skipped_over_budget' });
  });
});
