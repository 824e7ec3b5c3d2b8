/**
 * `rego-wasm fmt` layout: OPA 1.x's canonical format (v1/format/format.go), case by case.
 * Inputs and expected outputs are written for this suite from format.go's rules; each
 * expected output is also checked to be a fixed point.
 */
import { RegoError } from '../src/errors';
import { formatSource } from '../src/format';

const fmt = (src: string, regoVersion?: 0 | 1): string => formatSource(src, 'case.rego', { regoVersion });

/** `lines(...)` joins its arguments with newlines and ends with one. */
const lines = (...l: string[]): string => `${l.join('\n')}\n`;

function expectFormat(src: string, want: string, regoVersion?: 0 | 1): void {
  expect(fmt(src, regoVersion)).toBe(want);
  expect(fmt(want, regoVersion)).toBe(want);
}

describe('fmt: rules, heads and bodies (v1)', () => {
  test('tabs, one blank line between rules, blank lines in bodies kept (at most one)', () => {
    expectFormat(
      'package acme\n\n\n\nallow if {\n    input.a == 1\n\n\n    input.b == 2\n}\ndeny if {\n  input.c\n}\n\n\n',
      lines('package acme', '', 'allow if {', '\tinput.a == 1', '', '\tinput.b == 2', '}', '', 'deny if {', '\tinput.c', '}'),
    );
  });

  test('adjacent rules with at most one body expression stay grouped; a blank line in the source is kept', () => {
    expectFormat(
      lines('package p', 'a := 1', 'b := 2', '', 'c := 3', 'r if input.x', 'r if input.y', 'd if {', '\tinput.z', '\tinput.w', '}', 'e if {', 'input.v', '}'),
      lines('package p', '', 'a := 1', 'b := 2', '', 'c := 3', 'r if input.x', 'r if input.y', '', 'd if {', '\tinput.z', '\tinput.w', '}', '', 'e if {', '\tinput.v', '}'),
    );
  });

  test('default rules and rules with two body expressions are never grouped', () => {
    expectFormat(
      lines('package p', 'default a := false', 'a if input.x', 'b if { input.x; input.y }', 'c if input.z'),
      lines('package p', '', 'default a := false', '', 'a if input.x', '', 'b if {', '\tinput.x', '\tinput.y', '}', '', 'c if input.z'),
    );
  });

  test('a rule value is written with := in v1; = in a body stays =', () => {
    expectFormat(
      lines('package p', 'x = 1', '', 'f(a) = b if { b = a }', 'default d = false'),
      lines('package p', '', 'x := 1', '', 'f(a) := b if b = a', '', 'default d := false'),
    );
  });

  test('a single-expression body on the head line becomes `if expr`; on its own line it stays a block', () => {
    expectFormat(
      lines('package p', 'a if { input.x }', '', 'b if {', 'input.y', '}', '', 'c contains x if { some x in input.xs }'),
      lines('package p', '', 'a if input.x', '', 'b if {', '\tinput.y', '}', '', 'c contains x if some x in input.xs'),
    );
  });

  test('a lone set term keeps its braces (if { {x} } is not if {x})', () => {
    expectFormat(lines('package p', 'a if { {input.x} }'), lines('package p', '', 'a if {', '\t{input.x}', '}'));
  });

  test('an explicit `true` value and body print as a constant', () => {
    expectFormat(lines('package p', 'a := true if { true }', 'b if true'), lines('package p', '', 'a := true', 'b := true'));
  });

  test('ref heads, partial objects and multi-value rules', () => {
    expectFormat(
      lines('package p', 'obj[k] = v if {', 'some k, v in input.m', '}', '', 'roles contains r if { r := input.roles[_] }', '', 'a.b.c := 1'),
      lines('package p', '', 'obj[k] := v if {', '\tsome k, v in input.m', '}', '', 'roles contains r if r := input.roles[_]', '', 'a.b.c := 1'),
    );
  });

  test('without ref-head syntax elsewhere, a two-part head prints bracketed (p["q"]), as OPA does', () => {
    expectFormat(lines('package p', 'p.q := 1'), lines('package p', '', 'p["q"] := 1'));
  });

  test('functions with several bodies and wildcard arguments', () => {
    expectFormat(
      lines('package p', 'f(_, y) := y', '', 'f(x, _) := x if { x > 1 }'),
      lines('package p', '', 'f(_, y) := y', '', 'f(x, _) := x if x > 1'),
    );
  });
});

