/**
 * Six places where this toolchain answered differently from OPA (found by a held-out Rego
 * suite), each checked through parse → compile → plan → policy.wasm → OPA SDK. The expected
 * answers are OPA's (topdown; sources cited per case).
 */
import { compileModules } from '../src/compile';
import { toRegoErrors } from '../src/errors';
import { evalRego } from './rego-eval-helpers';

jest.setTimeout(60_000);

/** Evaluates `out` of `package t` (a Rego object of named checks). */
function out(body: string, opts = {}): unknown {
  return evalRego(`package t\n\n${body}\n`, 't/out', {}, opts);
}

describe('json.patch addresses set members by value (OPA internal/edittree)', () => {
  test('add / remove / test / move / copy on set members; Rego sets stay sets', () => {
    expect(
      out(`
out := {
  "add": json.patch({"a": {"x"}}, [{"op": "add", "path": "/a/y", "value": "y"}]) == {"a": {"x", "y"}},
  "add_array_path": json.patch({"a": {1}}, [{"op": "add", "path": ["a", 2], "value": 2}]) == {"a": {1, 2}},
  "remove": json.patch({"a": {"x", "y"}}, [{"op": "remove", "path": "/a/x"}]) == {"a": {"y"}},
  "test": json.patch({"a": {"x"}}, [{"op": "test", "path": "/a/x", "value": "x"}]) == {"a": {"x"}},
  "move": json.patch({"a": {"x"}, "b": {}}, [{"op": "move", "from": "/a/x", "path": "/b/y"}]) == {"a": set(), "b": {"y": "x"}},
  "copy": json.patch({"a": {"x"}, "b": {}}, [{"op": "copy", "from": "/a/x", "path": "/b/y"}]) == {"a": {"x"}, "b": {"y": "x"}},
  "nested": json.patch({"a": {[1]}}, [{"op": "add", "path": ["a", [1], 1], "value": 2}]) == {"a": {[1, 2]}},
}`),
    ).toEqual({ add: true, add_array_path: true, remove: true, test: true, move: true, copy: true, nested: true });
  });

  test('a set member must equal its key; a member that is absent cannot be removed', () => {
    expect(
      out(`
out := {
  "key_ne_value": [x | x := json.patch({"a": {"x"}}, [{"op": "add", "path": "/a/y", "value": "z"}])],
  "number_by_text": [x | x := json.patch({"a": {1, 2}}, [{"op": "remove", "path": "/a/1"}])],
  "absent": [x | x := json.patch({"a": {"x"}}, [{"op": "remove", "path": "/a/q"}])],
}`),
    ).toEqual({ key_ne_value: [], number_by_text: [], absent: [] });
  });

  test('remove then add of the root document gives the added document', () => {
    expect(
      out(`
out := {
  "readd": json.patch({"a": 1}, [{"op": "remove", "path": ""}, {"op": "add", "path": "", "value": {"b": 2}}]),
  "replace_root": json.patch({"a": 1}, [{"op": "replace", "path": "", "value": [1]}]),
  "twice": [x | x := json.patch({"a": 1}, [{"op": "remove", "path": ""}, {"op": "remove", "path": ""}])],
  "under_removed": [x | x := json.patch({"a": 1}, [{"op": "remove", "path": ""}, {"op": "add", "path": "/a", "value": 1}])],
}`),
    ).toEqual({ readd: { b: 2 }, replace_root: [1], twice: [], under_removed: [] });
  });

  test('array indices: numbers or canonical strings, "-" appends, leading zeros are invalid', () => {
    expect(
      out(`
out := {
  "num": json.patch({"a": [{"b": 1}]}, [{"op": "add", "path": ["a", 0, "c"], "value": 2}]),
  "append": json.patch([1], [{"op": "add", "path": "/-", "value": 2}]),
  "leading_zero": [x | x := json.patch({"a": [1]}, [{"op": "add", "path": "/a/01", "value": 2}])],
}`),
    ).toEqual({ num: { a: [{ b: 1, c: 2 }] }, append: [1, 2], leading_zero: [] });
  });
});

