/**
 * Planner tests on hand-built compiled policies (the planner's own model), so
 * they do not depend on the parser or compiler. The helloworld case is checked
 * statement-for-statement against the plan OPA produced for it.
 */
import { Planner } from '../src/plan/planner';
import type { BuiltinInfo, PExpr, PModule, PRule, PTerm } from '../src/plan/model';
import { comparePolicies } from '../tools/plan/compare';
import type { Policy, Stmt } from '../src/ir/plan';

const L = { file: 'module-0.rego', row: 1, col: 1 };
const t = (value: PTerm['value']): PTerm => ({ value, loc: L });
const v = (name: string): PTerm => t({ t: 'var', name });
const s = (x: string): PTerm => t({ t: 'string', v: x });
const n = (text: string): PTerm => t({ t: 'number', text });
const ref = (head: string, ...rest: (string | PTerm)[]): PTerm =>
  t({ t: 'ref', terms: [v(head), ...rest.map((r) => (typeof r === 'string' ? s(r) : r))] });
const call = (op: string, ...args: PTerm[]): PExpr => {
  const [h, ...rest] = op.split('.');
  return { loc: L, negated: false, with: [], body: { kind: 'call', operator: ref(h!, ...rest), operands: args } };
};
const expr = (x: PTerm): PExpr => ({ loc: L, negated: false, with: [], body: { kind: 'term', term: x } });
const rule = (path: string[], value: PTerm | null, body: PExpr[], extra: Partial<PRule> = {}): PRule => ({
  ref: [v('data'), ...path.map(s)],
  args: [],
  key: null,
  value,
  multiValue: false,
  isDefault: false,
  body,
  else: null,
  headLoc: L,
  argCount: 0,
  ...extra,
});

const BUILTINS: Record<string, BuiltinInfo> = {
  count: { decl: { type: 'function' }, arity: 1, relation: false, void: false },
  gt: { decl: { type: 'function' }, arity: 2, relation: false, void: false },
  walk: { decl: { type: 'function' }, arity: 1, relation: true, void: false },
  'internal.print': { decl: { type: 'function' }, arity: 1, relation: false, void: true },
};
const lookup = (name: string): BuiltinInfo | undefined => BUILTINS[name];

function plan(modules: PModule[], query: PExpr[]): Policy {
  return new Planner(modules, lookup).run([{ name: 'eval', body: query }]);
}

function allStmts(p: Policy): Stmt[] {
  const out: Stmt[] = [];
  const walk = (stmts: Stmt[]): void => {
    for (const st of stmts) {
      out.push(st);
      const f = st.stmt as unknown as Record<string, unknown>;
      if (f.block) walk((f.block as { stmts: Stmt[] }).stmts);
      if (Array.isArray(f.blocks)) for (const b of f.blocks as { stmts: Stmt[] }[]) walk(b.stmts);
    }
  };
  for (const pl of p.plans?.plans ?? []) for (const b of pl.blocks) walk(b.stmts);
  for (const fn of p.funcs?.funcs ?? []) for (const b of fn.blocks) walk(b.stmts);
  return out;
}

const types = (p: Policy): string[] => allStmts(p).map((x) => x.type);

