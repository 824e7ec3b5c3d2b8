import { RegoError, RegoErrors, toRegoErrors } from '../src/errors';
import {
  type Expr,
  type Module,
  type Rule,
  type Term,
  isCallExpr,
  isEvery,
  isSomeDecl,
  isTermExpr,
  operatorName,
  parseModule,
  parseModules,
  parseQuery,
  parseTerm,
  termToString,
} from '../src/parse';

/** Strips locations so trees can be compared structurally. */
function strip<T>(x: T): unknown {
  return JSON.parse(JSON.stringify(x, (k, v: unknown) => (k === 'location' ? undefined : v)));
}

function mod(body: string): Module {
  return parseModule(`package test\n${body}`, 'test.rego');
}

function rule(body: string, i = 0): Rule {
  return mod(body).rules[i];
}

function parseError(src: string, file = 'test.rego'): RegoError[] {
  try {
    parseModule(src, file);
  } catch (e) {
    return toRegoErrors(e);
  }
  throw new Error(`expected a parse error for ${JSON.stringify(src)}`);
}

function t(text: string): unknown {
  return strip(parseTerm(text));
}

describe('parser: module structure', () => {
  test('package path is a ref rooted at data', () => {
    const m = parseModule('package a.b.c', 'x.rego');
    expect(strip(m.package.path)).toEqual([
      { value: { type: 'var', value: 'data' } },
      { value: { type: 'string', value: 'a' } },
      { value: { type: 'string', value: 'b' } },
      { value: { type: 'string', value: 'c' } },
    ]);
    expect(m.file).toBe('x.rego');
  });

  test('package path may use keywords and bracket strings', () => {
    const m = parseModule('package foo.if["bar baz"]', 'x.rego');
    expect(m.package.path.map((p) => termToString(p))).toEqual(['data', '"foo"', '"if"', '"bar baz"']);
  });

  test('imports keep path and alias; rego.v1 and future.keywords are accepted', () => {
    const m = parseModule(
      'package p\nimport rego.v1\nimport future.keywords\nimport future.keywords.in\nimport data.x.y as z\nimport input.req',
      'x.rego',
    );
    expect(m.imports.map((i) => termToString(i.path))).toEqual([
      'rego.v1',
      'future.keywords',
      'future.keywords["in"]',
      'data.x.y',
      'input.req',
    ]);
    expect(m.imports[3].alias).toBe('z');
    expect(m.imports[0].alias).toBeUndefined();
  });

  test('comments are collected with their text and position', () => {
    const m = mod('# hello\np := 1 # trailing');
    expect(m.comments.map((c) => [c.text, c.location.row, c.location.col])).toEqual([
      [' hello', 2, 1],
      [' trailing', 3, 8],
    ]);
  });
});

