/**
 * `build --compiler opa`: use a real `opa` binary from PATH (never downloaded) and extract
 * `/policy.wasm` (or `/plan.json`) from the bundle it writes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PLAN_FILE, WASM_FILE, untar } from '../package/bundle';
import { SourceError, normaliseEntrypoint, readManifestEntrypoints } from '../sources';

export class OpaBinaryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpaBinaryError';
  }
}

function opaOnPath(): boolean {
  const r = spawnSync('opa', ['version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

/** The `build` flags `opa` is given (the same flags, passed through). */
export interface OpaBuildCommand {
  paths: readonly string[];
  target: 'wasm' | 'plan';
  out: string;
  entrypoints: readonly string[];
  bundle: boolean;
  ignore: readonly string[];
  capabilities?: string;
  regoVersion?: 0 | 1;
  revision?: string;
}

/**
 * `build --compiler opa`: runs `opa build` with the same flags and writes its output to `out`
 * (a `.wasm` / `.json` name receives `/policy.wasm` / `/plan.json` extracted from the bundle, as
 * with the built-in compiler). Entrypoints default to `<dir>/manifest.json`.
 */
export function buildWithOpaCommand(c: OpaBuildCommand): Uint8Array {
  if (!opaOnPath()) {
    throw new OpaBinaryError('--compiler opa: no `opa` binary found on PATH (install OPA, or drop --compiler to use the built-in compiler)');
  }
  const entrypoints = (c.entrypoints.length > 0 ? c.entrypoints : readManifestEntrypoints(c.paths[0])).map(normaliseEntrypoint);
  const tmp = mkdtempSync(join(tmpdir(), 'opa-build-'));
  try {
    const bundlePath = join(tmp, 'bundle.tar.gz');
    const args = ['build', '-t', c.target, ...entrypoints.flatMap((e) => ['-e', e]), '-o', bundlePath, '--ignore', '*_test.rego', '--ignore', 'build'];
    for (const g of c.ignore) args.push('--ignore', g);
    if (c.bundle) args.push('-b');
    if (c.capabilities !== undefined) args.push('--capabilities', c.capabilities);
    if (c.regoVersion === 0) args.push('--v0-compatible');
    if (c.revision !== undefined) args.push('--revision', c.revision);
    args.push(...c.paths);
    const r = spawnSync('opa', args, { encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new OpaBinaryError(`opa build failed:\n${(r.stderr || r.stdout || String(r.error)).trim()}`);
    const gz = new Uint8Array(readFileSync(bundlePath));
    let bytes: Uint8Array = gz;
    if (c.out.endsWith(c.target === 'wasm' ? '.wasm' : '.json')) {
      const want = c.target === 'wasm' ? WASM_FILE : PLAN_FILE;
      const file = untar(gunzipSync(gz)).get(want);
      if (!file) throw new SourceError(`opa build produced no ${want} in its bundle`);
      bytes = file;
    }
    mkdirSync(dirname(c.out), { recursive: true });
    writeFileSync(c.out, bytes);
    return bytes;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
