/**
 * The Rego compiler (rego-wasm/src/compile): OPA's compiler stages as the planner sees them.
 * Rules are checked through their compiled text (`ruleText`), errors through code + location.
 */
import { compileModules, compileQuery } from '../src/compile';
import { bodyText, ruleText } from '../src/compile/print';
import { RegoError, RegoErrors } from '../src/errors';

function compiled(src: string, file = 'x.rego'): string[] {
  return compileModules([{ file, text: src }]).rules.flatMap(ruleText);
}

function errorsOf(src: string | { file: string; text: string }[]): RegoError[] {
  const sources = typeof src === 'string' ? [{ file: 'x.rego', text: src }] : src;
  try {
    compileModules(sources);
  } catch (e) {
    if (e instanceof RegoErrors) return e.errors;
    if (e instanceof RegoError) return [e];
    throw e;
  }
  throw new Error('expected a compile error');
}

function firstError(src: string): string {
  const e = errorsOf(src)[0]!;
  return `${e.location?.row}:${e.location?.col}: ${e.code}: ${e.detail}`;
}

describe('ref resolution', () => {
  test('package-relative rule names become full data refs', () => {
    expect(compiled('package a.b\np if { q }\nq := 1')).toEqual([
      'single data.a.b.p := true if { data.a.b.q }',
      'single data.a.b.q := 1 if { true }',
    ]);
  });

  test('imports (with alias) and input imports resolve to the imported refs', () => {
    const out = compiled('package a\nimport data.x.y as z\nimport input.user\np if { z.q == user.name }');
    expect(out).toEqual(['single data.a.p := true if { eq(data.x.y.q, input.user.name) }']);
  });

  test('rules of the same package in other modules are visible by name', () => {
    const p = compileModules([
      { file: 'one.rego', text: 'package a\np if { q }' },
      { file: 'two.rego', text: 'package a\nq := true' },
    ]);
    expect(p.rules.flatMap(ruleText)[0]).toBe('single data.a.p := true if { data.a.q }');
    expect([...p.rulesByPath.keys()]).toEqual(['data.a.p', 'data.a.q']);
  });

  test('a local declaration shadows a rule of the same name', () => {
    expect(compiled('package a\nq := 1\np := q if { q := 2 }')[1]).toBe('single data.a.p := __local0__ if { eq(__local0__, 2) }');
  });

  test('rule heads with refs and vars are keyed by their ground prefix', () => {
    const p = compileModules([{ file: 'x.rego', text: 'package a\nusers[name].role := r if { some name; r := input.roles[name] }' }]);
    const r = p.rules[0]!;
    expect(r.path).toBe('data.a.users');
    expect(r.kind).toBe('single');
  });
});

describe('local variable rewriting', () => {
  test(':= declares a generated var and becomes unification', () => {
    expect(compiled('package a\np := r if { r := data.other }')).toEqual(['single data.a.p := __local0__ if { eq(__local0__, data.other) }']);
  });

  test('function args become generated vars shared by the else chain', () => {
    const out = compiled('package a\nf(x) := 1 if { x > 1 } else := 2 if { x < 0 }');
    expect(out).toEqual([
      'function data.a.f(__local0__) := 1 if { gt(__local0__, 1) }',
      'else(__local0__) := 2 if { lt(__local0__, 0) }',
    ]);
  });

  test('some x in xs becomes a ref unification with a generated key', () => {
    expect(compiled('package a\np contains v if { some v in input.xs }')).toEqual([
      'multi data.a.p key=__local2__ if { eq(__local2__, input.xs[__local1__]) }',
    ]);
  });

  test('some k, v in a literal lifts the literal into a generated var first', () => {
    expect(compiled('package a\np[k] := v if { some k, v in ["a"] }')[0]).toBe(
      'single data.a.p[__local0__] key=__local0__ := __local1__ if { eq(__local2__, ["a"]); eq(__local1__, __local2__[__local0__]) }',
    );
  });

  test('comprehension vars live in their own scope', () => {
    expect(compiled('package a\np if { x := 1; [y | y := x] }')).toEqual([
      'single data.a.p := true if { eq(__local0__, 1); [__local1__ | eq(__local1__, __local0__)] }',
    ]);
  });

  test('every gets a generated key, its domain a generated var', () => {
    expect(compiled('package a\np if { every x in input.xs { x > 0 } }')).toEqual([
      'single data.a.p := true if { eq(__local2__, input.xs); every __local0__, __local1__ in __local2__ { gt(__local1__, 0) } }',
    ]);
  });

  test.each([
    ['package a\np if { x := 1; x := 2 }', '2:16: rego_compile_error: var x assigned above'],
    ['package a\np if { x = 1; x := 2 }', '2:15: rego_compile_error: var x referenced above'],
    ['package a\np if { some x; input.a = 1 }', '2:8: rego_compile_error: declared var x unused'],
    ['package a\nf(x) := 1 if { x := 2 }', '2:16: rego_compile_error: arg x redeclared'],
    ['package a\np if { not x := 1 }', '2:8: rego_compile_error: cannot assign vars inside negated expression'],
  ])('declaration error %#: %s', (src, want) => {
    expect(firstError(src)).toBe(want);
  });
});

