/**
 * Shadow mode (issue #11 item 7): a candidate policy evaluated beside the
 * enforced one never changes the answer — whether it throws, allows
 * everything or is slow — a disagreement is a decision-log event carrying
 * both results, and a candidate over SHADOW_LATENCY_BUDGET_MS is skipped
 * (decided before evaluating) and counted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createAuthorizer } from '../../functions/authorizer/authorizer';
import { createClaimsProxy } from '../../functions/claims-proxy/claims-proxy';
import type { PolicyEngine } from '../../functions/shared/policy-engine';
import { policyStoreOf, type PolicyStore } from '../../functions/shared/policy-store';
import { createShadow, SHADOW_REPROBE_MS, type ShadowOutcome } from '../../functions/shared/shadow';
import { resultOf, scriptedEngine, throwingEngine } from './support/engines';
import { captureLogs, type Captured } from './support/logs';
import { opaEventProblems } from './support/opa-event';

const EVENTS = path.join(__dirname, '..', 'events');
const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';

/** Own record allowed, anything else denied (by the enforced policy). */
const enforcedEngine = (): PolicyEngine =>
  Object.assign(
    scriptedEngine((_e, input) => {
      const own = (input.path as string[])[3] === '1001';
      return resultOf({ allow: own, reason: own ? 'own_record' : 'not_own_record' });
    }),
    { revision: 'enforced-1' },
  );
const candidate = (engine: PolicyEngine, revision = 'candidate-1'): PolicyEngine => ({ ...engine, revision, evaluate: engine.evaluate.bind(engine) });
const allowAll = (): PolicyEngine => candidate(scriptedEngine(() => resultOf({ allow: true, reason: 'allow_all' })));
const slow = (ms: number): PolicyEngine =>
  candidate(
    scriptedEngine(() => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        // busy: a candidate that takes long
      }
      return resultOf({ allow: true, reason: 'own_record' });
    }),
  );

async function readyStore(engine: PolicyEngine, logs: Captured): Promise<PolicyStore> {
  const store = policyStoreOf(Promise.resolve(engine), logs.logger, 'shadow');
  await store.idle();
  return store;
}

const verifier = { hydrate: async () => undefined, verify: async () => ({ sub: 'alice', payload: { sub: 'alice', scp: ['claims:read'] }, scopes: ['claims:read'] }) };

function authEvent(id: string): APIGatewayRequestAuthorizerEvent {
  const event = JSON.parse(fs.readFileSync(path.join(EVENTS, 'authorizer-get-own-record.json'), 'utf8').replaceAll('__ACCESS_TOKEN__', JWT)) as APIGatewayRequestAuthorizerEvent;
  event.path = `/v1/claims/enrollee/${id}`;
  event.methodArn = event.methodArn.replace(/1001$/, id);
  return event;
}

async function authorizerWith(shadowEngine: PolicyEngine, logs: Captured, budgetMs = 50, now?: () => number) {
  const outcomes: ShadowOutcome[] = [];
  const handler = createAuthorizer({
    config: { apiKeyHeader: 'x-api-key', maxTokenBytes: 8192, requestEntrypoint: 'acme/authz/decision', apiProduct: undefined },
    verifier,
    engine: Promise.resolve(enforcedEngine()),
    shadow: createShadow(await readyStore(shadowEngine, logs), budgetMs, now),
    onShadow: (o) => outcomes.push(o),
    logger: logs.logger,
    decisions: logs.decisions,
  });
  return { handler, outcomes };
}

const effectOf = async (p: ReturnType<ReturnType<typeof createAuthorizer>>): Promise<string> => {
  const r = await p;
  return `${r.policyDocument.Statement[0].Effect}:${String(r.context?.reason ?? r.context?.policyRevision)}`;
};

