/**
 * Policy CLI: argument parsing, build (plan target, determinism, manifest), error reporting
 * and exit codes, test discovery and report format, eval query wrapping, and one spawn of the
 * real script. End-to-end eval/test on the Wasm runtime live in cli-wasm.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../src/build';
import { formatEval, wrapTermExpressions } from '../src/cli/eval';
import { UsageError } from '../src/errors';
import { parseArgs, runCli } from '../src/cli/main';
import { findRegoFiles, loadDataDir, normaliseEntrypoint, readManifestEntrypoints, SourceError } from '../src/sources';
import { discoverTests, formatTestReport } from '../src/cli/test-runner';
import { isCallExpr, operatorName, parseModule, parseQuery, termToString } from '../src/parse';

const POLICY = `package acme.authz

default allow := false

allow if input.user == "alice"

decision := {"allow": allow}
`;

const POLICY_TEST = `package acme.authz_test

import data.acme.authz

test_alice_allowed if authz.allow with input as {"user": "alice"}

test_bob_denied if not authz.allow with input as {"user": "bob"}

todo_test_later if false
`;

let dir: string;

function write(rel: string, text: string): void {
  const p = join(dir, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
}

function capture(argv: string[]): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out, err };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-test-'));
  write('authz.rego', POLICY);
  write('authz_test.rego', POLICY_TEST);
  write('manifest.json', JSON.stringify({ entrypoints: ['acme/authz/decision', 'acme/authz/allow'] }));
  write('data.json', JSON.stringify({ roles: { admin: ['alice'] } }));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('cli: arguments', () => {
  test('build defaults as opa build does: output bundle.tar.gz (target wasm here, where opa defaults to rego)', () => {
    expect(parseArgs(['build', 'policies'])).toEqual({
      cmd: 'build',
      paths: ['policies'],
      target: 'wasm',
      out: 'bundle.tar.gz',
      entrypoints: [],
      bundle: false,
      ignore: [],
      capabilities: undefined,
      regoVersion: undefined,
      revision: undefined,
      compiler: 'builtin',
    });
  });

  test("opa's build flags: -t -e -o -b --ignore --capabilities --v0-compatible --revision; a repeated -o: the last wins", () => {
    const b = parseArgs(['build', '-t', 'plan', '-e', 'a/b', '-o', 'x.tar.gz', '-b', '--ignore', '*.json', '--ignore=tmp', '--capabilities', 'c.json', '--v0-compatible', '--revision', 'r1', 'p1', 'p2', '-o', 'y.tar.gz']);
    expect(b).toEqual({
      cmd: 'build',
      paths: ['p1', 'p2'],
      target: 'plan',
      out: 'y.tar.gz',
      entrypoints: ['a/b'],
      bundle: true,
      ignore: ['*.json', 'tmp'],
      capabilities: 'c.json',
      regoVersion: 0,
      revision: 'r1',
      compiler: 'builtin',
    });
  });

  test('check and test take paths; eval takes -b <bundle> (a value), build and check take -b alone', () => {
    expect(parseArgs(['check', 'a', 'b', '-b', '--v0-compatible'])).toEqual({ cmd: 'check', paths: ['a', 'b'], bundle: true, ignore: [], capabilities: undefined, regoVersion: 0 });
    expect(parseArgs(['eval', 'data.x', '-b', 'bundle.tar.gz'])).toMatchObject({ cmd: 'eval', bundles: ['bundle.tar.gz'], data: [] });
    expect(parseArgs(['test', 'p', 'q', '--ignore', 'x_*'])).toMatchObject({ cmd: 'test', paths: ['p', 'q'], ignore: ['x_*'] });
    expect(parseArgs(['build', 'p', '--help'])).toEqual({ cmd: 'help' });
  });

  test('repeated -e and -d collect values; --flag=value works', () => {
    const b = parseArgs(['build', 'p', '-e', 'a/b', '--entrypoint=c/d', '--target', 'plan', '-o', 'x.json']);
    expect(b).toMatchObject({ entrypoints: ['a/b', 'c/d'], target: 'plan', out: 'x.json' });
    const e = parseArgs(['eval', 'data.x', '-d', 'a.json', '-d', 'dir', '-i', 'in.json', '--format', 'pretty']);
    expect(e).toEqual({ cmd: 'eval', query: 'data.x', data: ['a.json', 'dir'], bundles: [], input: 'in.json', format: 'pretty', ignore: [], regoVersion: undefined });
  });

  test('test takes -v and a --run regex', () => {
    const t = parseArgs(['test', 'policies', '-v', '--run', 'alice']);
    expect(t.cmd === 'test' && [t.verbose, t.run?.source]).toEqual([true, 'alice']);
  });

  test('bad usage is a UsageError', () => {
    expect(() => parseArgs(['build'])).toThrow(UsageError);
    expect(() => parseArgs(['build', 'p', '--target', 'js'])).toThrow('--target must be wasm or plan');
    expect(() => parseArgs(['eval', 'x', '--bogus'])).toThrow('unknown flag --bogus');
    expect(() => parseArgs(['test', 'p', '-e', 'x'])).toThrow('test does not take --entrypoint');
    expect(() => parseArgs(['frobnicate'])).toThrow('unknown command frobnicate');
    expect(() => parseArgs(['test', 'p', '--run', '('])).toThrow(UsageError);
  });

  test('usage errors exit 2 and print the usage', () => {
    const r = capture(['build']);
    expect(r.code).toBe(2);
    expect(r.err[0]).toBe('error: build needs at least one <path>');
    expect(r.err[1]).toMatch(/^usage:/);
  });
});

describe('cli: sources', () => {
  test('rego files are found sorted, named relative to the dir, tests excluded unless asked', () => {
    write('sub/b.rego', 'package b\nx := 1\n');
    write('build/ignored.rego', 'package ignored\n');
    expect(findRegoFiles(dir).map((f) => f.file)).toEqual(['authz.rego', 'sub/b.rego']);
    expect(findRegoFiles(dir, { includeTests: true }).map((f) => f.file)).toEqual([
      'authz.rego',
      'authz_test.rego',
      'sub/b.rego',
    ]);
  });

  test('data.json files are mounted at their directory path', () => {
    write('acme/data.json', JSON.stringify({ limits: { max: 3 } }));
    expect(loadDataDir(dir)).toEqual({ roles: { admin: ['alice'] }, acme: { limits: { max: 3 } } });
  });

  test('conflicting data documents are an error, not a silent overwrite', () => {
    write('roles/data.json', JSON.stringify({ admin: ['bob'] }));
    expect(() => loadDataDir(dir)).toThrow(SourceError);
  });

  test('manifest entrypoints are read and validated', () => {
    expect(readManifestEntrypoints(dir)).toEqual(['acme/authz/decision', 'acme/authz/allow']);
    write('manifest.json', JSON.stringify({ entrypoints: [] }));
    expect(() => readManifestEntrypoints(dir)).toThrow('"entrypoints" must be a non-empty array');
  });

  test('entrypoints may be written as data refs', () => {
    expect(normaliseEntrypoint('data.acme.authz.allow')).toBe('acme/authz/allow');
    expect(normaliseEntrypoint('/acme/authz/allow')).toBe('acme/authz/allow');
  });
});

describe('cli: build', () => {
  test('plan target: one plan per manifest entrypoint, files named relative to the dir', () => {
    const { bytes, entrypoints, files } = build({ paths: [dir], target: 'plan', entrypoints: [] });
    const plan = JSON.parse(new TextDecoder().decode(bytes)) as {
      plans: { plans: { name: string }[] };
      static: { files: { value: string }[] };
    };
    expect(entrypoints).toEqual(['acme/authz/decision', 'acme/authz/allow']);
    expect(files).toEqual(['authz.rego']);
    expect(plan.plans.plans.map((p) => p.name)).toEqual(['acme/authz/decision', 'acme/authz/allow']);
    expect(plan.static.files.map((f) => f.value)).toContain('authz.rego');
  });

  test('same sources give the same bytes, wherever they live', () => {
    const a = build({ paths: [dir], target: 'plan', entrypoints: ['acme/authz/allow'] }).bytes;
    const other = mkdtempSync(join(tmpdir(), 'cli-test-copy-'));
    try {
      writeFileSync(join(other, 'authz.rego'), POLICY);
      const b = build({ paths: [other], target: 'plan', entrypoints: ['acme/authz/allow'] }).bytes;
      expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('-o plan.json writes the plan alone', () => {
    const out = join(dir, 'build', 'plan.json');
    const r = capture(['build', dir, '--target', 'plan', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^wrote .*build\/plan\.json/);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toHaveProperty('plans');
  });

  test('parse errors print file:row:col: code: message and exit 2', () => {
    write('broken.rego', 'package broken\n\nallow {\n  true\n}\n');
    const r = capture(['build', dir, '--target', 'plan', '-o', join(dir, 'plan.json')]);
    expect(r.code).toBe(2);
    expect(r.err).toEqual(['broken.rego:3:1: rego_parse_error: `if` keyword is required before rule body']);
  });

  test('errors from several files are all printed', () => {
    write('b1.rego', 'package b1\np { true }\n');
    write('b2.rego', 'package b2\nq := 01\n');
    const r = capture(['build', dir, '--target', 'plan']);
    expect(r.code).toBe(2);
    expect(r.err.map((l) => l.split(':')[0])).toEqual(['b1.rego', 'b2.rego']);
  });

  test('no -e, no entrypoint annotation and no manifest is a clear error naming the three ways', () => {
    rmSync(join(dir, 'manifest.json'));
    const r = capture(['build', dir, '--target', 'plan']);
    expect(r.code).toBe(2);
    expect(r.err[0]).toBe(
      'error: no entrypoints: give -e <rule path>, annotate a rule or package with "# METADATA" "entrypoint: true", or list "entrypoints" in manifest.json',
    );
  });

  test('--compiler opa without an opa binary on PATH fails with a clear message', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const r = capture(['build', dir, '--compiler', 'opa']);
      expect(r.code).toBe(2);
      expect(r.err[0]).toMatch(/no `opa` binary found on PATH/);
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('cli: test discovery and report', () => {
  test('test_* rules become entrypoints named by package path; todo_test_* are skipped', () => {
    const mods = [parseModule(POLICY, 'authz.rego'), parseModule(POLICY_TEST, 'authz_test.rego')];
    expect(discoverTests(mods).map((t) => [t.name, t.entrypoint, t.todo])).toEqual([
      ['data.acme.authz_test.test_alice_allowed', 'acme/authz_test/test_alice_allowed', false],
      ['data.acme.authz_test.test_bob_denied', 'acme/authz_test/test_bob_denied', false],
      ['data.acme.authz_test.todo_test_later', 'acme/authz_test/todo_test_later', true],
    ]);
    expect(discoverTests(mods, /bob/).map((t) => t.name)).toEqual(['data.acme.authz_test.test_bob_denied']);
  });

  test('the report ends with `N passed, N failed`', () => {
    const text = formatTestReport(
      {
        results: [
          { name: 'data.a.test_x', file: 'a_test.rego', row: 3, status: 'PASS', ms: 1 },
          { name: 'data.a.test_y', file: 'a_test.rego', row: 5, status: 'FAIL', ms: 1, detail: 'undefined' },
        ],
        passed: 1,
        failed: 1,
        skipped: 0,
      },
      false,
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('data.a.test_x: PASS [a_test.rego:3]');
    expect(lines[1]).toBe('data.a.test_y: FAIL [a_test.rego:5] — got undefined');
    expect(lines[lines.length - 1]).toBe('1 passed, 1 failed');
  });
});

describe('cli: eval query handling', () => {
  test('plain-term expressions are captured as __exprN__ = term; calls are left alone', () => {
    const q = parseQuery('data.acme.authz.decision; x := 1');
    const { body, wrapped } = wrapTermExpressions(q);
    expect([...wrapped.entries()]).toEqual([[0, '__expr0__']]);
    expect(isCallExpr(body[0]) && body[0].terms.map(termToString)).toEqual(['eq', '__expr0__', 'data.acme.authz.decision']);
    expect(isCallExpr(body[1]) && operatorName(body[1].terms[0])).toBe('assign');
  });

  test('calls with a result get the capture var as output argument (OPA rewriteQueryToCaptureValue)', () => {
    const arity = (op: string): number | undefined => (op === 'gt' ? 2 : op === 'count' ? 1 : undefined);
    const { body, wrapped } = wrapTermExpressions(parseQuery('1 > 2; print(1); count([1], n)'), arity);
    expect([...wrapped.entries()]).toEqual([[0, '__expr0__']]);
    expect(isCallExpr(body[0]) && body[0].terms.map(termToString)).toEqual(['gt', '1', '2', '__expr0__']);
    expect(isCallExpr(body[2]) && body[2].terms.length).toBe(3);
  });

  test('pretty output shows a single value directly, and undefined as `undefined`', () => {
    expect(formatEval({ result: [{ expressions: [{ value: { a: 1 }, text: 'data.x' }] }] }, 'pretty')).toBe('{\n  "a": 1\n}');
    expect(formatEval({}, 'pretty')).toBe('undefined');
    expect(formatEval({}, 'json')).toBe('{}');
  });
});

describe('cli: script', () => {
  test('`tsx rego-wasm/src/cli/main.ts build --target plan` runs as a process', () => {
    const r = spawnSync(
      process.execPath,
      [require.resolve('tsx/cli'), join(__dirname, '..', 'src', 'cli', 'main.ts'), 'build', dir, '--target', 'plan', '-e', 'acme/authz/allow', '-o', join(dir, 'out.json')],
      { encoding: 'utf8', timeout: 60000 },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/wrote .*out\.json/);
    expect(JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')).plans.plans[0].name).toBe('acme/authz/allow');
  });

  test('a parse error in the spawned script exits 2 with the location on stderr', () => {
    write('broken.rego', 'package broken\nallow { true }\n');
    const r = spawnSync(
      process.execPath,
      [require.resolve('tsx/cli'), join(__dirname, '..', 'src', 'cli', 'main.ts'), 'build', dir, '--target', 'plan'],
      { encoding: 'utf8', timeout: 60000 },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('broken.rego:2:1: rego_parse_error: `if` keyword is required before rule body');
  });
});