describe('expression rewriting', () => {
  test('nested calls are flattened into generated output vars', () => {
    expect(compiled('package a\nf(x) := y if { y := x + 1 }')).toEqual([
      'function data.a.f(__local0__) := __local1__ if { plus(__local0__, 1, __local2__); eq(__local1__, __local2__) }',
    ]);
  });

  test('== becomes unification once both sides are safe', () => {
    expect(compiled('package a\np if { input.a == input.b }')).toEqual(['single data.a.p := true if { eq(input.a, input.b) }']);
  });

  test('refs in call arguments are lifted into generated vars (RewriteDynamicTerms)', () => {
    expect(compiled('package a\np if { startswith(input.path, "/a") }')).toEqual([
      'single data.a.p := true if { eq(__local0__, input.path); startswith(__local0__, "/a") }',
    ]);
  });

  test('a head value needing evaluation moves into the body', () => {
    expect(compiled('package a\nr := [x | x := input.xs[_]]')).toEqual([
      'single data.a.r := __local1__ if { true; eq(__local1__, [__local0__ | eq(__local0__, input.xs[$0])]) }',
    ]);
  });

  test('template strings become internal.template_string over set comprehensions', () => {
    expect(compiled('package a\np := x if { x := $"a{input.b}c" }')).toEqual([
      'single data.a.p := __local1__ if { eq(__local3__, {__local0__ | eq(__local0__, input.b)}); internal.template_string(["a", __local3__, "c"], __local2__); eq(__local1__, __local2__) }',
    ]);
  });

  test('print becomes internal.print over set comprehensions (lifted like any dynamic arg)', () => {
    expect(compiled('package a\np if { x := input.a; print("x is", x) }')).toEqual([
      'single data.a.p := true if { eq(__local0__, input.a); eq(__local3__, {__local1__ | eq(__local1__, "x is")}); eq(__local4__, {__local2__ | eq(__local2__, __local0__)}); internal.print([__local3__, __local4__]) }',
    ]);
  });

  test('print calls are erased when print statements are disabled', () => {
    const p = compileModules([{ file: 'x.rego', text: 'package a\np if { x := input.a; print(x); [y | y := 1; print(y)] }' }], { enablePrintStatements: false });
    expect(p.rules.flatMap(ruleText)).toEqual(['single data.a.p := true if { eq(__local0__, input.a); [__local1__ | eq(__local1__, 1)] }']);
  });

  test('with values that need evaluation become generated vars', () => {
    expect(compiled('package a\nq := input.x\np if { q with input.x as [y | y := 1] }')[1]).toBe(
      'single data.a.p := true if { eq(__local2__, [__local0__ | eq(__local0__, 1)]); data.a.q with input.x as __local2__ }',
    );
  });
});

