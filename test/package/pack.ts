/**
 * Helpers to test a workspace package the way a consumer gets it: `npm pack`
 * the workspace (its `prepack` builds dist/), install ONLY that tarball into a
 * fresh folder (production dependencies, from the npm cache when it has
 * them), then run its bins and code from there. Used for rego-wasm; reusable
 * for any workspace (e.g. the CDK construct package).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command; throws with its output when it does not exit 0 (unless `allowFailure`). */
export function run(cmd: string, args: readonly string[], cwd: string, opts: { allowFailure?: boolean; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, [...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...opts.env },
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  const result = { status: r.status, stdout: r.stdout, stderr: r.stderr };
  if (!opts.allowFailure && r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  }
  return result;
}

/** `npm pack` of a workspace (e.g. `rego-wasm`) into `destination`; returns the tarball's path. */
export function packWorkspace(workspace: string, destination: string): string {
  const r = run(NPM, ['pack', '--workspace', workspace, '--pack-destination', destination, '--json'], REPO_ROOT);
  const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  return join(destination, info.filename);
}

/** The files in a package tarball, relative to the package root. */
export function tarballFiles(tarball: string): string[] {
  return run('tar', ['-tzf', tarball], REPO_ROOT)
    .stdout.split('\n')
    .filter((l) => l.length > 0 && !l.endsWith('/'))
    .map((l) => l.replace(/^package\//, ''))
    .sort();
}

/** A fresh consumer project with only `tarball` installed (production dependencies). */
export function installTarball(tarball: string, prefix = 'pack-consumer-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  run(NPM, ['install', '--omit=dev', '--prefer-offline', '--no-package-lock', tarball], dir);
  return dir;
}

/** Makes a folder tree read-only (as node_modules is in a Lambda or a locked-down image). */
export function makeReadOnly(path: string): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const name of readdirSync(path)) makeReadOnly(join(path, name));
    chmodSync(path, 0o555);
  } else {
    chmodSync(path, 0o444);
  }
}

/**
 * Every file and folder under `path` with its size and modification time: two
 * equal snapshots mean nothing was written there (root ignores read-only modes,
 * so tests compare snapshots as well).
 */
export function treeSnapshot(path: string): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    const st = statSync(p);
    out.push(`${p} ${st.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`);
    if (st.isDirectory()) for (const name of readdirSync(p).sort()) walk(join(p, name));
  };
  walk(path);
  return out;
}

/** Undoes makeReadOnly so the folder can be removed. */
export function removeTree(path: string): void {
  const writable = (p: string): void => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) return;
    chmodSync(p, st.isDirectory() ? 0o755 : 0o644);
    if (st.isDirectory()) for (const name of readdirSync(p)) writable(join(p, name));
  };
  writable(path);
  rmSync(path, { recursive: true, force: true });
}

/** `npx <bin> ...args` inside a consumer folder. */
export function npx(dir: string, args: readonly string[], opts: { allowFailure?: boolean } = {}): RunResult {
  return run(NPX, ['--no', '--', ...args], dir, opts);
}