describe('planner (model level)', () => {
  const helloworld: PModule[] = [{
    packagePath: [v('data'), s('test')],
    rules: [
      rule(['test', 'p'], n('7'), [call('eq', ref('data', 'foo'), ref('data', 'test', 'q'))]),
      rule(['test', 'q'], v('__local0__'), [call('eq', v('__local0__'), ref('input', 'baz'))]),
    ],
  }];
  const query = [call('eq', ref('data', 'test', 'p'), v('x'))];

  test('helloworld plan matches the plan OPA produced, statement for statement', () => {
    // Golden plan from opa-compliance/v1/helloworld (locations ignored by comparePolicies).
    const golden: Policy = JSON.parse(GOLDEN_HELLOWORLD);
    expect(comparePolicies(golden, plan(helloworld, query))).toEqual([]);
  });

  test('the same input plans to byte-identical JSON', () => {
    expect(JSON.stringify(plan(helloworld, query))).toBe(JSON.stringify(plan(helloworld, query)));
  });

  test('result rows are keyed by user vars only, never generated ones', () => {
    const p = plan(helloworld, [call('eq', ref('data', 'test', 'p'), v('__local9__')), call('eq', v('__local9__'), v('y'))]);
    const strings = (p.static?.strings ?? []).map((x) => x.value);
    expect(strings).toContain('y');
    expect(strings).not.toContain('__local9__');
  });

  test('a partial set rule starts with MakeSet and adds each key', () => {
    const mods: PModule[] = [{
      packagePath: [v('data'), s('t')],
      rules: [rule(['t', 's'], null, [call('eq', v('x'), ref('input', 'xs', v('i')))], { multiValue: true, key: v('x') })],
    }];
    const p = plan(mods, [call('eq', ref('data', 't', 's'), v('r'))]);
    const fn = p.funcs!.funcs![0]!;
    expect(fn.name).toBe('g0.data.t.s');
    expect(fn.blocks[0]!.stmts[0]!.type).toBe('MakeSetStmt');
    expect(types(p)).toEqual(expect.arrayContaining(['ScanStmt', 'SetAddStmt']));
  });

  test('default rules add a block guarded by IsUndefined on the return local', () => {
    const mods: PModule[] = [{
      packagePath: [v('data'), s('t')],
      rules: [
        rule(['t', 'allow'], t({ t: 'boolean', v: false }), [], { isDefault: true }),
        rule(['t', 'allow'], t({ t: 'boolean', v: true }), [call('eq', ref('input', 'role'), s('admin'))]),
      ],
    }];
    const fn = plan(mods, [call('eq', ref('data', 't', 'allow'), v('r'))]).funcs!.funcs![0]!;
    const last2 = fn.blocks.slice(-2).map((b) => b.stmts.map((x) => x.type));
    expect(last2).toEqual([['IsUndefinedStmt', 'AssignVarOnceStmt'], ['ReturnLocalStmt']]);
  });

  test('builtin calls become CallStmt and are listed in static.builtin_funcs', () => {
    const p = plan([], [call('count', ref('input', 'xs'), v('c')), call('gt', v('c'), n('1'))]);
    expect(p.static?.builtin_funcs?.map((b) => b.name)).toEqual(['count', 'gt']);
    expect(types(p).filter((x) => x === 'CallStmt')).toHaveLength(2);
  });

  test('walk is planned as a relation: call then scan over its results', () => {
    const p = plan([], [call('walk', ref('input'), t({ t: 'array', elems: [v('path'), v('val')] }))]);
    const ts = types(p);
    expect(ts.indexOf('CallStmt')).toBeLessThan(ts.indexOf('ScanStmt'));
  });

  test('void builtins are called without a truthiness check', () => {
    const p = plan([], [call('internal.print', t({ t: 'array', elems: [s('hi')] }))]);
    expect(types(p)).not.toContain('NotEqualStmt');
  });

  test('not plans its expression inside a NotStmt', () => {
    const p = plan([], [{ ...expr(ref('input', 'admin')), negated: true }]);
    expect(types(p)).toEqual(expect.arrayContaining(['NotStmt', 'DotStmt', 'NotEqualStmt']));
  });

  test('with input replaces input for the expression and restores it for the rest', () => {
    const mods: PModule[] = [{ packagePath: [v('data'), s('t')], rules: [rule(['t', 'p'], v('__local0__'), [call('eq', v('__local0__'), ref('input', 'x'))])] }];
    const q: PExpr[] = [{ ...call('eq', ref('data', 't', 'p'), v('r')), with: [{ target: ref('input', 'x'), value: n('1'), loc: L }] }];
    const withs = allStmts(plan(mods, q)).filter((x) => x.type === 'WithStmt');
    expect(withs).toHaveLength(2);
  });

  test('a reference to a whole package builds its extent and merges base data', () => {
    const mods: PModule[] = [{ packagePath: [v('data'), s('t')], rules: [rule(['t', 'p'], n('1'), [])] }];
    expect(types(plan(mods, [call('eq', ref('data', 't'), v('x'))]))).toContain('ObjectMergeStmt');
  });

  test('entrypoints plan result = data.<path>, one plan per entrypoint sharing functions', () => {
    const mods: PModule[] = [{ packagePath: [v('data'), s('t')], rules: [rule(['t', 'p'], n('1'), []), rule(['t', 'q'], n('2'), [])] }];
    const eq = (path: string[]): PExpr[] => [call('eq', v('result'), ref('data', ...path))];
    const p = new Planner(mods, lookup).run([{ name: 't/p', body: eq(['t', 'p']) }, { name: 't/q', body: eq(['t', 'q']) }]);
    expect(p.plans!.plans!.map((x) => x.name)).toEqual(['t/p', 't/q']);
    expect(p.funcs!.funcs!.map((f) => f.name)).toEqual(['g0.data.t.p', 'g0.data.t.q']);
    expect(p.static!.strings!.map((x) => x.value)).toContain('result');
  });

  test('a large literal (20 000 objects) plans without exhausting the stack', () => {
    const elems: PTerm[] = [];
    for (let i = 0; i < 20000; i++) elems.push(t({ t: 'object', pairs: [[s('id'), n(String(i))], [s('tags'), t({ t: 'array', elems: [s('a'), s('b')] })]] }));
    const p = plan([], [call('eq', v('x'), t({ t: 'array', elems }))]);
    expect(types(p).filter((x) => x === 'MakeObjectStmt')).toHaveLength(20001);
  });

  test('unsupported constructs fail with their location', () => {
    const bad: PExpr = { loc: { file: 'a.rego', row: 3, col: 5 }, negated: false, with: [], body: { kind: 'term', term: { value: { t: 'call', terms: [ref('count'), v('x')] }, loc: { file: 'a.rego', row: 3, col: 5 } } } };
    expect(() => plan([], [bad])).toThrow(/a\.rego:3:5: rego_unsupported_error/);
  });
});