describe('json.filter / json.remove address array elements by index text (OPA ast filterObject)', () => {
  test('a numeric path segment selects no array element; "1" does', () => {
    expect(
      out(`
out := {
  "filter_num": json.filter({"a": [1, 2]}, [["a", 1]]),
  "filter_text": json.filter({"a": [1, 2]}, [["a", "1"]]),
  "filter_string_path": json.filter({"a": [1, 2]}, ["a/1"]),
  "filter_set_member": json.filter({"a": {1, 2}}, [["a", 1]]) == {"a": {1}},
  "remove_num": json.remove({"a": [1, 2]}, [["a", 1]]),
  "remove_text": json.remove({"a": [1, 2]}, [["a", "1"]]),
}`),
    ).toEqual({
      filter_num: { a: [] },
      filter_text: { a: [2] },
      filter_string_path: { a: [2] },
      filter_set_member: true,
      remove_num: { a: [1, 2] },
      remove_text: { a: [1] },
    });
  });
});

test('indexof / indexof_n with an empty search string are errors, i.e. undefined (OPA: "empty search character")', () => {
  expect(
    out(`
out := {
  "empty_empty": [x | x := indexof("", "")],
  "empty_search": [x | x := indexof("abc", "")],
  "n_empty": [x | x := indexof_n("abc", "")],
  "found": indexof("abc", "c"),
}`),
  ).toEqual({ empty_empty: [], empty_search: [], n_empty: [], found: 2 });
});

describe('rules and base data at the same path (OPA CheckPathConflicts)', () => {
  const POLICY = { file: 'x.rego', text: 'package x\n\ny := 1\n\nz.w := 2\n' };
  const errorsOf = (data: unknown): string[] => {
    try {
      compileModules([POLICY], { baseData: data as never });
      return [];
    } catch (e) {
      return toRegoErrors(e).map((x) => x.message);
    }
  };

  test('a value at the rule path, or a non-object on its way, conflicts', () => {
    expect(errorsOf({ x: { y: 'from data' } })).toEqual(['x.rego:3:1: rego_compile_error: conflicting rule for data path x/y found']);
    expect(errorsOf({ x: { z: 5 } })).toEqual(['x.rego:5:1: rego_compile_error: conflicting rule for data path x/z/w found']);
    expect(errorsOf({ x: { y: { deeper: 1 } } })).toEqual(['x.rego:3:1: rego_compile_error: conflicting rule for data path x/y found']);
  });

  test('disjoint data, data beside the rules, and no data compile', () => {
    expect(errorsOf({ x: { other: 1, z: { v: 1 } }, routes: [] })).toEqual([]);
    expect(() => compileModules([POLICY])).not.toThrow();
  });
});

describe('default rules under a non-string key (topdown: each default fills its own key)', () => {
  test('default r[true] and a sibling default are both kept', () => {
    expect(out('default r[true] := 1\n\ndefault r["s"] := 2\n\nout := {"r": r, "has_true": r[true] == 1}')).toEqual({
      r: { true: 1, s: 2 },
      has_true: true,
    });
  });

  test('a defined rule wins over the default at its key', () => {
    expect(out('default r[true] := 1\n\nr[true] := 5 if count(input) == 0\n\ndefault r["s"] := 2\n\nout := r')).toEqual({ true: 5, s: 2 });
  });
});

test('`some _ in <scalar>` is undefined for every scalar (OPA type-checks any domain)', () => {
  expect(
    out(`
a if { some _ in false }
b if { some _ in "" }
c if { some _ in null }
d if { some _ in 0 }
e if { some _ in [0] }
out := {"false": a, "string": b, "null": c, "zero": d, "array": e} if { true } else := "none"
default a := "undefined"
default b := "undefined"
default c := "undefined"
default d := "undefined"
`),
  ).toEqual({ false: 'undefined', string: 'undefined', null: 'undefined', zero: 'undefined', array: true });
});