describe('parser: rule forms', () => {
  test('constant `p := 1` is a complete rule with a generated true body and the number text kept', () => {
    const r = rule('p := 1.50');
    expect(r.head.name).toBe('p');
    expect(r.head.assign).toBe(true);
    expect(strip(r.head.value)).toEqual({ value: { type: 'number', value: '1.50' } });
    expect(strip(r.body)).toEqual([{ index: 0, negated: false, terms: { value: { type: 'boolean', value: true } }, with: [] }]);
  });

  test('`p = 1` (unification form) is not an assignment', () => {
    expect(rule('p = 1').head.assign).toBe(false);
  });

  test('dotted head `p.q.r := 1` keeps the full reference and has no name', () => {
    const r = rule('p.q.r := 1');
    expect(r.head.name).toBeUndefined();
    expect(r.head.reference.map(termToString)).toEqual(['p', '"q"', '"r"']);
  });

  test('`p if { ... }` gets value true and the body expressions in order with indexes', () => {
    const r = rule('p if {\n  x := 1\n  x > 0; true\n}');
    expect(strip(r.head.value)).toEqual({ value: { type: 'boolean', value: true } });
    expect(r.body.map((e) => e.index)).toEqual([0, 1, 2]);
    expect(r.body.map((e) => (isCallExpr(e) ? operatorName(e.terms[0]) : 'term'))).toEqual(['assign', 'gt', 'term']);
  });

  test('one-liner `p if expr` has a single-expression body', () => {
    const r = rule('p if input.x == 1');
    expect(r.body).toHaveLength(1);
    expect(isCallExpr(r.body[0]) && operatorName(r.body[0].terms[0])).toBe('equal');
  });

  test('`p if { true }` is a body, not a set literal', () => {
    const r = rule('p if { true }');
    expect(isTermExpr(r.body[0]) && r.body[0].terms.value.type).toBe('boolean');
  });

  test('multi-value rule `s contains x if` has key and no value', () => {
    const r = rule('s contains x if { some x in [1] }');
    expect(r.head.name).toBe('s');
    expect(strip(r.head.key)).toEqual({ value: { type: 'var', value: 'x' } });
    expect(r.head.value).toBeUndefined();
  });

  test('`s contains 1` without a body is allowed', () => {
    const r = rule('s contains 1');
    expect(strip(r.head.key)).toEqual({ value: { type: 'number', value: '1' } });
    expect(r.body).toHaveLength(1);
  });

  test('ref-head multi-value rule `a.b[c] contains x if` keeps the ref', () => {
    const r = rule('a.b[c] contains x if { c := "k"; x := 1 }');
    expect(r.head.reference.map(termToString)).toEqual(['a', '"b"', 'c']);
    expect(strip(r.head.key)).toEqual({ value: { type: 'var', value: 'x' } });
  });

  test('partial object `p[x] := y if` has reference [p, x], key x and value y (as OPA)', () => {
    const r = rule('p[x] := y if { x := "a"; y := 1 }');
    expect(r.head.name).toBe('p');
    expect(r.head.reference.map(termToString)).toEqual(['p', 'x']);
    expect(termToString(r.head.key as Term)).toBe('x');
    expect(termToString(r.head.value as Term)).toBe('y');
  });

  test('functions keep args, value and assign flag', () => {
    const f = rule('f(x, "k") := x + 1');
    expect(f.head.name).toBe('f');
    expect(f.head.args?.map(termToString)).toEqual(['x', '"k"']);
    expect(termToString(f.head.value as Term)).toBe('plus(x, 1)');
    const g = rule('g(x) if x > 1');
    expect(strip(g.head.value)).toEqual({ value: { type: 'boolean', value: true } });
  });

  test('default rules carry default: true and a value', () => {
    const r = rule('default allow := false');
    expect(r.default).toBe(true);
    expect(strip(r.head.value)).toEqual({ value: { type: 'boolean', value: false } });
    const f = rule('default f(_) := 1');
    expect(f.default).toBe(true);
    expect(f.head.args?.map(termToString)).toEqual(['$0']);
  });

  test('else chains nest with their own values and bodies', () => {
    const r = rule('p := 1 if { input.a } else := 2 if { input.b } else := 3');
    expect(termToString(r.head.value as Term)).toBe('1');
    expect(termToString(r.else?.head.value as Term)).toBe('2');
    expect(r.else?.body).toHaveLength(1);
    expect(termToString(r.else?.else?.head.value as Term)).toBe('3');
    expect(r.else?.else?.else).toBeUndefined();
  });

  test('`else if` without a value yields true', () => {
    const r = rule('p if { false } else if { true }');
    expect(strip(r.else?.head.value)).toEqual({ value: { type: 'boolean', value: true } });
  });

  test('wildcards become unique $N vars', () => {
    const r = rule('p if { _ = input.a; _ = input.b }');
    const names = r.body.map((e) => (isCallExpr(e) ? termToString(e.terms[1]) : ''));
    expect(names).toEqual(['$0', '$1']);
  });

  test('keywords may appear in refs', () => {
    const r = rule('p if { input.if == data.contains.every }');
    expect(isCallExpr(r.body[0]) && r.body[0].terms.slice(1).map(termToString)).toEqual([
      'input["if"]',
      'data["contains"]["every"]',
    ]);
  });
});

