/**
 * json.patch, json.marshal_with_options, object.subset, array.flatten,
 * numbers.range_step and uuid.* host builtins. Expected values come from
 * OPA's compliance cases (jsonpatch, jsonbuiltins, subset, array,
 * numbersrangestep, uuid); the JSON-patch table replays OPA's own
 * json_patch_cases when the shared compliance suite is present.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beginEvaluation, hostBuiltins, type JsonValue } from '../src/builtins/host';
import { jsonEqual } from '../src/builtins/host/operands';
import { describeWithCases } from '../tools/compliance-dir';

function call(name: string, ...args: JsonValue[]): JsonValue | undefined {
  const fn = hostBuiltins[name];
  if (!fn) throw new Error(`no host builtin ${name}`);
  return fn(...args);
}

describe('json.patch', () => {
  test.each<[string, JsonValue, JsonValue, JsonValue | undefined]>([
    ['adds an object member', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { foo: 'bar', baz: 'qux' }],
    ['inserts into an array', { foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
    ['appends with -', [1, 2], [{ op: 'add', path: '/-', value: 3 }], [1, 2, 3]],
    ['removes an array element', { foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
    ['moves a value', { foo: { waldo: 'fred' }, qux: {} }, [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }], { foo: {}, qux: { thud: 'fred' } }],
    ['copies a value', { a: [1] }, [{ op: 'copy', from: '/a', path: '/b' }], { a: [1], b: [1] }],
    ['~01 unescapes to ~1', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: 10 }], { '/': 9, '~1': 10 }],
    ['replaces the whole document', { foo: 'bar' }, [{ op: 'replace', path: '', value: { baz: 'qux' } }], { baz: 'qux' }],
    ['path as an array of segments', { a: { b: 1 } }, [{ op: 'replace', path: ['a', 'b'], value: 2 }], { a: { b: 2 } }],
    ['a failing test makes it undefined', { baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }], undefined],
    ['a string is not a number', { x: 10 }, [{ op: 'test', path: '/x', value: '10' }], undefined],
    ['missing parents are not created', { q: {} }, [{ op: 'add', path: '/a/b', value: 1 }], undefined],
    ['index past the end is undefined', ['a'], [{ op: 'add', path: '/3', value: 'b' }], undefined],
    ['leading zeros are not array indices', ['a', 'b'], [{ op: 'test', path: '/01', value: 'b' }], undefined],
    ['unknown op is undefined', { foo: 1 }, [{ op: 'spam', path: '/foo', value: 1 }], undefined],
    ['missing value is undefined', [1], [{ op: 'add', path: '/-' }], undefined],
    ['remove then add of the root (OPA edit tree)', { a: 1 }, [{ op: 'remove', path: '' }, { op: 'add', path: '', value: { b: 2 } }], { b: 2 }],
    ['a removed root stays undefined', { a: 1 }, [{ op: 'remove', path: '' }], undefined],
    ['nothing below a removed root', { a: 1 }, [{ op: 'remove', path: '' }, { op: 'add', path: '/a', value: 1 }], undefined],
  ])('%s', (_n, doc, ops, want) => expect(call('json.patch', doc, ops)).toEqual(want));

  test('does not modify its input', () => {
    const doc = { a: [1, 2] };
    call('json.patch', doc, [{ op: 'remove', path: '/a/0' }]);
    expect(doc).toEqual({ a: [1, 2] });
  });
});

// Found as `npm test` finds them (../tools/compliance-dir.ts); without them this fails under CI=true, with the reason.
describeWithCases("json.patch: OPA's json_patch_cases", (complianceDir) => {
  const dir = join(complianceDir, 'jsonpatch');
  const cases: Array<{ comment?: string; doc: JsonValue; patch: JsonValue; expected?: JsonValue; error?: string; disabled?: boolean; opa_disabled?: boolean }> = [];
  for (const f of readdirSync(dir)) {
    for (const c of (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { cases: Array<{ note: string; modules?: string[] }> }).cases) {
      if (c.note !== 'jsonpatch/json_patch_tests') continue;
      for (const m of c.modules ?? []) {
        const i = m.indexOf('cases := [');
        if (i >= 0) cases.push(...JSON.parse(m.slice(i + 'cases := '.length).replace(/,(\s*[\]}])/g, '$1')));
      }
    }
  }
  const active = cases.filter((c) => !c.disabled && !c.opa_disabled);

  if (active.length === 0) {
    test('the shared suite holds json_patch_cases', () => {
      throw new Error(`no jsonpatch/json_patch_tests cases under ${dir}`);
    });
    return;
  }
  test.each(active.map((c, i) => [c.comment ?? `case ${i}`, c] as const))('%s', (_n, tc) => {
    const got = call('json.patch', tc.doc, tc.patch);
    if ('expected' in tc) expect(jsonEqual(got, tc.expected)).toBe(true);
    else if (tc.error !== undefined) expect(got).toBeUndefined();
    else expect(got).toBeDefined();
  });
});

describe('json.marshal_with_options (Go MarshalIndent)', () => {
  const nums = [1234567890, 2000000, 1000000000];
  test.each<[string, JsonValue, JsonValue, string | undefined]>([
    ['explicit indent', nums, { indent: '  ' }, '[\n  1234567890,\n  2000000,\n  1000000000\n]'],
    ['empty options are compact', nums, {}, '[1234567890,2000000,1000000000]'],
    ['pretty defaults to a tab', nums, { pretty: true }, '[\n\t1234567890,\n\t2000000,\n\t1000000000\n]'],
    ['pretty false wins over layout', nums, { pretty: false, prefix: 'NO!', indent: 'BAD!' }, '[1234567890,2000000,1000000000]'],
    ['prefix starts every line', nums, { prefix: 'JSON => ' }, 'JSON => [\nJSON => \t1234567890,\nJSON => \t2000000,\nJSON => \t1000000000\nJSON => ]'],
    ['object keys are sorted', { foo: 'bar', bar: 'baz' }, { prefix: 'JSON => ' }, 'JSON => {\nJSON => \t"bar": "baz",\nJSON => \t"foo": "bar"\nJSON => }'],
    ['empty array', [], { indent: '    ', prefix: '---' }, '---[]'],
    ['HTML characters are escaped like Go', ['<a&b>'], {}, '["\\u003ca\\u0026b\\u003e"]'],
    ['unknown option is undefined', [], { indent: ' ', include_winning_lottery_numbers: true }, undefined],
  ])('%s', (_n, v, opts, want) => expect(call('json.marshal_with_options', v, opts)).toBe(want));
});

describe('object.subset / array.flatten / numbers.range_step', () => {
  const A = { a: 5, b: 7, c: 15, nested: { x: 10, y: 15, z: 20, arr1: [6, 7, 8, 9] } };
  test.each<[string, JsonValue, JsonValue, boolean | undefined]>([
    ['object subset', A, { a: 5 }, true],
    ['object superset is not a subset', { a: 5 }, A, false],
    ['different value', A, { a: 5, b: 10 }, false],
    ['nested objects recurse', A, { nested: { x: 10, arr1: [6, 7] } }, true],
    ['arrays: contiguous run', [1, 2, 3, 4, 5, 6], [3, 4, 5], true],
    ['arrays: prefix', [1, 2, 3, 4, 5, 6], [1, 2, 3], true],
    ['arrays: equal', [1, 2, 3], [1, 2, 3], true],
    ['arrays: not contiguous', [1, 2, 3, 4], [1, 3], false],
    ['arrays: extra element', [1, 2, 3, 4, 5, 6], [4, 5, 6, 8], false],
    ['mixed types are undefined', { a: 1 }, [1], undefined],
  ])('object.subset: %s', (_n, sup, sub, want) => expect(call('object.subset', sup, sub)).toBe(want));

  test('array.flatten flattens one level only', () => {
    expect(call('array.flatten', [[1, 2], 'string', [3, { a: 'b' }], 4.5, [6, [7, 8]]])).toEqual([1, 2, 'string', 3, { a: 'b' }, 4.5, 6, [7, 8]]);
    expect(call('array.flatten', 42)).toBeUndefined();
  });

  test.each<[number, number, number, JsonValue | undefined]>([
    [0, 10, 2, [0, 2, 4, 6, 8, 10]],
    [0, -10, 2, [0, -2, -4, -6, -8, -10]],
    [10, 3, 2, [10, 8, 6, 4]],
    [2, 2, 2, [2]],
    [2, 5, 2, [2, 4]],
    [0, 10, 99999999999999999999, [0]],
    [0, 10, -2, undefined],
    [0, 10, 0.5, undefined],
    [0, 1e12, 1, undefined],
  ])('numbers.range_step(%j, %j, %j) is %j', (a, b, s, want) => expect(call('numbers.range_step', a, b, s)).toEqual(want));
});

describe('uuid.rfc4122 / uuid.parse', () => {
  test('rfc4122 gives a v4 UUID, stable per key within one evaluation', () => {
    beginEvaluation();
    const a = call('uuid.rfc4122', 'key');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(call('uuid.rfc4122', 'key')).toBe(a);
    expect(call('uuid.rfc4122', 'other')).not.toBe(a);
    beginEvaluation();
    expect(call('uuid.rfc4122', 'key')).not.toBe(a);
  });

  test('rand.intn is in [0, n) and fixed per key within one evaluation', () => {
    beginEvaluation();
    const a = call('rand.intn', 'k', 1000) as number;
    expect(Number.isInteger(a) && a >= 0 && a < 1000).toBe(true);
    expect(call('rand.intn', 'k', 1000)).toBe(a);
    expect(call('rand.intn', 'k', 0)).toBe(0);
    expect(call('rand.intn', 'k', 1.5)).toBeUndefined();
  });

  test('time.now_ns is fixed within one evaluation', () => {
    beginEvaluation();
    const t = call('time.now_ns');
    expect(call('time.now_ns')).toBe(t);
  });

  const v2 = {
    clocksequence: 12800,
    domain: 'Person',
    id: 1000,
    macvariables: 'local:unicast',
    nodeid: '32-50-96-b3-9f-47',
    time: 1693566990121469600,
    variant: 'RFC4122',
    version: 2,
  };
  test.each<[JsonValue, JsonValue | undefined]>([
    ['{00000000-0000-4000-8000-000000000000}', { variant: 'RFC4122', version: 4 }],
    ['urn:uuid:000003e8-48b9-21ee-b200-325096b39f47', v2],
    ['000003e8-48b9-21ee-b200-325096b39f47', v2],
    ['6bea8ef2d3d33cd184e09bab06a52ece', { variant: 'RFC4122', version: 3 }],
    ['38074da4-0b00-388d-9c3c-362de965547a', { variant: 'RFC4122', version: 3 }],
    [123, undefined],
    ['not-a-uuid', undefined],
  ])('uuid.parse(%j)', (input, want) => expect(call('uuid.parse', input)).toEqual(want));
});

describe('graph.reachable_paths (OPA reachable_paths cases)', () => {
  const sortPaths = (v: JsonValue | undefined): JsonValue | undefined =>
    Array.isArray(v) ? [...v].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) : v;
  test.each<[string, JsonValue, JsonValue, JsonValue | undefined]>([
    ['empty graph has no paths', {}, ['a'], []],
    ['a cycle stops at the first revisit', { a: ['b'], b: ['c'], c: ['a'] }, ['a'], [['a', 'b', 'c']]],
    [
      'separate components',
      { a: ['b', 'c'], b: ['d'], c: ['d'], d: [], e: ['f'], f: ['e'], x: ['x'] },
      ['b', 'e'],
      [['b', 'd'], ['e', 'f']],
    ],
    ['null edges end a path', { a: null }, ['a'], [['a']]],
    ['multiple paths', { a: ['b', 'c'], b: ['c'], c: [] }, ['a'], [['a', 'b', 'c'], ['a', 'c']]],
    ['unknown vertices end a path before them', { a: ['b'], b: ['nonexistent'] }, ['a', 'b'], [['a', 'b'], ['b']]],
    [
      'revisiting a reached vertex ends the path (issue 1022)',
      { one: ['two', 'five'], two: ['four'], three: [''], four: ['three'], five: ['seven', 'six'], six: ['nine', 'seven'], seven: ['eight'], eight: ['three'], nine: [''] },
      ['one'],
      [['one', 'five', 'seven', 'eight', 'three'], ['one', 'five', 'six'], ['one', 'five', 'six', 'nine'], ['one', 'two', 'four', 'three']],
    ],
    ['initial vertices must be a collection', { a: [] }, 'a', undefined],
    ['the graph must be an object', 1, [1], undefined],
  ])('%s', (_n, g, initial, want) => expect(sortPaths(call('graph.reachable_paths', g, initial))).toEqual(sortPaths(want)));
});
