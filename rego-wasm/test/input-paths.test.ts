/**
 * Input by need: the analysis reports the input paths a plan can read, and a
 * dynamic read (a variable key, iteration, a builtin or a comparison of a
 * whole value, `with`, the input as a value) reports the subtree at that
 * point. Each shape is also evaluated: the pruned input must give the result
 * the full input gives.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicySync } from '@open-policy-agent/opa-wasm';
import { build } from '../src/build';
import { runCli } from '../src/cli/main';
import { readBundle } from '../src/package/bundle';
import { appendInputPathsSection, readInputPathsSection } from '../src/package/input-paths-section';
import { planRego } from '../src/frontend';
import { inputPaths, inputSelector, pruneInput } from '../src/plan/input-paths';
import { buildPolicyWasm, importedMemoryMinPages } from '../src/package';
import { beginEvaluation, sdkHostBuiltins } from '../src/builtins/host';

function pathsOf(src: string | string[], entrypoint = 't/p'): string[][] {
  const modules = (Array.isArray(src) ? src : [src]).map((text, i) => ({ file: `m${i}.rego`, text }));
  return inputPaths(planRego(modules, [entrypoint]))[entrypoint] ?? [];
}

function evaluate(src: string | string[], entrypoint: string, input: unknown, data: object = {}): unknown {
  const modules = (Array.isArray(src) ? src : [src]).map((text, i) => ({ file: `m${i}.rego`, text }));
  const wasm = buildPolicyWasm(planRego(modules, [entrypoint]));
  const policy = loadPolicySync(wasm, importedMemoryMinPages(wasm), sdkHostBuiltins as never);
  policy.setData(data);
  beginEvaluation();
  return policy.evaluate(input, entrypoint);
}

/** The reported paths, after checking that pruning to them keeps the result on `input`. */
function checked(src: string | string[], input: unknown, data: object = {}, entrypoint = 't/p'): string[][] {
  const paths = pathsOf(src, entrypoint);
  expect(evaluate(src, entrypoint, pruneInput(input, paths), data)).toEqual(evaluate(src, entrypoint, input, data));
  return paths;
}

const pkg = (body: string): string => `package t\n\n${body}\n`;
const user = { user: { name: 'ann', role: 'admin', groups: ['a', 'b'] }, headers: { 'x-a': '1', 'x-b': '2' }, other: { big: 'x'.repeat(50) } };

describe('input paths: static references are exact', () => {
  test('a nested field', () => {
    expect(checked(pkg('p if input.user.role == "admin"'), user)).toEqual([['user', 'role']]);
  });

  test('a field through a local variable and a rule', () => {
    const src = pkg('u := input.user\n\np if {\n\tx := u\n\tx.role == "admin"\n\tx.name == "ann"\n}');
    expect(checked(src, user)).toEqual([['user', 'name'], ['user', 'role']]);
  });

  test('a field through a function argument and its result', () => {
    const src = pkg('role_of(u) := u.role\n\nwho(x) := x\n\np := role_of(who(input.user))');
    expect(checked(src, user)).toEqual([['user', 'role']]);
  });

  test('keys that are not identifiers, and keys with dots, are single segments', () => {
    const src = pkg('p if {\n\tinput.headers["x-a"] == "1"\n\tnot input["a.b"]\n}');
    expect(checked(src, { ...user, 'a.b': true })).toEqual([['a.b'], ['headers', 'x-a']]);
  });

  test('a policy that never reads the input needs none of it', () => {
    expect(checked(pkg('p := 1'), user)).toEqual([]);
  });

  test('each entrypoint has its own paths', () => {
    const src = pkg('p if input.user.name\n\nq if input.headers["x-b"]');
    const plan = planRego([{ file: 'm.rego', text: src }], ['t/p', 't/q']);
    expect(inputPaths(plan)).toEqual({ 't/p': [['user', 'name']], 't/q': [['headers', 'x-b']] });
  });

  test('existence checks keep the node; a read below it is enough', () => {
    // `claims` is a rule whose value aliases input.token.payload; only sub is read.
    const src = pkg('claims := input.token.payload\n\np if claims.sub == "x"');
    expect(checked(src, { token: { payload: { sub: 'x', secret: 'y' } } })).toEqual([['token', 'payload', 'sub']]);
  });
});