describe('fmt: else chains', () => {
  test('an else written after the closing brace stays there; an else on its own line gets a blank line before it', () => {
    expectFormat(
      lines('package p', 'a := 1 if {', '\tinput.x', '} else := 2 if {', '\tinput.y', '} else := 3', '', 'b := "x" if input.x', 'else := "y"'),
      lines('package p', '', 'a := 1 if {', '\tinput.x', '} else := 2 if {', '\tinput.y', '} else := 3', '', 'b := "x" if input.x', '', 'else := "y"'),
    );
  });

  test('a comment above an else keeps the else on its own line', () => {
    expectFormat(
      lines('package p', 'a := 1 if {', '\tinput.x', '}', '# otherwise', 'else := 2'),
      lines('package p', '', 'a := 1 if {', '\tinput.x', '}', '', '# otherwise', 'else := 2'),
    );
  });
});

describe('fmt: expressions and terms', () => {
  test('spacing of operators, calls, refs; ["key"] becomes .key unless it is a keyword written quoted', () => {
    expectFormat(
      lines('package p', 'a if {', 'x:=input["user"]["name"]', 'y  =  count( input.xs )+1', 'input["in"]', 'not  input.deny', '}'),
      lines('package p', '', 'a if {', '\tx := input.user.name', '\ty = count(input.xs) + 1', '\tinput["in"]', '\tnot input.deny', '}'),
    );
  });

  test('nested infix calls are parenthesised, as format.go does', () => {
    expectFormat(lines('package p', 'x := 1 + 2 * 3'), lines('package p', '', 'x := 1 + (2 * 3)'));
  });

  test('a call of an infix builtin with an output argument prints as unification: plus(x, 1, y) → y = x + 1', () => {
    expectFormat(lines('package p', 'a if {', 'plus(input.x, 1, y)', 'y > 2', '}'), lines('package p', '', 'a if {', '\ty = input.x + 1', '\ty > 2', '}'));
  });

  test('a set union leading a `p if {` body is parenthesised (it would read as a comprehension)', () => {
    expectFormat(
      lines('package p', 'a if {', '(input.s | input.t) == {1}', '}', 'b if {', 'x := input.s | input.t', '}'),
      lines('package p', '', 'a if {', '\t(input.s | input.t) == {1}', '}', '', 'b if {', '\tx := input.s | input.t', '}'),
    );
  });

  test('set unions inside collections are parenthesised', () => {
    expectFormat(
      lines('package p', 's := {1}', 't := {2}', 'u := [(s|t)]', 'v := {"k": (s|t)}'),
      lines('package p', '', 's := {1}', 't := {2}', 'u := [(s | t)]', 'v := {"k": (s | t)}'),
    );
  });

  test('strings keep their spelling: escapes, raw strings, unicode', () => {
    const src = lines('package p', '', 'a := "tab\\there \\u00e9 é"', '', 'b := `raw\\n`', '', 'c := "quote \\" inside"');
    expectFormat(src, src);
  });

  test('template strings print as written', () => {
    const src = lines('package p', '', 'a := $"user {input.user} has {count(input.roles)} roles"');
    expectFormat(src.replace(':=', '   :='), src);
  });

  test('a wildcard in a bracketed rule head prints as _', () => {
    expectFormat(lines('package p', 'p[_] = 1 if input.x'), lines('package p', '', 'p[_] := 1 if input.x'));
  });

  test('empty set prints as set(); numbers keep their text', () => {
    expectFormat(lines('package p', 'a := set()', 'b := 1.50', 'c := 1e3'), lines('package p', '', 'a := set()', 'b := 1.50', 'c := 1e3'));
  });

  test('some declarations and some-in forms', () => {
    expectFormat(
      lines('package p', 'a if {', 'some x,y', 'some k,v in input.m', 'some z in input.zs', 'x = k; y = v; z', '}'),
      lines('package p', '', 'a if {', '\tsome x, y', '\tsome k, v in input.m', '\tsome z in input.zs', '\tx = k', '\ty = v', '\tz', '}'),
    );
  });

  test('every, one-line and block', () => {
    expectFormat(
      lines('package p', 'a if {', 'every x in input.xs { x > 0 }', 'every k, v in input.m {', 'k != v', '}', '}'),
      lines('package p', '', 'a if {', '\tevery x in input.xs { x > 0 }', '\tevery k, v in input.m {', '\t\tk != v', '\t}', '}'),
    );
  });

  test('with modifiers: on the line, or indented when written on their own lines', () => {
    expectFormat(
      lines('package p', 'a if {', 'allow with input as {"u": 1} with data.x as 2', 'allow', '  with input as {}', '  with data.y as 3', '}'),
      lines('package p', '', 'a if {', '\tallow with input as {"u": 1} with data.x as 2', '\tallow', '\t\twith input as {}', '\t\twith data.y as 3', '}'),
    );
  });

  test('comprehensions: one line, or a block body when the body starts on a new line', () => {
    expectFormat(
      lines('package p', 'a := [x | some x in input.xs; x > 1]', '', 'b := {k: v |', 'some k, v in input.m', '}', '', 'c := {x | x := input.y}'),
      lines('package p', '', 'a := [x | some x in input.xs; x > 1]', '', 'b := {k: v |', '\tsome k, v in input.m', '}', '', 'c := {x | x := input.y}'),
    );
  });
});

