/**
 * The command line shaped like `opa`: build writes an OPA bundle laid out as
 * `opa build -t wasm` writes it, check reports compile errors without
 * building, --ignore / --capabilities / --v0-compatible / -b behave as OPA
 * documents them, and the bundle module reads what it writes (and refuses
 * hostile archives).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { runCli } from '../src/cli/main';
import { runEval } from '../src/cli/eval';
import { BundleError, readBundle, tar, untar, writeBundle } from '../src/package/bundle';
import { loadPolicyWasm } from '../src/load';

const AUTHZ = `package acme.authz

default allow := false

allow if input.user in data.roles.admin
`;

let dir: string;

function write(rel: string, text: string): void {
  const p = join(dir, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
}

function cli(argv: string[]): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out, err };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-opa-'));
  write('src/authz.rego', AUTHZ);
  write('src/data.json', JSON.stringify({ roles: { admin: ['alice'] } }));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('build -t wasm writes an OPA bundle', () => {
  test('entries /data.json, /policy.wasm, /.manifest (leading /, mode 0600, in that order) with the wasm entrypoints', () => {
    const out = join(dir, 'bundle.tar.gz');
    expect(cli(['build', '-t', 'wasm', '-e', 'acme/authz/allow', '-o', out, join(dir, 'src')]).code).toBe(0);
    // GNU tar reads it (an independent reader), with OPA's names and modes.
    const listing = execFileSync('tar', ['-tzvf', out], { encoding: 'utf8' }).trim().split('\n');
    expect(listing.map((l) => l.split(/\s+/).at(-1))).toEqual(['/data.json', '/policy.wasm', '/.manifest']);
    expect(listing.every((l) => l.startsWith('-rw-------'))).toBe(true);
    const b = readBundle(readFileSync(out));
    expect(b.manifest).toEqual({
      revision: '',
      roots: [''],
      wasm: [{ entrypoint: 'acme/authz/allow', module: '/policy.wasm' }],
      metadata: { input_paths: { 'acme/authz/allow': [['user']] } },
    });
    expect(b.data).toEqual({ roles: { admin: ['alice'] } });
    const files = untar(gunzipSync(readFileSync(out)));
    expect(new TextDecoder().decode(files.get('/.manifest'))).toBe('{"revision":"","roots":[""],"wasm":[{"entrypoint":"acme/authz/allow","module":"/policy.wasm"}],"metadata":{"input_paths":{"acme/authz/allow":[["user"]]}}}');
    expect(new TextDecoder().decode(files.get('/data.json'))).toBe('{"roles":{"admin":["alice"]}}\n');
  });

  test('loadable the way users load an OPA bundle: extract /policy.wasm and /data.json, then the SDK', async () => {
    const out = join(dir, 'bundle.tar.gz');
    cli(['build', '-e', 'acme/authz/allow', '-o', out, join(dir, 'src')]);
    const files = untar(gunzipSync(readFileSync(out)));
    const policy = await loadPolicyWasm(files.get('/policy.wasm')!);
    policy.setData(JSON.parse(new TextDecoder().decode(files.get('/data.json'))) as object);
    expect(policy.evaluate({ user: 'alice' }, 'acme/authz/allow')).toEqual([{ result: true }]);
    expect(policy.evaluate({ user: 'eve' }, 'acme/authz/allow')).toEqual([{ result: false }]);
  });

  test('same sources, same bundle bytes; -t plan puts /plan.json in the bundle and lists no wasm entrypoints', () => {
    const a = join(dir, 'a.tar.gz');
    const b = join(dir, 'b.tar.gz');
    cli(['build', '-e', 'acme/authz/allow', '-o', a, join(dir, 'src')]);
    cli(['build', '-e', 'acme/authz/allow', '-o', b, join(dir, 'src')]);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    const p = join(dir, 'p.tar.gz');
    expect(cli(['build', '-t', 'plan', '-e', 'acme/authz/allow', '-o', p, join(dir, 'src')]).code).toBe(0);
    const bundle = readBundle(readFileSync(p));
    expect(bundle.wasm).toBeUndefined();
    expect(bundle.manifest.wasm).toBeUndefined();
    expect(JSON.parse(new TextDecoder().decode(bundle.plan)).plans.plans[0].name).toBe('acme/authz/allow');
  });

  test('-b reads the bundle directory .manifest: its revision and roots are kept; --revision overrides', () => {
    write('src/.manifest', JSON.stringify({ revision: 'r42', roots: ['acme', 'roles'] }));
    const out = join(dir, 'bundle.tar.gz');
    expect(cli(['build', '-b', '-e', 'acme/authz/allow', '-o', out, join(dir, 'src')]).code).toBe(0);
    expect(readBundle(readFileSync(out)).manifest).toMatchObject({ revision: 'r42', roots: ['acme', 'roles'] });
    cli(['build', '-b', '--revision', 'r43', '-e', 'acme/authz/allow', '-o', out, join(dir, 'src')]);
    expect(readBundle(readFileSync(out)).manifest.revision).toBe('r43');
  });
});

describe('--ignore, --v0-compatible, --capabilities', () => {
  test('--ignore leaves out files whose name matches the glob (a broken file no longer fails the build)', () => {
    write('src/scratch_broken.rego', 'package broken\np {');
    const out = join(dir, 'policy.wasm');
    expect(cli(['build', '-e', 'acme/authz/allow', '-o', out, join(dir, 'src')]).code).toBe(2);
    expect(cli(['build', '--ignore', 'scratch_*', '-e', 'acme/authz/allow', '-o', out, join(dir, 'src')]).code).toBe(0);
  });

  test('--v0-compatible parses v0 (build, check, test, eval); without it a v0 file is a v1 parse error', () => {
    write('v0/rbac.rego', 'package rbac\n\ndefault allow = false\n\nallow { input.user == "alice" }\n');
    write('v0/rbac_test.rego', 'package rbac\n\ntest_alice { allow with input.user as "alice" }\n');
    const out = join(dir, 'policy.wasm');
    expect(cli(['build', '-e', 'rbac/allow', '-o', out, join(dir, 'v0')]).err.join('\n')).toMatch(/rbac\.rego:5:\d+: rego_parse_error/);
    expect(cli(['build', '--v0-compatible', '-e', 'rbac/allow', '-o', out, join(dir, 'v0')]).code).toBe(0);
    expect(cli(['check', '--v0-compatible', join(dir, 'v0')])).toEqual({ code: 0, out: [], err: [] });
    expect(cli(['test', '--v0-compatible', join(dir, 'v0')]).code).toBe(0);
    write('in.json', JSON.stringify({ user: 'alice' }));
    const r = runEval({ query: 'data.rbac.allow', data: [join(dir, 'v0')], input: join(dir, 'in.json'), format: 'json', regoVersion: 0 });
    expect(r.result?.[0].expressions[0].value).toBe(true);
  });

  test('a mixed bundle: file_rego_versions versions each file, rego_version the rest (not the whole build v0)', () => {
    // v0 file: a partial set without `contains`; v1 file: `contains` and `if` without importing them.
    write('b/old/legacy.rego', 'package mixed\n\nroles["admin"] { input.user == "alice" }\n');
    write('b/new/modern.rego', 'package mixed\n\nroles contains "reader" if input.user == "alice"\n');
    write('b/.manifest', JSON.stringify({ rego_version: 0, file_rego_versions: { '/new/modern.rego': 1 } }));
    const out = join(dir, 'policy.wasm');
    const r = cli(['build', '-b', '-e', 'mixed/roles', '-o', out, join(dir, 'b')]);
    expect(r).toMatchObject({ code: 0, err: [] });
    expect(cli(['check', '-b', join(dir, 'b')])).toEqual({ code: 0, out: [], err: [] });
    write('in.json', JSON.stringify({ user: 'alice' }));
    const e = runEval({ query: 'data.mixed.roles', data: [], bundles: [join(dir, 'b')], input: join(dir, 'in.json'), format: 'json' });
    expect(e.result?.[0].expressions[0].value).toEqual(['admin', 'reader']);
    // Keys are globs over the slash-rooted bundle path, as OPA's (`*` crosses `/`).
    write('b/.manifest', JSON.stringify({ file_rego_versions: { '*/legacy.rego': 0 } }));
    expect(cli(['build', '-b', '-e', 'mixed/roles', '-o', out, join(dir, 'b')]).code).toBe(0);
    // Without -b the .manifest is not read (as opa build): the v0 file is a v1 parse error.
    expect(cli(['build', '-e', 'mixed/roles', '-o', out, join(dir, 'b')]).err.join('\n')).toMatch(/legacy\.rego:3:\d+: rego_parse_error/);
  });

  test("the bundle's .manifest wins over --v0-compatible, as in OPA (rego_version 1 keeps v1 syntax v1)", () => {
    write('b/modern.rego', 'package m\n\nroles contains "reader" if input.user == "alice"\n');
    write('b/.manifest', JSON.stringify({ rego_version: 1 }));
    const out = join(dir, 'policy.wasm');
    expect(cli(['build', '-b', '--v0-compatible', '-e', 'm/roles', '-o', out, join(dir, 'b')])).toMatchObject({ code: 0, err: [] });
    // Without the manifest the flag applies: `contains` is not a keyword in v0 without the import.
    rmSync(join(dir, 'b/.manifest'));
    expect(cli(['build', '-b', '--v0-compatible', '-e', 'm/roles', '-o', out, join(dir, 'b')]).code).toBe(2);
  });

  test('--capabilities: a builtin the host provides compiles with its declared signature and is imported by name', async () => {
    write('src/lookup.rego', 'package acme.lookup\n\nowner := acme.owner_of(input.id)\n');
    const caps = { builtins: [{ name: 'acme.owner_of', decl: { type: 'function', args: [{ type: 'string' }], result: { type: 'string' } } }, { name: 'eq', decl: { type: 'function', args: [{ type: 'any' }, { type: 'any' }], result: { type: 'boolean' } } }, { name: 'internal.member_2', decl: { type: 'function', args: [{ type: 'any' }, { type: 'any' }], result: { type: 'boolean' } } }] };
    write('caps.json', JSON.stringify(caps));
    const out = join(dir, 'policy.wasm');
    // Without the capabilities file the builtin is unknown, as in OPA.
    const unknown = cli(['build', '-e', 'acme/lookup/owner', '-o', out, join(dir, 'src')]);
    expect(unknown.code).toBe(2);
    expect(unknown.err.join('\n')).toMatch(/lookup\.rego:3:\d+: rego_type_error: undefined function acme\.owner_of/);
    expect(cli(['build', '--capabilities', join(dir, 'caps.json'), '-e', 'acme/lookup/owner', '-o', out, join(dir, 'src')]).code).toBe(0);
    // The declared signature is checked: a number argument is a type error.
    write('src/lookup.rego', 'package acme.lookup\n\nowner := acme.owner_of(1)\n');
    expect(cli(['check', '--capabilities', join(dir, 'caps.json'), join(dir, 'src')]).err.join('\n')).toMatch(/rego_type_error/);
    write('src/lookup.rego', 'package acme.lookup\n\nowner := acme.owner_of(input.id)\n');
    cli(['build', '--capabilities', join(dir, 'caps.json'), '-e', 'acme/lookup/owner', '-o', out, join(dir, 'src')]);
    // Through the SDK's own builtin mechanism (customBuiltins), by name.
    const sdk = await loadPolicy(readFileSync(out), undefined, { 'acme.owner_of': (id: unknown) => `owner-of-${String(id)}` });
    expect(sdk.evaluate({ id: 'c1' }, 'acme/lookup/owner')).toEqual([{ result: 'owner-of-c1' }]);
  });

  test('--capabilities is the whole builtin set: a builtin it does not list is undefined at its call site', () => {
    write('caps.json', JSON.stringify({ builtins: [{ name: 'eq', decl: { type: 'function', args: [{ type: 'any' }, { type: 'any' }], result: { type: 'boolean' } } }] }));
    const r = cli(['build', '--capabilities', join(dir, 'caps.json'), '-e', 'acme/authz/allow', '-o', join(dir, 'p.wasm'), join(dir, 'src')]);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([expect.stringMatching(/^authz\.rego:5:\d+: rego_type_error: undefined function internal\.member_2$/)]);
    write('bad.json', JSON.stringify({ builtins: [{ name: 'x' }] }));
    expect(cli(['check', '--capabilities', join(dir, 'bad.json'), join(dir, 'src')]).err[0]).toMatch(/bad\.json: builtins\[0\] \(x\): "decl" must be/);
  });
});