describe('parser: expressions', () => {
  const body = (src: string): Expr[] => rule(`p if {\n${src}\n}`).body;

  test('operators map to OPA builtin names with arithmetic precedence', () => {
    const [e] = body('x := 1 + 2 * 3 - 4 / 5 % 6');
    expect(termToString((e.terms as Term[])[2])).toBe('minus(plus(1, mul(2, 3)), rem(div(4, 5), 6))');
  });

  test('set operators & and | and comparisons', () => {
    const [a, b] = body('x := {1} | {2} & {3}\n1 <= 2');
    expect(termToString((a.terms as Term[])[2])).toBe('or({1}, and({2}, {3}))');
    expect(operatorName((b.terms as Term[])[0])).toBe('lte');
  });

  test('relations: ==, !=, <, >, >=', () => {
    const es = body('1 == 1\n1 != 2\n1 < 2\n2 > 1\n2 >= 1');
    expect(es.map((e) => operatorName((e.terms as Term[])[0]))).toEqual(['equal', 'neq', 'lt', 'gt', 'gte']);
  });

  test('`x in xs` and `k, v in xs` are internal.member_2 / member_3 calls', () => {
    const [a, b] = body('1 in [1]\n0, 1 in [1]');
    expect(operatorName((a.terms as Term[])[0])).toBe('internal.member_2');
    expect(operatorName((b.terms as Term[])[0])).toBe('internal.member_3');
    expect((b.terms as Term[]).length).toBe(4);
  });

  test('some declarations: plain vars and `in` forms', () => {
    const [a, b, c] = body('some x, y\nsome v in [1]\nsome k, v in {"a": 1}');
    expect(isSomeDecl(a) && a.terms.symbols.map(termToString)).toEqual(['x', 'y']);
    expect(isSomeDecl(b) && operatorName((b.terms.symbols[0].value as { value: Term[] }).value[0])).toBe('internal.member_2');
    expect(isSomeDecl(c) && termToString(c.terms.symbols[0])).toBe('internal.member_3(k, v, {"a": 1})');
  });

  test('every with and without key', () => {
    const [a, b] = body('every x in [1] { x > 0 }\nevery k, v in {"a": 1} { k != v }');
    expect(isEvery(a) && [a.terms.key, termToString(a.terms.value), termToString(a.terms.domain)]).toEqual([
      undefined,
      'x',
      '[1]',
    ]);
    expect(isEvery(b) && termToString(b.terms.key as Term)).toBe('k');
    expect(isEvery(b) && b.terms.body).toHaveLength(1);
  });

  test('not negates; with modifiers attach to the expression', () => {
    const [a, b] = body('not input.deny\ndata.q with input as {"a": 1} with data.x.y as 2');
    expect(a.negated).toBe(true);
    expect(b.with.map((w) => [termToString(w.target), termToString(w.value)])).toEqual([
      ['input', '{"a": 1}'],
      ['data.x.y', '2'],
    ]);
  });

  test('calls nest as call terms; top-level calls become call expressions', () => {
    const [a, b] = body('count([1]) > 0\nx := trim(lower(" A "), " ")');
    expect(termToString((a.terms as Term[])[1])).toBe('count([1])');
    expect(termToString((b.terms as Term[])[2])).toBe('trim(lower(" A "), " ")');
    const [c] = body('print("x")');
    expect(isCallExpr(c) && operatorName(c.terms[0])).toBe('print');
  });

  test('expressions separated by newlines or semicolons', () => {
    expect(body('x := 1; y := 2\nz := 3')).toHaveLength(3);
  });

  test('parenthesised terms group', () => {
    const [e] = body('x := (1 + 2) * 3');
    expect(termToString((e.terms as Term[])[2])).toBe('mul(plus(1, 2), 3)');
  });
});