describe('fmt: composites and calls across lines', () => {
  test('a composite written over several lines is one element group per line, with a trailing comma', () => {
    expectFormat(
      lines('package p', 'a := [1, 2,', '  3]', 'b := {"x": 1,', '"y": 2}', 'c := {"x": 1, "y": 2}'),
      lines('package p', '', 'a := [', '\t1, 2,', '\t3,', ']', '', 'b := {', '\t"x": 1,', '\t"y": 2,', '}', '', 'c := {"x": 1, "y": 2}'),
    );
  });

  test('a composite whose first element is on a new line is multi-line', () => {
    expectFormat(lines('package p', 'a := [', '  1, 2]'), lines('package p', '', 'a := [', '\t1, 2,', ']'));
  });

  test('call arguments over several lines', () => {
    expectFormat(
      lines('package p', 'a := concat(",", [', '"x", "y"])', 'b := sprintf("%v %v",', '[1, 2])'),
      lines('package p', '', 'a := concat(",", [', '\t"x", "y",', '])', '', 'b := sprintf(', '\t"%v %v",', '\t[1, 2],', ')'),
    );
  });

  test('function arguments in a head over several lines', () => {
    expectFormat(
      lines('package p', 'f(a,', 'b) := a + b'),
      lines('package p', '', 'f(', '\ta,', '\tb,', ') := a + b'),
    );
  });
});

describe('fmt: imports', () => {
  test('sorted within a group, groups kept apart by a blank line, trailing comments move with their import', () => {
    expectFormat(
      lines('package p', 'import data.z # zed', 'import data.a', '', 'import input.x', 'import data.b as bee'),
      lines('package p', '', 'import data.a', 'import data.z # zed', '', 'import data.b as bee', 'import input.x'),
    );
  });

  test('rego.v1 makes future.keywords imports redundant: they are dropped, as format.go does', () => {
    expectFormat(
      lines('package p', 'import rego.v1', 'import future.keywords.in', 'a if 1 in [1]'),
      lines('package p', '', 'import rego.v1', '', 'a if 1 in [1]'),
    );
  });
});

