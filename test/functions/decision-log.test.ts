/**
 * Decision logs in OPA's event schema with OPA's masking (system.log.mask:
 * erase pointers, upsert, remove → `erased`/`masked`), the default mask that
 * always removes credentials and protected fields, and masking failures that
 * fail closed for secrecy.
 */
import { beginDecision, createDecisionLog, type DecisionRecord } from '../../functions/shared/decision-log';
import { applyDefaultMask, applyMaskRules, MASK_ENTRYPOINT, type MaskableEvent } from '../../functions/shared/log-mask';
import type { PolicyEngine, ResultSet } from '../../functions/shared/policy-engine';
import { opaEventProblems } from './support/opa-event';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVl';

function engineWithMask(mask: (event: Record<string, unknown>) => ResultSet): PolicyEngine {
  return {
    revision: 'rev-7',
    entrypoints: ['acme/authz/decision', MASK_ENTRYPOINT],
    evaluate: (entrypoint, input) => (entrypoint === MASK_ENTRYPOINT ? mask(input as Record<string, unknown>) : [{ result: { allow: true } }]),
  };
}

function write(record: Partial<DecisionRecord>, failures: unknown[] = [], protectedFields = ['memberSsn']): Record<string, unknown> {
  const lines: string[] = [];
  const log = createDecisionLog((l) => lines.push(l), {
    labels: { id: 'instance-1', version: '0.1.0' },
    mask: { credentialKeys: ['x-acme-key'], protectedFields },
    onMaskFailure: (_id, e) => failures.push(e),
  });
  log.write({
    decisionId: 'd-1', phase: 'request', method: 'GET', path: '/v1/x', sub: 'alice', result: 'allow', reason: 'ok', latencyMicros: 12,
    policyRevision: 'rev-7', entrypoint: 'acme/authz/decision', ...record,
  });
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

describe('OPA event schema', () => {
  it('writes the documented fields: decision_id, path, input, result, timestamp, metrics, bundles, labels, requested_by', () => {
    const engine = engineWithMask(() => []);
    const event = write({ sourceIp: '203.0.113.9', evaluation: { path: 'acme/authz/decision', input: { method: 'GET' }, result: { allow: true }, evalNs: 5300, engine, bundle: 'authz' } });
    expect(opaEventProblems(event)).toEqual([]);
    expect(event).toMatchObject({
      decision_id: 'd-1',
      path: 'acme/authz/decision',
      input: { method: 'GET' },
      result: { allow: true },
      metrics: { timer_rego_query_eval_ns: 5300, timer_server_handler_ns: 12000 },
      bundles: { authz: { revision: 'rev-7' } },
      labels: { id: 'instance-1', version: '0.1.0' },
      requested_by: '203.0.113.9',
      custom: { type: 'decision', outcome: 'allow', reason: 'ok', sub: 'alice' },
    });
  });

  it('a request refused before the policy ran still names the entrypoint, with no input or result; a failure carries error', () => {
    const event = write({ result: 'error', reason: 'policy_bundle_unavailable', policyRevision: undefined });
    expect(opaEventProblems(event)).toEqual([]);
    expect(event).not.toHaveProperty('input');
    expect(event).not.toHaveProperty('result');
    expect(event.error).toEqual({ code: 'policy_bundle_unavailable', message: 'the decision failed closed' });
  });

  it('the validator refuses what OPA would not accept (so the checks above can fail)', () => {
    expect(opaEventProblems({ decision_id: 1, path: 'a b', timestamp: 'yesterday', labels: {}, bundles: { a: {} }, metrics: { t: -1 }, erased: ['/custom/x'], extra: 1 })).toHaveLength(8);
  });
});

describe('system.log.mask rules (OPA semantics)', () => {
  const event = (): MaskableEvent & Record<string, unknown> => ({ input: { user: 'alice', password: 'pw', nested: { card: '4111' }, list: ['a', 'b'] }, result: { allow: true, note: 'n' } });

  it('erases pointers and records them in erased; missing paths are not recorded; only /input and /result', () => {
    const e = event();
    applyMaskRules(e, ['/input/password', '/input/nested/card', '/input/missing', '/custom/x', '/input/list/0']);
    expect(e.input).toEqual({ user: 'alice', nested: {}, list: ['b'] });
    expect(e.erased).toEqual(['/input/password', '/input/nested/card', '/input/list/0']);
  });

  it('upsert replaces or adds (recorded in masked); remove erases (recorded in erased)', () => {
    const e = event();
    applyMaskRules(e, [{ op: 'upsert', path: '/input/user', value: '**' }, { op: 'upsert', path: '/result/reviewed', value: true }, { op: 'remove', path: '/result/note' }]);
    expect(e.input).toMatchObject({ user: '**' });
    expect(e.result).toEqual({ allow: true, reviewed: true });
    expect(e.masked).toEqual(['/input/user', '/result/reviewed']);
    expect(e.erased).toEqual(['/result/note']);
  });

  it('a pointer through __proto__ changes nothing', () => {
    const e = event();
    applyMaskRules(e, [{ op: 'upsert', path: '/input/__proto__/polluted', value: 1 }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([[{ op: 'explode', path: '/input/x' }], ['no-slash'], [{ op: 'remove' }]])('a malformed rule (%p) throws', (rule) => {
    expect(() => applyMaskRules(event(), [rule])).toThrow();
  });

  it("the bundle's system/log/mask is evaluated with the event as input", () => {
    const seen: Array<Record<string, unknown>> = [];
    const engine = engineWithMask((ev) => {
      seen.push(JSON.parse(JSON.stringify(ev)) as Record<string, unknown>);
      return [{ result: ['/input/account'] }];
    });
    const event2 = write({ evaluation: { path: 'acme/authz/decision', input: { account: 'ACC-1', method: 'GET' }, result: { allow: true }, evalNs: 1, engine, bundle: 'authz' } });
    expect(seen[0]).toMatchObject({ input: { account: 'ACC-1' }, result: { allow: true }, path: 'acme/authz/decision' });
    expect(event2.input).toEqual({ method: 'GET' });
    expect(event2.erased).toEqual(['/input/account']);
  });

  it.each([
    ['throws', () => { throw new Error('wasm trap'); }],
    ['returns a non-set', () => [{ result: 'erase everything' }]],
    ['returns two results', () => [{ result: [] }, { result: [] }]],
  ])('a mask that %s: input and result are not logged, masking_failed is, and the failure is reported', (_n, mask) => {
    const failures: unknown[] = [];
    const engine = engineWithMask(mask as (e: Record<string, unknown>) => ResultSet);
    const event = write({ evaluation: { path: 'acme/authz/decision', input: { secretThing: 'S3CR3T-VALUE' }, result: { allow: true, echo: 'S3CR3T-VALUE' }, evalNs: 1, engine, bundle: 'authz' } }, failures);
    expect(JSON.stringify(event)).not.toContain('S3CR3T-VALUE');
    expect(event).not.toHaveProperty('input');
    expect(event).not.toHaveProperty('result');
    expect(event.erased).toEqual(['/input', '/result']);
    expect((event.custom as Record<string, unknown>).masking_failed).toBe(true);
    expect(failures).toHaveLength(1);
    expect(opaEventProblems(event)).toEqual([]);
  });
});

describe('the default mask (always on)', () => {
  it('erases credentials by key name, JWT- and SSN-shaped values anywhere, and protected fields; the claims object is walked, not dropped', () => {
    const e: MaskableEvent = {
      input: {
        headers: { 'x-acme-key': 'k-123', 'user-agent': 'curl', Cookie: 'sid=abc' },
        query: { access_token: [JWT], page: ['2'], note: [`Bearer ${JWT}`] },
        token: { payload: { sub: 'alice', client_secret: 'cs' }, scopes: ['claims:read'] },
        body: { memberSsn: '123-45-6789', comment: 'my ssn is 123-45-6789', api_key: 'ak', password: 'pw', Refresh_Token: 'rt' },
      },
      result: { MEMBERSSN: 'x', ok: true },
    };
    applyDefaultMask(e, { credentialKeys: ['x-acme-key'], protectedFields: ['memberSsn'] });
    const text = JSON.stringify(e.input) + JSON.stringify(e.result);
    for (const secret of ['k-123', 'sid=abc', JWT, 'cs', '123-45-6789', 'ak', '"pw"', 'rt"']) expect(text).not.toContain(secret);
    expect(e.input).toMatchObject({ headers: { 'user-agent': 'curl' }, query: { page: ['2'], note: [] }, token: { payload: { sub: 'alice' }, scopes: ['claims:read'] } });
    expect(e.result).toEqual({ ok: true });
    expect(e.erased).toEqual(expect.arrayContaining(['/input/headers/x-acme-key', '/input/query/access_token', '/input/query/note/0', '/input/token/payload/client_secret', '/input/body/comment', '/result/MEMBERSSN']));
  });
});

describe('beginDecision', () => {
  it('records the evaluation set on the way', () => {
    const lines: string[] = [];
    const log = createDecisionLog((l) => lines.push(l), { labels: { id: 'i', version: 'v' } });
    const d = beginDecision(log, { phase: 'request', method: 'GET', path: '/p', entrypoint: 'acme/authz/decision' });
    d.policyRevision = 'r';
    d.evaluation = { path: 'acme/authz/decision', input: { a: 1 }, result: { allow: false }, evalNs: 3, engine: engineWithMask(() => []), bundle: 'authz' };
    d.record('deny', 'nope');
    const event = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(event).toMatchObject({ decision_id: d.decisionId, input: { a: 1 }, result: { allow: false }, bundles: { authz: { revision: 'r' } } });
  });
});