describe('parser: terms', () => {
  test('scalars', () => {
    expect(t('null')).toEqual({ value: { type: 'null' } });
    expect(t('true')).toEqual({ value: { type: 'boolean', value: true } });
    expect(t('"a\\tb"')).toEqual({ value: { type: 'string', value: 'a\tb' } });
  });

  test('numbers keep their source text, including negatives and huge exponents', () => {
    expect(t('1e400')).toEqual({ value: { type: 'number', value: '1e400' } });
    expect(t('0.1')).toEqual({ value: { type: 'number', value: '0.1' } });
    expect(t('-3')).toEqual({ value: { type: 'number', value: '-3' } });
    expect(t('12345678901234567890')).toEqual({ value: { type: 'number', value: '12345678901234567890' } });
  });

  test('string escapes include \\uXXXX surrogate pairs; raw strings are verbatim', () => {
    expect(t('"\\ud83d\\ude00 \\u00e9 \\/ \\""')).toEqual({ value: { type: 'string', value: '😀 é / "' } });
    expect(t('`a\\nb "c"`')).toEqual({ value: { type: 'string', value: 'a\\nb "c"' } });
  });

  test('collections: array, object, set, empty set()', () => {
    expect(termToString(parseTerm('[1, "a", [true]]'))).toBe('[1, "a", [true]]');
    expect(termToString(parseTerm('{"a": 1, "b": [2]}'))).toBe('{"a": 1, "b": [2]}');
    expect(termToString(parseTerm('{1, 2}'))).toBe('{1, 2}');
    expect(t('set()')).toEqual({ value: { type: 'set', value: [] } });
    expect(t('{}')).toEqual({ value: { type: 'object', value: [] } });
  });

  test('comprehensions', () => {
    const a = parseTerm('[x | some x in [1]]');
    const s = parseTerm('{x | some x in [1]}');
    const o = parseTerm('{k: v | some k, v in {"a": 1}}');
    expect([a.value.type, s.value.type, o.value.type]).toEqual(['arraycomprehension', 'setcomprehension', 'objectcomprehension']);
  });

  test('`{a | b}` is a set comprehension, not a set with an or-call (as OPA decides)', () => {
    expect(parseTerm('{a | b}').value.type).toBe('setcomprehension');
  });

  test('refs: dots, brackets, variables, refs on calls and on composites', () => {
    expect(termToString(parseTerm('input.a["b c"][x][0]'))).toBe('input.a["b c"][x][0]');
    expect(termToString(parseTerm('f(x).y'))).toBe('f(x).y');
    expect(termToString(parseTerm('[1, 2][0]'))).toBe('[1, 2][0]');
  });

  test('`input` and `data` alone are one-element refs; other vars stay vars', () => {
    expect(parseTerm('input').value.type).toBe('ref');
    expect(parseTerm('data').value.type).toBe('ref');
    expect(parseTerm('x').value.type).toBe('var');
  });

  test('whitespace separates terms: `f (x)` is not a call inside a body', () => {
    expect(() => parseModule('package p\np if { x := f (1) }', 'a.rego')).toThrow(RegoError);
    expect(() => parseModule('package p\np if { x := input .a }', 'a.rego')).toThrow(RegoError);
  });

  test('template strings: literal parts, expression parts, escaped braces', () => {
    const v = parseTerm('$"a {1 + x} \\{b} {true}"').value;
    expect(v.type).toBe('templatestring');
    if (v.type !== 'templatestring') return;
    expect(v.multiLine).toBe(false);
    expect(v.parts.map((p) => ('terms' in p ? 'expr' : termToString(p)))).toEqual(['"a "', 'expr', '" {b} "', 'true']);
    const raw = parseTerm('$`x{y}`').value;
    expect(raw.type === 'templatestring' && raw.multiLine).toBe(true);
  });

  test('nested template strings', () => {
    const v = parseTerm('$"{$"{a}"} z"').value;
    expect(v.type === 'templatestring' && v.parts.length).toBe(2);
  });
});

describe('parser: locations', () => {
  test('every node carries file, 1-based row and col, and its text', () => {
    const m = parseModule('package p\n\nallow if {\n\tinput.user == "bob"\n}\n', 'policies/a.rego');
    const r = m.rules[0];
    expect(r.location).toMatchObject({ file: 'policies/a.rego', row: 3, col: 1 });
    expect(r.location.text).toBe('allow if {\n\tinput.user == "bob"\n}');
    const e = r.body[0];
    expect(e.location).toMatchObject({ row: 4, col: 2, text: 'input.user == "bob"' });
    const [, lhs, rhs] = e.terms as Term[];
    expect(lhs.location).toMatchObject({ row: 4, col: 2, text: 'input.user' });
    expect(rhs.location).toMatchObject({ row: 4, col: 16, text: '"bob"' });
  });

  test('columns count code points, as OPA does', () => {
    const r = parseModule('package p\np := "é😀" + x', 'a.rego').rules[0];
    const call = r.head.value as Term;
    const args = (call.value as { value: Term[] }).value;
    expect(args[2].location.col).toBe(13);
  });

  test('query locations use the <query> file name by default', () => {
    const [e] = parseQuery('data.test.p = x');
    expect(e.location).toMatchObject({ file: '<query>', row: 1, col: 1 });
  });
});

