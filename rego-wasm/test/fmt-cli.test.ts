/**
 * `rego-wasm fmt` on the command line, with opa fmt's flags: the bin on the repository's
 * policies is a no-op; stdin; directories recurse over *.rego; -l/-d/--fail/-w and their exit
 * codes; atomic writes that leave unchanged files alone; parse errors with file:row:col.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../src/cli/main';

const REPO = resolve(__dirname, '..', '..');
const BIN = join(REPO, 'rego-wasm', 'bin', 'rego-wasm.js');

const UGLY = 'package acme\nallow if {\n    input.user == "alice"\n}\n';
const PRETTY = 'package acme\n\nallow if {\n\tinput.user == "alice"\n}\n';
const V0 = 'package legacy\n\nallow {\n\tinput.user == "alice"\n}\n';

function bin(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cli(argv: string[], stdin = ''): { code: number; out: string; err: string[] } {
  let out = '';
  const err: string[] = [];
  const code = runCli(argv, { out: (t) => (out += `${t}\n`), err: (t) => err.push(t), write: (t) => (out += t), stdin: () => stdin });
  return { code, out, err };
}

describe('the bin on the repository', () => {
  test('fmt --list --fail policies (npm run policy:fmt) is a no-op: nothing listed, exit 0', () => {
    const r = bin(['fmt', '--list', '--fail', 'policies']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });

  test('stdin without a path: the formatted module on stdout', () => {
    const r = bin(['fmt'], UGLY);
    expect(r.stdout).toBe(PRETTY);
    expect(r.code).toBe(0);
  });

  test('a syntax error on stdin: file:row:col on stderr, exit 1', () => {
    const r = bin(['fmt'], 'package p\n\nallow if {\n');
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^stdin:\d+:\d+: rego_parse_error: /m);
    expect(r.code).toBe(1);
  });
});

describe('fmt on files and directories', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rego-fmt-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'a.rego'), UGLY);
    writeFileSync(join(dir, 'sub', 'b.rego'), PRETTY.replace('acme', 'acme.b'));
    writeFileSync(join(dir, 'notes.txt'), 'not rego {');
    writeFileSync(join(dir, 'c.rego.bak'), 'not rego {');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('prints the formatted files of a directory, recursing over *.rego only', () => {
    const r = cli(['fmt', dir]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(PRETTY + PRETTY.replace('acme', 'acme.b'));
  });

  test('--list names the files that would change; with --fail it exits 2', () => {
    expect(cli(['fmt', '-l', dir])).toEqual({ code: 0, out: `${join(dir, 'a.rego')}\n`, err: [] });
    const r = cli(['fmt', '--list', '--fail', dir]);
    expect(r.out).toBe(`${join(dir, 'a.rego')}\n`);
    expect(r.code).toBe(2);
  });

  test('--fail alone prints nothing on stdout and exits 2 when a file would change, 0 when none would', () => {
    const r = cli(['fmt', '--fail', dir]);
    expect(r.out).toBe('');
    expect(r.err).toEqual([`${join(dir, 'a.rego')}: unexpected diff`]);
    expect(r.code).toBe(2);
    expect(cli(['fmt', '--fail', join(dir, 'sub')]).code).toBe(0);
  });

  test('--diff (-d, not eval\'s --data) prints a unified diff of the files that would change', () => {
    const r = cli(['fmt', '-d', dir]);
    expect(r.code).toBe(0);
    const file = join(dir, 'a.rego');
    expect(r.out).toContain(`--- ${file}\toriginal\n+++ ${file}\tformatted\n`);
    expect(r.out).toContain('-    input.user == "alice"\n+\tinput.user == "alice"\n');
    expect(r.out).not.toContain('acme.b');
  });

  test('--write replaces a changed file by rename (a new inode, same mode) and leaves unchanged files untouched', () => {
    const a = join(dir, 'a.rego');
    const b = join(dir, 'sub', 'b.rego');
    chmodSync(a, 0o640);
    const past = new Date('2020-01-01T00:00:00Z');
    utimesSync(b, past, past);
    const inodeA = statSync(a).ino;
    const r = cli(['fmt', '-w', dir]);
    expect(r).toEqual({ code: 0, out: '', err: [] });
    expect(readFileSync(a, 'utf8')).toBe(PRETTY);
    expect(statSync(a).ino).not.toBe(inodeA);
    expect(statSync(a).mode & 0o777).toBe(0o640);
    expect(statSync(b).mtime.getTime()).toBe(past.getTime());
    expect(readdirSync(dir).sort()).toEqual(['a.rego', 'c.rego.bak', 'notes.txt', 'sub']);
  });

  test('--write through a symbolic link replaces its target and keeps the link; linked directories are not walked', () => {
    const target = join(dir, 'sub', 'target.rego');
    writeFileSync(target, UGLY);
    symlinkSync(target, join(dir, 'link.rego'));
    symlinkSync(join(dir, 'sub'), join(dir, 'linked-dir'));
    const r = cli(['fmt', '-l', dir]);
    expect(r.out.split('\n').filter(Boolean).sort()).toEqual([join(dir, 'a.rego'), join(dir, 'link.rego'), join(dir, 'sub', 'target.rego')]);
    expect(cli(['fmt', '-w', join(dir, 'link.rego')]).code).toBe(0);
    expect(lstatSync(join(dir, 'link.rego')).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe(PRETTY);
  });

  test('a syntax error: file:row:col, exit 1, and the file is left as it was', () => {
    const bad = join(dir, 'a.rego');
    writeFileSync(bad, 'package p\n\nallow if {\n\tinput.x ==\n}\n');
    const r = cli(['fmt', '-w', dir]);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: rego_parse_error: `));
    expect(readFileSync(bad, 'utf8')).toBe('package p\n\nallow if {\n\tinput.x ==\n}\n');
  });

  test('v0 source: a v1 parse error with a hint without --v0-compatible; formatted as v0 with it', () => {
    const f = join(dir, 'legacy.rego');
    writeFileSync(f, V0.replace('\t', '  '));
    const r = cli(['fmt', f]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`${f}:3:1: rego_parse_error: \`if\` keyword is required before rule body`, `${f}: hint: the file parses as Rego v0; format it with --v0-compatible`]);
    expect(cli(['fmt', '--v0-compatible', f])).toEqual({ code: 0, out: V0, err: [] });
  });

  test('a path that is not a .rego file is skipped (as opa fmt); a missing path is an error', () => {
    expect(cli(['fmt', join(dir, 'notes.txt')])).toEqual({ code: 0, out: '', err: [] });
    const r = cli(['fmt', join(dir, 'missing')]);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/^error: .*missing/);
  });

  test('unknown flags are usage errors (exit 2)', () => {
    const r = cli(['fmt', '--data', 'x', dir]);
    expect(r.code).toBe(2);
    expect(r.err[0]).toBe('error: fmt does not take --data');
  });
});
