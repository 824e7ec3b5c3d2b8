/**
 * Policy CLI end to end on the Wasm runtime: build → policy.wasm loaded by the unmodified OPA
 * SDK; eval prints opa-eval-shaped results; test passes/fails rules with `with` mocks and data.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../src/build';
import { runEval } from '../src/cli/eval';
import { runCli } from '../src/cli/main';
import { runTests } from '../src/cli/test-runner';
import { loadPolicyWasmSync } from '../src/load';
import { importedMemoryMinPages } from '../src/package';

const POLICY = `package acme.authz

default allow := false

allow if input.user in data.roles.admin

allow if {
  input.user == "carol"
  input.method == "GET"
}

decision := {"allow": allow, "user": input.user}
`;

const POLICY_TEST = `package acme.authz_test

import data.acme.authz

test_admin_allowed if authz.allow with input as {"user": "alice"}

test_reader_get_allowed if authz.allow with input as {"user": "carol", "method": "GET"}

test_reader_post_denied if not authz.allow with input as {"user": "carol", "method": "POST"}

test_mocked_roles if authz.allow with input as {"user": "zed"} with data.roles.admin as ["zed"]

test_this_one_fails if authz.allow with input as {"user": "mallory"}
`;

let dir: string;

function write(rel: string, text: string): void {
  const p = join(dir, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-wasm-'));
  write('authz.rego', POLICY);
  write('authz_test.rego', POLICY_TEST);
  write('data.json', JSON.stringify({ roles: { admin: ['alice', 'bob'] } }));
  write('manifest.json', JSON.stringify({ entrypoints: ['acme/authz/decision'] }));
  write('input.json', JSON.stringify({ user: 'bob' }));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('cli on the wasm runtime', () => {
  test('build writes a policy.wasm the OPA SDK loads and evaluates', () => {
    const out: string[] = [];
    expect(runCli(['build', dir, '-o', join(dir, 'build', 'policy.wasm')], { out: (t) => out.push(t), err: (t) => out.push(t) })).toBe(0);
    const wasm = readFileSync(join(dir, 'build', 'policy.wasm'));
    const decide = (user: string): unknown => {
      const policy = loadPolicyWasmSync(wasm, { initialMemoryPages: importedMemoryMinPages(wasm) });
      policy.setData({ roles: { admin: ['alice'] } });
      return policy.evaluate({ user }, 'acme/authz/decision');
    };
    expect(decide('alice')).toEqual([{ result: { allow: true, user: 'alice' } }]);
    expect(decide('eve')).toEqual([{ result: { allow: false, user: 'eve' } }]);
  });

  test('wasm builds are byte-identical for identical sources', () => {
    const opts = { paths: [dir], target: 'wasm' as const };
    expect(Buffer.from(build(opts).bytes).equals(Buffer.from(build(opts).bytes))).toBe(true);
  });

  test('eval reports the value of a ref query like opa eval', () => {
    const r = runEval({ query: 'data.acme.authz.decision', data: [dir], input: join(dir, 'input.json'), format: 'json' });
    expect(r).toEqual({ result: [{ expressions: [{ value: { allow: true, user: 'bob' }, text: 'data.acme.authz.decision' }] }] });
  });

  test('eval reports bindings of query variables', () => {
    const r = runEval({ query: 'x := data.roles.admin[_]', data: [join(dir, 'data.json')], format: 'json' });
    expect(r.result?.map((row) => row.bindings)).toEqual([{ x: 'alice' }, { x: 'bob' }]);
  });

  test('eval of a single expression reports false values, like opa eval', () => {
    expect(runEval({ query: 'data.acme.authz.allow', data: [dir], format: 'json' })).toEqual({
      result: [{ expressions: [{ value: false, text: 'data.acme.authz.allow' }] }],
    });
    expect(runEval({ query: '1 > 2', data: [], format: 'json' })).toEqual({ result: [{ expressions: [{ value: false, text: '1 > 2' }] }] });
  });

  test('eval of an undefined query, or a false condition among several expressions, prints {}', () => {
    expect(runEval({ query: 'input.missing', data: [dir], format: 'json' })).toEqual({});
    expect(runEval({ query: 'x := 1; 1 > 2', data: [], format: 'json' })).toEqual({});
  });

  /** A scratch dir of its own, so the shared policy dir stays as the other tests expect. */
  function scratch(files: Record<string, string>): string {
    const d = mkdtempSync(join(tmpdir(), 'cli-wasm-x-'));
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(join(d, rel, '..'), { recursive: true });
      writeFileSync(join(d, rel), text);
    }
    return d;
  }

  test('eval loads a single .rego file with -d and pretty-prints bindings', () => {
    const d = scratch({ 'f.rego': 'package extra\n\ndouble(x) := x * 2\n' });
    try {
      const out: string[] = [];
      const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
      expect(runCli(['eval', 'y := data.extra.double(21)', '-d', join(d, 'f.rego'), '--format', 'pretty'], io)).toBe(0);
      expect(JSON.parse(out.join('\n'))).toEqual({ y: 42 });
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  test('eval with a compile error prints file:row:col and exits 2', () => {
    const d = scratch({ 'b.rego': 'package bad\n\np if {\n  x := 1\n  x := 2\n}\n' });
    try {
      const err: string[] = [];
      const code = runCli(['eval', 'data.bad.p', '-d', d], { out: () => undefined, err: (t) => err.push(t) });
      expect(code).toBe(2);
      expect(err[0]).toMatch(/b\.rego:5:3: rego_compile_error: var x assigned above/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  test('a test whose evaluation errors is reported as ERROR and counted as failed', () => {
    const d = scratch({ 'e_test.rego': 'package e_test\n\nf(x) := 1 if x\nf(x) := 2 if x\n\ntest_conflict if f(true) == 1\n\ntest_ok if true\n' });
    try {
      const report = runTests({ paths: [d], verbose: true });
      expect(report.results.map((r) => r.status)).toEqual(['ERROR', 'PASS']);
      expect(report.results[0].detail).toMatch(/conflict|multiple outputs/);
      expect([report.passed, report.failed]).toEqual([1, 1]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  test('test runs every test_* rule with with-mocks and data.json; failures are reported', () => {
    const report = runTests({ paths: [dir] });
    const status = Object.fromEntries(report.results.map((r) => [r.name.split('.').pop(), r.status]));
    expect(status).toEqual({
      test_admin_allowed: 'PASS',
      test_reader_get_allowed: 'PASS',
      test_reader_post_denied: 'PASS',
      test_mocked_roles: 'PASS',
      test_this_one_fails: 'FAIL',
    });
    expect([report.passed, report.failed]).toEqual([4, 1]);
  });

  test('test exits 1 when a test fails, 0 when the selection passes; last line counts them', () => {
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
    expect(runCli(['test', dir], io)).toBe(1);
    expect(out.join('\n').split('\n').pop()).toBe('4 passed, 1 failed');
    out.length = 0;
    expect(runCli(['test', dir, '--run', 'allowed|denied'], io)).toBe(0);
    expect(out.join('\n').split('\n').pop()).toBe('3 passed, 0 failed');
  });
});
