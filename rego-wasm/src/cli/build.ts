/**
 * `build <path>... [-t wasm|plan] [-o out] [-e entrypoint]... [--compiler opa]`
 *
 * Compiles every `*.rego` under the paths except `*_test.rego` for the entrypoints given with
 * `-e` or listed in `<dir>/manifest.json`, and writes `<dir>/build/policy.wasm` (or plan.json).
 * Same sources → same bytes: files are read in sorted order and named relative to `<dir>`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build, type BuildTarget } from '../build';
import { normaliseEntrypoint, readManifestEntrypoints } from '../sources';
import { buildWithOpa } from './opa-binary';

export interface BuildCommandOptions {
  dir: string;
  target: BuildTarget;
  /** Output file; default `<dir>/build/policy.wasm` or `<dir>/build/plan.json`. */
  out?: string;
  /** Entrypoints (`a/b/p`); default from `<dir>/manifest.json`. */
  entrypoints: string[];
  compiler: 'builtin' | 'opa';
}

function defaultOutput(dir: string, target: BuildTarget): string {
  return join(dir, 'build', target === 'wasm' ? 'policy.wasm' : 'plan.json');
}

export interface BuildCommandResult {
  out: string;
  bytes: Uint8Array;
  entrypoints: string[];
  files: string[];
}

export function runBuild(opts: BuildCommandOptions): BuildCommandResult {
  const out = opts.out ?? defaultOutput(opts.dir, opts.target);
  if (opts.compiler === 'opa') {
    const entrypoints = (opts.entrypoints.length > 0 ? opts.entrypoints : readManifestEntrypoints(opts.dir)).map(normaliseEntrypoint);
    const bytes = buildWithOpa(opts.dir, opts.target, entrypoints);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, bytes);
    return { out, bytes, entrypoints, files: [] };
  }
  const r = build({ target: opts.target, paths: [opts.dir], entrypoints: opts.entrypoints, outfile: out });
  return { out, bytes: r.bytes, entrypoints: r.entrypoints, files: r.files };
}