describe('safety', () => {
  test('expressions are reordered so vars are bound before use', () => {
    expect(compiled('package a\np if { y = x + 1; x = input.a; not q[y] }\nq[k] := 1 if { k := "a" }')[0]).toBe(
      'single data.a.p := true if { eq(x, input.a); plus(x, 1, __local1__); eq(y, __local1__); not data.a.q[y] }',
    );
  });

  test('a comprehension waits for the outer vars it closes over', () => {
    expect(compiled('package a\np if { count([v | v := xs[_]]) > 0; xs = input.xs }')[0]).toContain(
      '{ eq(xs, input.xs); eq(__local2__, [__local0__ | eq(__local0__, xs[$0])]); count(__local2__, __local1__); gt(__local1__, 0) }',
    );
  });

  test('a negated expression runs after the vars it reads are bound', () => {
    expect(compiled('package a\np if { not q[x]; x = input.a }\nq contains 1')[0]).toBe(
      'single data.a.p := true if { eq(x, input.a); not data.a.q[x] }',
    );
  });

  test('every waits for the outer vars its body closes over', () => {
    expect(compiled('package a\np if { every y in xs { y > n }; xs = input.xs; n = 1 }')[0]).toBe(
      'single data.a.p := true if { eq(xs, input.xs); eq(n, 1); eq(__local2__, xs); every __local0__, __local1__ in __local2__ { gt(__local1__, n) } }',
    );
  });

  test('expressions generated from a `with` expression keep its with-modifiers', () => {
    expect(compiled('package a\np if { count(xs) > 0 with input as {"a": 1}; xs = input.xs }')[0]).toBe(
      'single data.a.p := true if { eq(xs, input.xs); count(xs, __local0__) with input as {"a": 1}; gt(__local0__, 0) with input as {"a": 1} }',
    );
  });

  test('an unbound var is rego_unsafe_var_error at its expression', () => {
    expect(firstError('package a\np if { x > 1 }')).toBe('2:8: rego_unsafe_var_error: var x is unsafe');
  });

  test('an unbound head var is unsafe at the rule', () => {
    expect(firstError('package a\np := x if { true }')).toBe('2:1: rego_unsafe_var_error: var x is unsafe');
  });

  test('print args must be bound by earlier expressions', () => {
    expect(firstError('package a\np if { print(x); x = 1 }')).toBe('2:14: rego_compile_error: var x is undeclared');
  });
});