describe('parser: errors (rego_parse_error with file:row:col, OPA wording)', () => {
  test('v0 rule without `if` is rejected', () => {
    const [e] = parseError('package p\nallow { true }');
    expect(e.message).toBe('test.rego:2:1: rego_parse_error: `if` keyword is required before rule body');
    expect(e.code).toBe('rego_parse_error');
    expect(e.location).toEqual({ file: 'test.rego', row: 2, col: 1 });
  });

  test('v0 partial set `p[x] { }` is rejected', () => {
    const msgs = parseError('package p\np[x] { x := 1 }').map((e) => e.detail);
    expect(msgs).toContain('`if` keyword is required before rule body');
    expect(msgs).toContain('`contains` keyword is required for partial set rules');
  });

  test('function bodies need `if` too', () => {
    expect(parseError('package p\nf(x) { x }')[0].detail).toBe('`if` keyword is required before function body');
  });

  test('missing package', () => {
    expect(parseError('p := 1')[0].message).toBe('test.rego:1:1: rego_parse_error: package expected');
  });

  test('empty module', () => {
    expect(parseError('')[0].detail).toBe('empty module');
  });

  test('numbers with leading zeros', () => {
    expect(parseError('package p\np := 01')[0].message).toBe(
      'test.rego:2:6: rego_parse_error: unexpected number token: expected number without leading zero',
    );
  });

  test('unterminated string and bad escape', () => {
    expect(parseError('package p\np := "abc')[0].detail).toBe('non-terminated string');
    expect(parseError('package p\np := "\\q"')[0].detail).toBe('illegal escape sequence');
  });

  test('two expressions on one line need a separator', () => {
    expect(parseError('package p\np if { x := 1 y := 2 }')[0].message).toBe(
      'test.rego:2:15: rego_parse_error: unexpected identifier token: expected \\n or ; or }',
    );
  });

  test('unexpected end of file names the eof token', () => {
    expect(parseError('package p\np := 1 +')[0].detail).toBe('unexpected eof token');
  });

  test('bad imports', () => {
    expect(parseError('package p\nimport foo.bar')[0].detail).toMatch(/^unexpected import path, must begin with one of/);
    expect(parseError('package p\nimport rego.v2')[0].detail).toBe('invalid import `rego.v2`, must be `rego.v1`');
    expect(parseError('package p\nimport future.keywords.foo')[0].detail).toBe(
      'unexpected keyword, must be one of [contains every if in]',
    );
  });

  test('default rule values must be constants', () => {
    expect(parseError('package p\ndefault p := input.x')[0].detail).toBe('illegal default rule (value cannot contain ref)');
  });

  test('negated some / every and every without body', () => {
    expect(parseError('package p\np if { not some x in [] }')[0].detail).toBe(
      "unexpected some keyword: illegal negation of 'some'",
    );
    expect(parseError('package p\np if { every x in [1] }')[0].detail).toBe('unexpected } token: missing body');
  });

  test('else on rules with variables in the head', () => {
    expect(parseError('package p\np[x] := 1 if { x := 1 } else := 2')[0].detail).toBe(
      'else keyword cannot be used on rules with variables in head',
    );
  });

  test('assignment inside a template expression', () => {
    expect(parseError('package p\np := $"{x := 1}"')[0].detail).toBe(
      "unexpected assignment (':=') in template-string expression",
    );
  });

  test('unary minus only applies to numbers', () => {
    expect(parseError('package p\np := -x')[0].detail).toBe('unexpected identifier token: expected number');
  });

  test('absurdly large numbers', () => {
    expect(parseError('package p\np := 1e99999999')[0].detail).toBe('number too big');
  });

  test('several modules report every error, each with its own file', () => {
    let caught: unknown;
    try {
      parseModules([
        { file: 'a.rego', text: 'package a\np { true }' },
        { file: 'b.rego', text: 'package b\nq := 01' },
        { file: 'c.rego', text: 'package c\nr := 1' },
      ]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(RegoErrors);
    expect((caught as RegoErrors).errors.map((e) => e.location?.file)).toEqual(['a.rego', 'b.rego']);
  });

  test('deep nesting fails as a parse error, not a crash', () => {
    const deep = `${'['.repeat(20000)}${']'.repeat(20000)}`;
    expect(() => parseTerm(deep)).toThrow(RegoError);
  });
});

describe('parser: queries', () => {
  test('`data.test.p = x` is an eq call expression', () => {
    const [e] = parseQuery('data.test.p = x');
    expect(isCallExpr(e) && e.terms.map(termToString)).toEqual(['eq', 'data.test.p', 'x']);
  });

  test('multi-expression queries get consecutive indexes', () => {
    const b = parseQuery('x := 1; y := 2\nz := x + y');
    expect(b.map((e) => e.index)).toEqual([0, 1, 2]);
  });

  test('empty query is an error', () => {
    expect(() => parseQuery('  ')).toThrow('empty query');
  });
});