describe('input paths: a dynamic read reads the subtree', () => {
  const cases: [string, string, unknown, string[][]][] = [
    ['a variable key', 'p if {\n\tsome k\n\tinput.headers[k] == "2"\n}', user, [['headers']]],
    ['a key from data', 'p if input.headers[data.k] == "1"', user, [['headers']]],
    ['an array index', 'p := input.user.groups[0]', user, [['user', 'groups']]],
    ['iteration', 'p contains g if some g in input.user.groups', user, [['user', 'groups']]],
    ['every', 'p if every g in input.user.groups { g != "z" }', user, [['user', 'groups']]],
    ['count', 'p := count(input.headers)', user, [['headers']]],
    ['a comprehension', 'p := {k | input.headers[k]}', user, [['headers']]],
    ['comparing a whole object', 'p if input.user == {"name": "ann"}', user, [['user']]],
    ['walk(input)', 'p contains path if walk(input, [path, "ann"])', user, [[]]],
    ['input passed whole to a builtin', 'p := object.union(input, {"x": 1})', user, [[]]],
    ['json.filter on input', 'p := json.filter(input, ["user/name"])', user, [[]]],
    ['input passed whole to a function', 'f(x) := count(x)\n\np := f(input)', user, [[]]],
    ['input as a value', 'p := input', user, [[]]],
    ['a subtree as the result', 'p := input.user', user, [['user']]],
    ['a subtree stored in a collection', 'p := [input.headers]', user, [['headers']]],
    ['a value printed into a string', 'p := sprintf("%v", [input.user.name])', user, [['user', 'name']]],
    ['with on input', 'q if input.user.role == "admin"\n\np if q with input.user as {"role": "admin"}', user, [['user']]],
    ['with replacing the input', 'q if input.x == 1\n\np if q with input as {"x": 1}', user, [[]]],
    ['with data taking an input value', 'q if data.d == "ann"\n\np if q with data.d as input.user.name', user, [['user', 'name']]],
  ];
  test.each(cases)('%s', (_name, body, input, want) => {
    // Reading more than needed is allowed; reading less is not: the subtree must be covered.
    const got = checked(pkg(body), input);
    expect(got).toEqual(want);
  });

  test('a dynamic call over rule sets follows every rule it can reach', () => {
    const rules = 'package rules\n\na := input.x\n\nb := input.y\n';
    const src = [rules, pkg('p := data.rules[input.kind]')];
    const got = checked(src, { kind: 'b', x: 1, y: 2, z: 3 });
    expect(got).toEqual(expect.arrayContaining([['kind'], ['x'], ['y']]));
    expect(got).not.toContainEqual(['z']);
    expect(got).not.toContainEqual([]);
  });

  test('a rule defined twice compares its values: both are read whole', () => {
    const src = pkg('p := input.user.name if input.user.role\n\np := input.other.big if input.user.role');
    expect(checked(src, { user: { name: 'x', role: true }, other: { big: 'x' } })).toEqual([['other', 'big'], ['user', 'name'], ['user', 'role']]);
  });

  test('object.get with a constant key reads that key, or nothing when it is absent', () => {
    const src = pkg('p if {\n\tparams := object.get(input, "parameters", {})\n\tobject.get(params, "tlsOptional", false) == true\n}');
    const input = { parameters: { tlsOptional: true, other: 'x'.repeat(20) }, review: { object: { big: 'y' } } };
    expect(checked(src, input)).toEqual([['parameters', 'tlsOptional']]);
    expect(checked(src, { review: {} })).toEqual([['parameters', 'tlsOptional']]);
    expect(checked(src, { parameters: 'not an object' })).toEqual([['parameters', 'tlsOptional']]);
    // A key from the input: the object whole.
    expect(checked(pkg('p := object.get(input.m, input.k, 0)'), { m: { x: 1, y: 2 }, k: 'x' })).toEqual([['k'], ['m']]);
  });

  test('object.get with a constant path reads along the path', () => {
    const src = pkg('p := object.get(input, ["parameters", "allowedRoles"], [])');
    const input = { parameters: { allowedRoles: ['a'], other: 1 }, review: { big: 'x' } };
    expect(checked(src, input)).toEqual([['parameters', 'allowedRoles']]);
    expect(checked(src, { parameters: 'x' })).toEqual([['parameters', 'allowedRoles']]);
    expect(checked(pkg('p := object.get(input.a, [], 0)'), { a: { b: 1 }, c: 2 })).toEqual([['a']]);
    // A path that is not all constant strings: the object whole.
    expect(checked(pkg('p := object.get(input, ["a", input.k], 0)'), { a: { b: 1, c: 2 }, k: 'b' })).toEqual([[]]);
    expect(checked(pkg('p := object.get(input, ["a", 1], 0)'), { a: { b: 1 } })).toEqual([[]]);
  });

  test('the default of object.get flows on like any value', () => {
    const src = pkg('p := object.get(data.d, "k", input.fallback).name');
    expect(checked(src, { fallback: { name: 'n', other: 1 } })).toEqual([['fallback', 'name']]);
  });

  test('a local reused by a sibling body aliases only what that body assigned', () => {
    // OPA's planner numbers locals per function, so the two bodies of `m` share local numbers:
    // `input.cc` in the first and a literal array handed to a builtin in the second.
    const src = pkg(
      'm(b) if input.cc.s == b.s\n\nm(b) if input.cc.f in object.get(b, "sha256", [])\n\n' +
        'p if {\n\tb := data.bindings[input.token.cid]\n\tnot m(b)\n}',
    );
    const input = { cc: { s: 'a', f: 'b', pem: 'x'.repeat(40) }, token: { cid: 'c1', sub: 's' } };
    const data = { bindings: { c1: { s: 'z', sha256: ['q'] } } };
    expect(checked(src, input, data)).toEqual([['cc', 'f'], ['cc', 's'], ['token', 'cid']]);
  });

  test('a lookup whose value is never used still needs the key to exist', () => {
    const src = pkg('p if {\n\t_ = input.user.nick\n}\n\nq if {\n\tx := input.other.big\n\tinput.user.name == "ann"\n}');
    expect(checked(src, { ...user, user: { ...user.user, nick: 'a' } })).toEqual([['user', 'nick']]);
    expect(checked(src, user)).toEqual([['user', 'nick']]);
    expect(checked(src, user, {}, 't/q')).toEqual([['other', 'big'], ['user', 'name']]);
    expect(checked(src, { user: user.user }, {}, 't/q')).toEqual([['other', 'big'], ['user', 'name']]);
  });

  test('a function called with many argument patterns is analysed soundly', () => {
    const calls = Array.from({ length: 20 }, (_, i) => `r${i} := f(input.k${i})`).join('\n\n');
    const all = Array.from({ length: 20 }, (_, i) => `r${i}`).join(', ');
    // Past 16 patterns the arguments are read whole rather than followed.
    const src = pkg(`f(x) := x.v\n\n${calls}\n\np := [${all}]`);
    const input = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, { v: i, w: 'other' }]));
    const got = checked(src, input);
    expect(got).toEqual(expect.arrayContaining([['k0', 'v'], ['k19']]));
  });

  test('a missing path is reported and its absence preserved', () => {
    const src = pkg('default p := "none"\n\np := input.user.nick');
    expect(checked(src, user)).toEqual([['user', 'nick']]);
  });
});