describe('base data and entrypoints', () => {
  test('a rule at a path the loaded data.json holds is a compile error (build, check, test, eval)', () => {
    write('src/acme/authz/data.json', JSON.stringify({ allow: true }));
    const out = join(dir, 'policy.wasm');
    const r = cli(['build', '-e', 'acme/authz/allow', '-o', out, join(dir, 'src')]);
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(/rego_compile_error: conflicting rule for data path acme\/authz\/allow found/);
    expect(cli(['check', join(dir, 'src')]).err.join('\n')).toMatch(/conflicting rule for data path acme\/authz\/allow found/);
    write('src/authz_test.rego', 'package acme.authz_test\n\ntest_alice if data.acme.authz.allow with input.user as "alice"\n');
    expect(cli(['test', join(dir, 'src')]).err.join('\n')).toMatch(/conflicting rule for data path acme\/authz\/allow found/);
    expect(() => runEval({ query: 'data.acme.authz.allow', data: [join(dir, 'src')], format: 'json' })).toThrow(/conflicting rule for data path/);
  });

  test('entrypoints: -e plus rules annotated `entrypoint: true`; manifest.json only when neither; none is an error', () => {
    write('ep/p.rego', 'package ep\n\n# METADATA\n# entrypoint: true\nallow if input.x == 1\n\ndeny if input.x == 2\n\nother := 3\n');
    const out = join(dir, 'p.tar.gz');
    expect(cli(['build', '-o', out, join(dir, 'ep')]).out[0]).toMatch(/entrypoints: ep\/allow\)$/);
    expect(readBundle(readFileSync(out)).manifest.wasm).toEqual([{ entrypoint: 'ep/allow', module: '/policy.wasm' }]);
    expect(cli(['build', '-e', 'ep/deny', '-o', out, join(dir, 'ep')]).out[0]).toMatch(/entrypoints: ep\/deny, ep\/allow\)$/);
    // manifest.json (this project's convention) is not consulted when an annotation gives one.
    write('ep/manifest.json', JSON.stringify({ entrypoints: ['ep/other'] }));
    expect(cli(['build', '-o', out, join(dir, 'ep')]).out[0]).toMatch(/entrypoints: ep\/allow\)$/);
    write('ep/p.rego', 'package ep\n\nallow if input.x == 1\n\nother := 3\n');
    expect(cli(['build', '-o', out, join(dir, 'ep')]).out[0]).toMatch(/entrypoints: ep\/other\)$/);
    rmSync(join(dir, 'ep/manifest.json'));
    const r = cli(['build', '-o', out, join(dir, 'ep')]);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/^error: no entrypoints: give -e <rule path>, annotate .*entrypoint: true.*manifest\.json/);
  });
});

