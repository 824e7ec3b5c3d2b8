/**
 * Planner tests through the real front end (parse → compile → plan) on small
 * Rego policies: what each construct is lowered to, entrypoint plans, and
 * determinism.
 */
import { compileModules, compileQuery } from '../src/compile';
import { parseQuery } from '../src/parse';
import { planEntrypoints, planQuery } from '../src/plan';
import type { Policy, Stmt } from '../src/ir/plan';

function compile(text: string) {
  return compileModules([{ file: 'policy.rego', text }]);
}

function plan(text: string, query: string): Policy {
  const policy = compile(text);
  return planQuery(policy, compileQuery(policy, parseQuery(query)));
}

function stmts(p: Policy): Stmt[] {
  const out: Stmt[] = [];
  const walk = (list: Stmt[]): void => {
    for (const s of list) {
      out.push(s);
      const f = s.stmt as unknown as Record<string, unknown>;
      if (f.block) walk((f.block as { stmts: Stmt[] }).stmts);
      if (Array.isArray(f.blocks)) for (const b of f.blocks as { stmts: Stmt[] }[]) walk(b.stmts);
    }
  };
  for (const pl of p.plans?.plans ?? []) for (const b of pl.blocks) walk(b.stmts);
  for (const fn of p.funcs?.funcs ?? []) for (const b of fn.blocks) walk(b.stmts);
  return out;
}

const types = (p: Policy): string[] => stmts(p).map((s) => s.type);
const funcNames = (p: Policy): string[] => (p.funcs?.funcs ?? []).map((f) => f.name);

const AUTHZ = `package acme.authz

default allow := false

allow if {
  input.user.role == "admin"
}

allow if {
  some g in input.user.groups
  g == "auditors"
  input.method == "GET"
}

public_ids contains net.id if {
  some net in input.networks
  net.public
}

masked(ssn) := concat("", ["***-**-", substring(ssn, 7, 4)])

decision := {"allow": allow, "ids": public_ids}
`;