describe('the authorizer with a shadow candidate', () => {
  it.each([
    ['throws', () => candidate(throwingEngine('wasm trap: unreachable')), 'error:evaluation_error'],
    ['allows everything', allowAll, 'allow:allow_all'],
  ])('a candidate that %s never changes the answer; the disagreement is one event with both results', async (_n, make, candidateOutcome) => {
    const logs = captureLogs();
    const { handler, outcomes } = await authorizerWith(make(), logs);
    expect(await effectOf(handler(authEvent('2001')))).toBe('Deny:not_own_record');
    const shadowEvents = logs.events().filter((e) => (e.custom as Record<string, unknown>).type === 'shadow_disagreement');
    expect(shadowEvents).toHaveLength(1);
    const [event] = shadowEvents;
    expect(opaEventProblems(event)).toEqual([]);
    expect(event.result).toEqual({ allow: false, reason: 'not_own_record', context: {} });
    expect(event.bundles).toEqual({ authz: { revision: 'enforced-1' }, shadow: { revision: 'candidate-1' } });
    expect((event.custom as Record<string, unknown>).shadow).toMatchObject({ revision: 'candidate-1', outcome: candidateOutcome, enforced_outcome: 'deny:not_own_record' });
    const decisionEvent = logs.events().find((e) => (e.custom as Record<string, unknown>).type === 'decision');
    expect((event.custom as Record<string, unknown>).enforced_decision_id).toBe(decisionEvent?.decision_id);
    expect(event.decision_id).not.toBe(decisionEvent?.decision_id);
    expect(outcomes.map((o) => o.kind)).toEqual(['disagreed']);
    expect(logs.text()).not.toContain(JWT);
  });

  it('an agreeing candidate writes no extra event', async () => {
    const logs = captureLogs();
    const { handler, outcomes } = await authorizerWith(candidate(enforcedEngine()), logs);
    expect(await effectOf(handler(authEvent('1001')))).toBe('Allow:enforced-1');
    expect(await effectOf(handler(authEvent('2001')))).toBe('Deny:not_own_record');
    expect(logs.events()).toHaveLength(2);
    expect(outcomes.map((o) => o.kind)).toEqual(['agreed', 'agreed']);
  });

  it('a candidate over the latency budget is measured once, then skipped (decided before evaluating) until re-probed', async () => {
    let clock = 0;
    const logs = captureLogs();
    const engine = slow(30);
    const { handler, outcomes } = await authorizerWith(engine, logs, 5, () => clock);
    for (let i = 0; i < 4; i++) expect(await effectOf(handler(authEvent('2001')))).toBe('Deny:not_own_record');
    expect(outcomes.map((o) => (o.kind === 'skipped' ? o.reason : o.kind))).toEqual(['disagreed', 'over_budget', 'over_budget', 'over_budget']);
    // Skipping is decided before evaluating: the candidate ran once.
    expect((engine as unknown as { calls: unknown[] }).calls).toHaveLength(1);
    clock += SHADOW_REPROBE_MS;
    await handler(authEvent('2001'));
    expect(outcomes[4].kind).toBe('disagreed');
  });

  it('a candidate still loading is skipped (not_ready), never awaited', async () => {
    const logs = captureLogs();
    const never = new Promise<PolicyEngine>(() => undefined);
    const outcomes: ShadowOutcome[] = [];
    const handler = createAuthorizer({
      config: { apiKeyHeader: 'x-api-key', maxTokenBytes: 8192, requestEntrypoint: 'acme/authz/decision', apiProduct: undefined },
      verifier,
      engine: Promise.resolve(enforcedEngine()),
      shadow: createShadow(policyStoreOf(never, logs.logger, 'shadow'), 5),
      onShadow: (o) => outcomes.push(o),
      logger: logs.logger,
      decisions: logs.decisions,
    });
    expect(await effectOf(handler(authEvent('1001')))).toBe('Allow:enforced-1');
    expect(outcomes).toEqual([{ kind: 'skipped', reason: 'not_ready' }]);
  });
});

describe('the claims proxy with a shadow candidate', () => {
  it('a candidate that would leak the whole record changes nothing; its result in the log is masked', async () => {
    const logs = captureLogs();
    const record = { enrolleeId: '1001', memberSsn: '123-45-6789', enrolleeClaimSummaryList: [{ claimId: 'C-1', procedure: 'X-ray' }] };
    const enforced = Object.assign(
      scriptedEngine(() => resultOf({ enrolleeId: '1001', enrolleeClaimSummaryList: [{ claimId: 'C-1' }] })),
      { revision: 'enforced-1' },
    );
    const leaky = candidate(scriptedEngine((_e, input) => resultOf((input.response as { body: unknown }).body)));
    const handler = createClaimsProxy({
      config: { apiKeyHeader: 'x-api-key', responseEntrypoint: 'acme/filter/response' },
      backend: { send: async () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(record)) }) },
      engine: Promise.resolve(enforced),
      shadow: createShadow(await readyStore(leaky, logs), 50),
      logger: logs.logger,
      decisions: logs.decisions,
    });
    const event = JSON.parse(fs.readFileSync(path.join(EVENTS, 'proxy-get-own-record.json'), 'utf8')) as APIGatewayProxyEvent;
    event.requestContext.authorizer = { principalId: 'alice', claims: JSON.stringify({ sub: 'alice' }) };
    const answer = await handler(event);
    expect(JSON.parse(answer.body)).toEqual({ enrolleeId: '1001', enrolleeClaimSummaryList: [{ claimId: 'C-1' }] });
    const shadowEvent = logs.events().find((e) => (e.custom as Record<string, unknown>).type === 'shadow_disagreement');
    expect(shadowEvent).toBeDefined();
    expect(((shadowEvent?.custom as Record<string, unknown>).shadow as Record<string, unknown>).result).toEqual({ enrolleeId: '1001', enrolleeClaimSummaryList: [{ claimId: 'C-1' }] });
    expect(logs.text()).not.toContain('123-45-6789');
    expect(logs.text()).not.toContain('X-ray');
  });
});