describe('check', () => {
  test('prints nothing and exits 0 for valid sources, test files included; writes nothing', () => {
    write('src/authz_test.rego', 'package acme.authz_test\n\ntest_alice if data.acme.authz.allow with input.user as "alice"\n');
    const r = cli(['check', join(dir, 'src')]);
    expect(r).toEqual({ code: 0, out: [], err: [] });
  });

  test('reports every compile error as file:row:col without building', () => {
    write('src/a_test.rego', 'package a\n\np if { x }\n\nr if { z > 1 }\n');
    const r = cli(['check', join(dir, 'src')]);
    expect(r.code).toBe(2);
    expect(r.err).toEqual(['a_test.rego:3:8: rego_unsafe_var_error: var x is unsafe', 'a_test.rego:5:8: rego_unsafe_var_error: var z is unsafe']);
    // A parse error in any file is reported before compiling, as OPA does.
    write('src/b.rego', 'package b\n\nq := 01\n');
    expect(cli(['check', join(dir, 'src')]).err).toEqual([expect.stringMatching(/^b\.rego:3:\d+: rego_parse_error: /)]);
  });
});

describe('eval -b', () => {
  test('evaluates against a bundle.tar.gz built by build (its modules and data)', () => {
    const out = join(dir, 'bundle.tar.gz');
    const modules = new Map([['/acme/authz.rego', AUTHZ]]);
    writeFileSync(out, writeBundle({ data: { roles: { admin: ['alice'] } }, manifest: { revision: '' }, modules }));
    write('in.json', JSON.stringify({ user: 'alice' }));
    const r = runEval({ query: 'data.acme.authz.allow', data: [], bundles: [out], input: join(dir, 'in.json'), format: 'json' });
    expect(r.result?.[0].expressions[0].value).toBe(true);
  });
});

