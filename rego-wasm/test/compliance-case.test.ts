import { runCase, type ComplianceCase } from '../tools/compliance-case';
import { planRegoQuery } from '../src/frontend';

const planner = (modules: string[], query: string) => planRegoQuery(modules, query);

function regoCase(over: Partial<ComplianceCase>): ComplianceCase {
  return { note: 'unit/case', query: 'data.t.p = x', modules: ['package t\n\np := input.a + 1\n'], ...over };
}

describe('judging one conformance case', () => {
  test('a matching result passes, in both Rego and plans mode', () => {
    const c = regoCase({ inputText: '{"a": 41}', want_result: [{ x: 42 }] });
    expect(runCase(c, 'rego', planner)).toEqual({ status: 'passed' });
    const withPlan = { ...c, plan: planRegoQuery(c.modules ?? [], c.query), want_plan_result: [{ x: 42 }] };
    expect(runCase(withPlan, 'plans')).toEqual({ status: 'passed' });
  });

  test('a different result fails and says what differed', () => {
    const out = runCase(regoCase({ inputText: '{"a": 1}', want_result: [{ x: 3 }] }), 'rego', planner);
    expect(out.status).toBe('failed');
    expect(out.status === 'failed' && out.reason).toMatch(/want .*3[\s\S]*got .*2/);
  });

  test('undefined must match an empty expectation, not pass by accident', () => {
    expect(runCase(regoCase({ want_result: [] }), 'rego', planner)).toEqual({ status: 'passed' });
    expect(runCase(regoCase({ want_result: [{ x: 1 }] }), 'rego', planner).status).toBe('failed');
  });

  test('an expected conflict must raise an error', () => {
    const modules = ['package t\n\np := 1 if input.a\np := 2 if input.a\n'];
    const c = regoCase({ modules, inputText: '{"a": true}', want_error_code: 'eval_conflict_error', want_error: 'conflict' });
    expect(runCase(c, 'rego', planner)).toEqual({ status: 'passed' });
    expect(runCase({ ...c, inputText: '{"a": false}' }, 'rego', planner).status).toBe('failed');
  });

  test('order-insensitive comparison only when the case asks for it', () => {
    const modules = ['package t\n\np := [x | some x in ["b", "a"]]\n'];
    expect(runCase(regoCase({ modules, want_result: [{ x: ['a', 'b'] }], sort_bindings: true }), 'rego', planner).status).toBe('passed');
    expect(runCase(regoCase({ modules, want_result: [{ x: ['a', 'b'] }] }), 'rego', planner).status).toBe('failed');
  });

  test('a compile error fails the case unless the case expects that error', () => {
    const modules = ['package t\n\np := y\n'];
    expect(runCase(regoCase({ modules }), 'rego', planner).status).toBe('failed');
    expect(runCase(regoCase({ modules, want_error_code: 'rego_unsafe_var_error' }), 'rego', planner)).toEqual({ status: 'passed' });
  });

  test('out-of-scope categories are skipped with a reason, never passed', () => {
    const out = runCase(regoCase({ category: 'netlookupipaddr', want_result: [] }), 'rego', planner);
    expect(out.status).toBe('skipped');
    expect(out.status === 'skipped' && out.reason).toMatch(/net\.lookup_ip_addr needs DNS/);
  });
});