describe('pruneInput', () => {
  test('keeps the named subtrees and the objects on the way, nothing else', () => {
    const input = { a: { b: { c: 1, d: [1, 2] }, e: 2 }, f: 'x' };
    expect(pruneInput(input, [['a', 'b']])).toEqual({ a: { b: { c: 1, d: [1, 2] } } });
    expect(pruneInput(input, [['a', 'b', 'd'], ['f']])).toEqual({ a: { b: { d: [1, 2] } }, f: 'x' });
    expect(pruneInput(input, [['a', 'zz']])).toEqual({ a: {} });
    expect(pruneInput(input, [])).toEqual({});
  });

  test('the whole input when [] is among the paths; non-objects on the way stay whole', () => {
    const input = { a: [{ b: 1 }, 2], s: 'text' };
    expect(pruneInput(input, [[], ['a']])).toBe(input);
    expect(pruneInput(input, [['a', 'b'], ['s', 'length']])).toEqual(input);
    expect(pruneInput('scalar', [['a']])).toBe('scalar');
  });

  test('client-chosen keys such as __proto__ are ordinary keys', () => {
    const input = JSON.parse('{"__proto__": {"x": 1}, "constructor": 2, "y": 3}') as Record<string, unknown>;
    const out = pruneInput(input, [['__proto__', 'x'], ['constructor']]) as Record<string, unknown>;
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"x":1},"constructor":2}');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  test("a name Object.prototype has is kept only when it is the input's own key", () => {
    const paths = [['__proto__', 'x'], ['constructor'], ['toString', 'x'], ['hasOwnProperty'], ['a']];
    const plain = pruneInput({ a: 1 }, paths) as Record<string, unknown>;
    expect(Object.keys(plain)).toEqual(['a']);
    expect(JSON.stringify(plain)).toBe('{"a":1}');
    const own = JSON.parse('{"constructor": "c", "toString": {"x": 1, "y": 2}, "hasOwnProperty": false}') as unknown;
    expect(JSON.stringify(pruneInput(own, paths))).toBe('{"constructor":"c","toString":{"x":1},"hasOwnProperty":false}');
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { constructor: 'c' });
    expect(JSON.stringify(pruneInput(bare, paths))).toBe('{"constructor":"c"}');
  });

  test('falsy values are kept; an undefined value is left out, as JSON leaves it out', () => {
    const input = { a: 0, b: '', c: false, d: null, e: undefined };
    const out = pruneInput(input, [['a'], ['b'], ['c'], ['d'], ['e']]) as Record<string, unknown>;
    expect(out).toStrictEqual({ a: 0, b: '', c: false, d: null });
    expect(JSON.stringify(out)).toBe(JSON.stringify(input));
  });

  test('a subtree kept whole is the same object, not a copy', () => {
    const b = { c: { d: 1 } };
    expect((pruneInput({ a: { b, x: 1 } }, [['a', 'b']]) as { a: { b: unknown } }).a.b).toBe(b);
  });

  test('inputSelector is pruneInput with the trie built once', () => {
    const select = inputSelector([['a', 'b']]);
    expect(select({ a: { b: 1, c: 2 } })).toEqual({ a: { b: 1 } });
    const all = { a: 1 };
    expect(inputSelector([[]])(all)).toBe(all);
  });
});