describe('rule conflicts, types and recursion', () => {
  test.each([
    ['package a\np := 1\np contains 2', '2:1: rego_type_error: conflicting rules data.a.p found'],
    ['package a\nf(x) := 1\nf(x, y) := 2', '2:1: rego_type_error: conflicting rules data.a.f found'],
    ['package a\ndefault p := 1\ndefault p := 2', '1:1: rego_type_error: multiple default rules data.a.p found at x.rego:2, x.rego:3'],
    ['package a\np := 1\np.q := 2', '2:1: rego_type_error: rule data.a.p conflicts with [data.a.p.q]'],
    ['package a\np if { foo(1) }', '2:8: rego_type_error: undefined function foo'],
    ['package a\np if { x := print(1) }', '2:13: rego_type_error: print(1) used as value'],
    ['package a\np if { true with foo as 1 }', '2:18: rego_type_error: with keyword target must reference existing input, data, or a function'],
    ['package a\np if { walk(input, x) with walk as 1 }', '2:28: rego_compile_error: with keyword replacing built-in function: target must not be a relation'],
    ['package a\np if { true with internal.member_2 as 1 }', '2:18: rego_compile_error: with keyword replacing built-in function: replacement of internal function "internal.member_2" invalid'],
    ['package a\np := 1\nq if { true with data.a.p.x as 1 }', '3:18: rego_compile_error: with keyword cannot partially replace virtual document(s)'],
    ['package a\nf(x) := x\np := f', '3:6: rego_type_error: function data.a.f must be called with 1 argument(s), not used as a value'],
    ['package a\nf(x) := x\np if { f(1, 2, 3) }', '3:8: rego_type_error: function data.a.f has arity 1, got 3 arguments'],
  ])('conflict/type error %#', (src, want) => {
    expect(firstError(src)).toBe(want);
  });

  test('rego.metadata.* in a query is unsupported (only rules have annotations)', () => {
    const policy = compileModules([{ file: 'x.rego', text: 'package a\np := 1' }]);
    expect(() => compileQuery(policy, 'x := rego.metadata.chain()')).toThrow(
      'rego_unsupported_error: rego.metadata.chain is not supported by this compiler (only rules have METADATA annotations)',
    );
  });

  test('a builtin argument of a known wrong type is rego_type_error (literal)', () => {
    expect(errorsOf('package a\np if { count(1) }')[0]!.message).toBe(
      'x.rego:2:8: rego_type_error: count: invalid argument(s)\n\thave: (number)\n\twant: (any<string, array, object, set>)',
    );
  });

  test('types flow through vars and builtin results', () => {
    expect(firstError('package a\np if { x := count([1]); startswith(x, "a") }')).toMatch(/^2:25: rego_type_error: startswith: invalid argument\(s\)/);
    expect(firstError('package a\np if { x := "a"; y := x + 1 }')).toMatch(/^2:23: rego_type_error: plus: invalid argument\(s\)/);
  });

  test('arguments from input are not typed at compile time', () => {
    expect(() => compiled('package a\np if { count(input.x) > 0; upper(input.name) }')).not.toThrow();
  });

  test('a function may replace another function with `with`', () => {
    expect(compiled('package a\nf(x) := x\ng(x) := 2\np if { f(1) with f as g }')[2]).toBe(
      'single data.a.p := true if { data.a.f(1) with data.a.f as data.a.g }',
    );
  });

  test('builtin arity mismatch names the builtin', () => {
    expect(firstError('package a\np if { count(1, 2, 3) }')).toMatch(/^2:8: rego_type_error: count: arity mismatch/);
  });

  test('mutual recursion is rego_recursion_error with the cycle', () => {
    expect(firstError('package a\np if { q }\nq if { p }')).toBe(
      '2:1: rego_recursion_error: rule data.a.p is recursive: data.a.p -> data.a.q -> data.a.p',
    );
  });

  test('a dynamic data ref does not count as recursion unless its tail matches', () => {
    expect(() => compileModules([{ file: 'x.rego', text: 'package test\np := data[x].allow if x := "primary"' }])).not.toThrow();
  });

  test('errors carry the file name', () => {
    const [e] = errorsOf([{ file: 'policies/authz.rego', text: 'package a\np if { x > 1 }' }]);
    expect(e!.message).toBe('policies/authz.rego:2:8: rego_unsafe_var_error: var x is unsafe');
  });
});

describe('queries', () => {
  const policy = compileModules([{ file: 'x.rego', text: 'package test\np := 1' }]);

  test('query vars keep their names, := becomes =', () => {
    const q = compileQuery(policy, 'x := data.test.p; y := [z | z := x]');
    expect(bodyText(q.body)).toBe('eq(x, data.test.p); eq(y, [__localq1__ | eq(__localq1__, x)])');
    expect(q.vars).toEqual(['x', 'y']);
  });

  test('unsafe query vars are reported against <query>', () => {
    expect(() => compileQuery(policy, 'x > 1')).toThrow('<query>:1:1: rego_unsafe_var_error: var x is unsafe');
  });
});

describe('determinism', () => {
  test('compiling the same modules twice gives identical output', () => {
    const src = 'package a\nimport rego.v1\np contains x if { some x in input.xs; f(x) }\nf(y) if { y > count({k | some k, _ in input.m}) }\nq := {"b": input.b, "a": [z | z := input.zs[_]]}';
    const a = JSON.stringify(compileModules([{ file: 'x.rego', text: src }]).modules);
    const b = JSON.stringify(compileModules([{ file: 'x.rego', text: src }]).modules);
    expect(a).toBe(b);
  });

  test('the caller\'s parsed modules are not mutated', async () => {
    const { parseModules } = await import('../src/parse');
    const mods = parseModules([{ file: 'x.rego', text: 'package a\np if { x := input.a; x > 1 }' }]);
    const before = JSON.stringify(mods);
    compileModules(mods);
    expect(JSON.stringify(mods)).toBe(before);
  });
});