const GOLDEN_HELLOWORLD = JSON.stringify({"static": {"strings": [{"value": "x"}, {"value": "foo"}, {"value": "baz"}, {"value": "7"}], "files": [{"value": "module-0.rego"}, {"value": "<query>"}]}, "plans": {"plans": [{"name": "eval", "blocks": [{"stmts": [{"type": "CallStmt", "stmt": {"func": "g0.data.test.p", "args": [{"type": "local", "value": 0}, {"type": "local", "value": 1}], "result": 2, "file": 1, "col": 1, "row": 1}}, {"type": "AssignVarStmt", "stmt": {"source": {"type": "local", "value": 2}, "target": 3, "file": 1, "col": 1, "row": 1}}, {"type": "MakeObjectStmt", "stmt": {"target": 4, "file": 1, "col": 1, "row": 1}}, {"type": "ObjectInsertStmt", "stmt": {"key": {"type": "string_index", "value": 0}, "value": {"type": "local", "value": 3}, "object": 4, "file": 1, "col": 1, "row": 1}}, {"type": "ResultSetAddStmt", "stmt": {"value": 4, "file": 1, "col": 1, "row": 1}}]}]}]}, "funcs": {"funcs": [{"name": "g0.data.test.q", "params": [0, 1], "return": 2, "blocks": [{"stmts": [{"type": "ResetLocalStmt", "stmt": {"target": 3, "file": 0, "col": 1, "row": 7}}, {"type": "DotStmt", "stmt": {"source": {"type": "local", "value": 0}, "key": {"type": "string_index", "value": 2}, "target": 4, "file": 0, "col": 6, "row": 7}}, {"type": "AssignVarStmt", "stmt": {"source": {"type": "local", "value": 4}, "target": 5, "file": 0, "col": 6, "row": 7}}, {"type": "AssignVarOnceStmt", "stmt": {"source": {"type": "local", "value": 5}, "target": 3, "file": 0, "col": 1, "row": 7}}]}, {"stmts": [{"type": "IsDefinedStmt", "stmt": {"source": 3, "file": 0, "col": 1, "row": 7}}, {"type": "AssignVarOnceStmt", "stmt": {"source": {"type": "local", "value": 3}, "target": 2, "file": 0, "col": 1, "row": 7}}]}, {"stmts": [{"type": "ReturnLocalStmt", "stmt": {"source": 2, "file": 0, "col": 1, "row": 7}}]}], "path": ["g0", "test", "q"]}, {"name": "g0.data.test.p", "params": [0, 1], "return": 2, "blocks": [{"stmts": [{"type": "ResetLocalStmt", "stmt": {"target": 3, "file": 0, "col": 1, "row": 3}}, {"type": "BlockStmt", "stmt": {"blocks": [{"stmts": [{"type": "BlockStmt", "stmt": {"blocks": [{"stmts": [{"type": "DotStmt", "stmt": {"source": {"type": "local", "value": 1}, "key": {"type": "string_index", "value": 1}, "target": 6, "file": 0, "col": 2, "row": 4}}, {"type": "BreakStmt", "stmt": {"index": 1, "file": 0, "col": 2, "row": 4}}]}], "file": 0, "col": 2, "row": 4}}, {"type": "BreakStmt", "stmt": {"index": 1, "file": 0, "col": 2, "row": 4}}]}], "file": 0, "col": 2, "row": 4}}, {"type": "CallStmt", "stmt": {"func": "g0.data.test.q", "args": [{"type": "local", "value": 0}, {"type": "local", "value": 1}], "result": 7, "file": 0, "col": 2, "row": 4}}, {"type": "EqualStmt", "stmt": {"a": {"type": "local", "value": 6}, "b": {"type": "local", "value": 7}, "file": 0, "col": 2, "row": 4}}, {"type": "MakeNumberRefStmt", "stmt": {"Index": 3, "target": 8, "file": 0, "col": 1, "row": 3}}, {"type": "AssignVarOnceStmt", "stmt": {"source": {"type": "local", "value": 8}, "target": 3, "file": 0, "col": 1, "row": 3}}]}, {"stmts": [{"type": "IsDefinedStmt", "stmt": {"source": 3, "file": 0, "col": 1, "row": 3}}, {"type": "AssignVarOnceStmt", "stmt": {"source": {"type": "local", "value": 3}, "target": 2, "file": 0, "col": 1, "row": 3}}]}, {"stmts": [{"type": "ReturnLocalStmt", "stmt": {"source": 2, "file": 0, "col": 1, "row": 3}}]}], "path": ["g0", "test", "p"]}]}});