describe('the build reports the input paths', () => {
  const src = pkg('p if input.user.role == "admin"\n\nq := count(input.headers)');

  test('in the build result, the bundle manifest (metadata.input_paths) and a custom section of policy.wasm', () => {
    const r = build({ sources: [{ file: 't.rego', text: src }], entrypoints: ['t/p', 't/q'] });
    const want = { 't/p': [['user', 'role']], 't/q': [['headers']] };
    expect(r.inputPaths).toEqual(want);
    expect(readBundle(r.bundle).manifest.metadata).toEqual({ input_paths: want });
    expect(readInputPathsSection(r.bytes)).toEqual(want);
    // The section changes nothing the engine sees: the module still loads and evaluates.
    const policy = loadPolicySync(r.bytes, importedMemoryMinPages(r.bytes), sdkHostBuiltins as never);
    expect(policy.evaluate({ user: { role: 'admin' } }, 't/p')).toEqual([{ result: true }]);
    // A plan build has no wasm, but the manifest carries the paths.
    expect(readBundle(build({ sources: [{ file: 't.rego', text: src }], entrypoints: ['t/p'], target: 'plan' }).bundle).manifest.metadata).toEqual({ input_paths: { 't/p': [['user', 'role']] } });
  });

  test('`rego-wasm build` prints them per entrypoint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'input-paths-'));
    try {
      writeFileSync(join(dir, 't.rego'), `${src}\nr := input\n\ns := input.headers["x-a"]\n\nu := 1\n`);
      const out: string[] = [];
      const code = runCli(['build', '-e', 't/p', '-e', 't/r', '-e', 't/s', '-e', 't/u', '-o', join(dir, 'b.tar.gz'), dir], { out: (t) => out.push(t), err: () => undefined });
      expect(code).toBe(0);
      expect(out.slice(1)).toEqual(['  t/p reads input user.role', '  t/r reads input (whole)', '  t/s reads input headers["x-a"]', '  t/u reads input (none)']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a module without the section, or with a damaged one, has no paths (the host then passes the whole input)', () => {
    const plain = buildPolicyWasm(planRego([{ file: 't.rego', text: src }], ['t/p']));
    expect(readInputPathsSection(plain)).toBeUndefined();
    const good = build({ sources: [{ file: 't.rego', text: src }], entrypoints: ['t/p'] }).bytes;
    const cut = good.slice(0, good.length - 3);
    expect(readInputPathsSection(cut)).toBeUndefined();
    const bent = Uint8Array.from(good);
    bent[bent.length - 2] = 0x7b; // no longer JSON
    expect(readInputPathsSection(bent)).toBeUndefined();
    const wrongShape = appendInputPathsSection(plain, { 't/p': 'user' as unknown as string[][] });
    expect(readInputPathsSection(wrongShape)).toBeUndefined();
    expect(readInputPathsSection(new Uint8Array([1, 2, 3]))).toBeUndefined();
    // A section length running past the end is refused, not read out of bounds.
    expect(readInputPathsSection(Uint8Array.from([...plain.slice(0, 8), 0, 0xff, 0xff, 0xff, 0xff, 0x0f]))).toBeUndefined();
  });
});