describe('fmt: comments', () => {
  test('comments above, trailing, inside bodies and composites, and at the end of the file', () => {
    const src = lines(
      '# head comment',
      'package p',
      '',
      '# about a',
      'a if { # opening',
      '\tinput.x # trailing',
      '',
      '\t# before y',
      '\tinput.y',
      '} # closing',
      '',
      'b := [',
      '\t1, # one',
      '\t# before two',
      '\t2,',
      ']',
      '',
      '# the end',
    );
    expectFormat(src, src);
  });

  test('a comment inside a one-line composite keeps the composite as written', () => {
    const src = lines('package p', '', 'a := [1, 2', '# inside', ']');
    expect(fmt(src)).toBe(src);
  });

  test('a rule head kept as written (comment inside) still opens its body on a new line, so a second run is a no-op', () => {
    expectFormat(
      lines('package p', 'p contains {"k": [0, # zero', 'input.x]} if {', '\tsome y in input.a', '}', 'q := 1 # later'),
      lines('package p', '', 'p contains {"k": [', '\t0, # zero', '\tinput.x,', ']} if {', '\tsome y in input.a', '}', '', 'q := 1 # later'),
    );
  });

  test('trailing whitespace in comments is trimmed', () => {
    expect(fmt('package p\n\n# note   \na := 1\n')).toBe('package p\n\n# note\na := 1\n');
  });

  test('METADATA blocks are kept verbatim, attached to their rule or package', () => {
    const src = lines(
      '# METADATA',
      '# title: P',
      '# description: the package',
      'package p',
      '',
      '# METADATA',
      '# scope: document',
      '# title: Allow',
      '# custom:',
      '#   severity: high',
      'allow if input.ok',
    );
    expectFormat(src.replace('package p\n', 'package    p\n\n\n'), src);
  });
});

describe('fmt: Rego v0 (--v0-compatible)', () => {
  test('v0 formats as v0: no if/contains, = kept, := kept where written', () => {
    expectFormat(
      lines('package p', 'allow { input.a }', 'names[n] { n := input.names[_] }', 'x = 1', 'y := 2', 'default d = false'),
      lines('package p', '', 'allow {', '\tinput.a', '}', '', 'names[n] {', '\tn := input.names[_]', '}', '', 'x = 1', '', 'y := 2', '', 'default d = false'),
      0,
    );
  });

  test('a v0 file importing rego.v1 or future.keywords gets if/contains', () => {
    expectFormat(
      lines('package p', 'import future.keywords', 'allow if { input.a }', '', 's contains x if { x := input.b }'),
      lines('package p', '', 'import future.keywords', '', 'allow if input.a', '', 's contains x if x := input.b'),
      0,
    );
  });

  test('without the flag, v0 source is a v1 parse error', () => {
    expect(() => fmt(lines('package p', 'allow { input.a }'))).toThrow('case.rego:2:1: rego_parse_error: `if` keyword is required before rule body');
  });
});

describe('fmt: errors rather than a changed policy', () => {
  test('a syntax error is a parse error with file:row:col', () => {
    let err: unknown;
    try {
      fmt('package p\n\na := [1,\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RegoError);
    expect((err as RegoError).code).toBe('rego_parse_error');
    expect((err as RegoError).message).toMatch(/^case\.rego:\d+:\d+: rego_parse_error: /);
  });

  test('where format.go would change the meaning (a parenthesised `in` operand), fmt refuses', () => {
    // format.go prints `"k", 2 in {"b": 2} in {"k": true}`, which parses differently
    expect(() => fmt(lines('package p', '', 'a if {', '\t"k", (2 in {"b": 2}) in {"k": true}', '}'))).toThrow(
      /rego_format_error: the formatted result would change the module/,
    );
  });
});