describe('bundle reader refuses hostile archives', () => {
  const gz = (files: [string, string][]): Uint8Array => gzipSync(tar(files.map(([n, t]) => [n, new TextEncoder().encode(t)] as const)));

  test('path traversal, duplicate entries, non-objects and __proto__ keys', () => {
    expect(() => readBundle(gz([['/../etc/passwd', 'x']]))).toThrow(BundleError);
    expect(() => readBundle(gz([['/data.json', '{}'], ['/data.json', '{}']]))).toThrow(/duplicate entry/);
    expect(() => readBundle(gz([['/data.json', '[1]']]))).toThrow(/root data document must be an object/);
    const b = readBundle(gz([['/data.json', '{"__proto__": {"polluted": true}}']]));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(b.data, '__proto__')).toBe(true);
    expect(() => readBundle(new TextEncoder().encode('not gzip'))).toThrow(/not a gzip archive/);
    expect(() => readBundle(gzipSync(new Uint8Array(4096).fill(1)), { maxBytes: 1024 })).toThrow(BundleError);
  });

  test('nested data.json files mount at their directory, as OPA does', () => {
    const b = readBundle(gz([['/data.json', '{"a": 1}'], ['/x/y/data.json', '{"b": 2}']]));
    expect(b.data).toEqual({ a: 1, x: { y: { b: 2 } } });
  });
});

describe('refused rather than approximated', () => {
  test('an output name that contradicts the target is an error, not a bundle named .wasm', () => {
    const r = cli(['build', '-t', 'plan', '-e', 'acme/authz/allow', '-o', join(dir, 'x.wasm'), join(dir, 'src')]);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/x\.wasm: target plan writes a \.json plan or a bundle/);
  });
});