describe('planner on compiled Rego', () => {
  test('an entrypoint plan calls the rule function and returns rows {"result": …}', () => {
    const p = planEntrypoints(compile(AUTHZ), ['acme/authz/allow']);
    expect(p.plans!.plans!.map((x) => x.name)).toEqual(['acme/authz/allow']);
    expect(funcNames(p)).toEqual(['g0.data.acme.authz.allow']);
    expect(p.static!.strings!.map((s) => s.value)).toContain('result');
  });

  test('only rules reachable from the entrypoints are planned', () => {
    const p = planEntrypoints(compile(AUTHZ), ['acme/authz/decision']);
    expect(funcNames(p).sort()).toEqual(['g0.data.acme.authz.allow', 'g0.data.acme.authz.decision', 'g0.data.acme.authz.public_ids']);
  });

  test('some x in xs becomes a scan, and a partial set rule adds to a set', () => {
    const p = planEntrypoints(compile(AUTHZ), ['acme/authz/public_ids']);
    const fn = p.funcs!.funcs!.find((f) => f.name === 'g0.data.acme.authz.public_ids')!;
    expect(fn.blocks[0]!.stmts[0]!.type).toBe('MakeSetStmt');
    expect(types(p)).toEqual(expect.arrayContaining(['ScanStmt', 'SetAddStmt']));
  });

  test('default rules end with a default block guarded by IsUndefined', () => {
    const p = planEntrypoints(compile(AUTHZ), ['acme/authz/allow']);
    const fn = p.funcs!.funcs![0]!;
    expect(fn.blocks.slice(-2).map((b) => b.stmts.map((s) => s.type))).toEqual([['IsUndefinedStmt', 'AssignVarOnceStmt'], ['ReturnLocalStmt']]);
  });

  test('builtin calls are CallStmts listed once each in static.builtin_funcs, sorted', () => {
    const p = plan(AUTHZ, 'x := data.acme.authz.masked("123-45-6789")');
    expect(p.static!.builtin_funcs!.map((b) => b.name)).toEqual(['concat', 'substring']);
    expect(p.static!.builtin_funcs![0]!.decl).toHaveProperty('type', 'function');
  });

  test('functions get their arguments as extra params after input and data', () => {
    const p = plan(AUTHZ, 'x := data.acme.authz.masked("123-45-6789")');
    const fn = p.funcs!.funcs!.find((f) => f.name === 'g0.data.acme.authz.masked')!;
    expect(fn.params).toHaveLength(3);
    expect(fn.params.slice(0, 2)).toEqual([0, 1]);
  });

  test('query rows are keyed by the user\'s variable names', () => {
    const p = plan(AUTHZ, 'x := data.acme.authz.allow');
    const strings = p.static!.strings!.map((s) => s.value);
    expect(strings).toContain('x');
    expect(strings.some((s) => s.startsWith('__local'))).toBe(false);
  });

  test('with input / with data plan WithStmts and re-plan affected rules under a new generation', () => {
    const p = plan(`package t
p := q
q := data.v
`, 'x := data.t.p with input.a as 1 with data.t.q as 2');
    expect(types(p).filter((t) => t === 'WithStmt').length).toBeGreaterThanOrEqual(2);
    expect(funcNames(p).some((n) => n.startsWith('g1.'))).toBe(true);
  });

  test('function mocks replace the call target', () => {
    const p = plan(`package t
f(x) := x
g(x) := 7
p := f(1)
`, 'x := data.t.p with data.t.f as data.t.g');
    expect(funcNames(p)).toContain('g1.data.t.g');
  });

  test('every plans a guarded scan over the domain', () => {
    const p = plan(`package t
p if {
  every x in input.xs { x > 0 }
}
`, 'x := data.t.p');
    expect(types(p)).toEqual(expect.arrayContaining(['IsArrayStmt', 'IsObjectStmt', 'IsSetStmt', 'ScanStmt', 'IsUndefinedStmt']));
  });

  test('not, comprehensions and walk lower to NotStmt, collection builders and a relation scan', () => {
    const p = plan(`package t
p := [x | some x in input.xs; not x == 2]
q := {k: v | some k, v in input.o}
r := {x | walk(input, [_, x])}
`, 'x := [data.t.p, data.t.q, data.t.r]');
    expect(types(p)).toEqual(expect.arrayContaining(['NotStmt', 'MakeArrayStmt', 'ArrayAppendStmt', 'ObjectInsertOnceStmt', 'SetAddStmt']));
    expect(p.static!.builtin_funcs!.map((b) => b.name)).toContain('walk');
  });

  test('a whole-package reference builds the extent and merges it with base data', () => {
    const p = plan(`package t
p := 1
q contains 2
`, 'x := data.t');
    expect(types(p)).toContain('ObjectMergeStmt');
  });

  test('a dynamic lookup over rules with a bound key uses CallDynamicStmt', () => {
    const p = plan(`package t
a.b := 1
a.c := 2
`, 'k := input.k; x := data.t.a[k]');
    expect(types(p)).toContain('CallDynamicStmt');
  });

  test('an else chain is one BlockStmt whose later branches first check the result is still undefined', () => {
    const p = plan(`package t
p := 1 if input.a
else := 2 if input.b
else := 3
`, 'x := data.t.p');
    const fn = p.funcs!.funcs!.find((f) => f.name === 'g0.data.t.p')!;
    const chain = fn.blocks[0]!.stmts[0]!;
    expect(chain.type).toBe('BlockStmt');
    const branches = (chain.stmt as { blocks: { stmts: Stmt[] }[] }).blocks;
    expect(branches.map((b) => b.stmts[0]!.type)).toEqual(['ResetLocalStmt', 'IsUndefinedStmt', 'IsUndefinedStmt', 'IsDefinedStmt']);
  });

  test('a mock whose value is a local variable is passed into the re-planned rule as an extra parameter', () => {
    const p = plan(`package t
f(1) := 2
p if {
  some v in [1, 2]
  q with f as v
}
q if f(1) == 2
`, 'x := data.t.p');
    const q = p.funcs!.funcs!.find((f) => f.name === 'g1.data.t.q')!;
    expect(q.params).toEqual([0, 1, 2]);
    const call = stmts(p).find((s) => s.type === 'CallStmt' && (s.stmt as { func: string }).func === 'g1.data.t.q')!;
    expect((call.stmt as { args: unknown[] }).args).toHaveLength(3);
  });

  test('a false body expression plans an unconditional break, a constant one nothing', () => {
    const p = plan(`package t
p if { false }
q if { 1 }
`, 'x := [data.t.p, data.t.q]');
    const fn = (name: string) => p.funcs!.funcs!.find((f) => f.name === name)!;
    expect(fn('g0.data.t.p').blocks[0]!.stmts.map((s) => s.type)).toContain('BreakStmt');
    expect(fn('g0.data.t.q').blocks[0]!.stmts.map((s) => s.type)).toEqual(['ResetLocalStmt', 'AssignVarOnceStmt']);
  });

  test('the same policy and query always plan to identical JSON', () => {
    const a = JSON.stringify(planEntrypoints(compile(AUTHZ), ['acme/authz/decision', 'acme/authz/allow']));
    const b = JSON.stringify(planEntrypoints(compile(AUTHZ), ['acme/authz/decision', 'acme/authz/allow']));
    expect(a).toBe(b);
  });

  test('an invalid entrypoint is rejected', () => {
    expect(() => planEntrypoints(compile(AUTHZ), ['acme//allow'])).toThrow(/invalid entrypoint/);
  });

  test('an entrypoint that names no rule or package is a compile error, not an always-undefined plan', () => {
    expect(() => planEntrypoints(compile(AUTHZ), ['acme/authz/alow'])).toThrow(/rego_compile_error: entrypoint "acme\/authz\/alow" does not refer to a rule or package/);
    expect(planEntrypoints(compile(AUTHZ), ['acme/authz', 'acme']).plans!.plans).toHaveLength(2);
  });
});
