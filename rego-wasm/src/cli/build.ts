/**
 * `build <dir> [--target wasm|plan] [-o out] [-e entrypoint...] [--compiler opa]`
 *
 * Compiles every `*.rego` under `<dir>` except `*_test.rego` for the entrypoints given with
 * `-e` or listed in `<dir>/manifest.json`, and writes `<dir>/build/policy.wasm` (or plan.json).
 * Same sources → same bytes: files are read in sorted order and named relative to `<dir>`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildWithOpa } from './opa-binary';
import { compileSources, planForEntrypoints, wasmFromPlan } from './pipeline';
import { SourceError, findRegoFiles, normaliseEntrypoint, readManifestEntrypoints } from './sources';

export type BuildTarget = 'wasm' | 'plan';

export interface BuildCommandOptions {
  dir: string;
  target: BuildTarget;
  /** Output file; default `<dir>/build/policy.wasm` or `<dir>/build/plan.json`. */
  out?: string;
  /** Entrypoints (`a/b/p`); default from `<dir>/manifest.json`. */
  entrypoints: string[];
  compiler: 'builtin' | 'opa';
}

export interface BuildResult {
  out: string;
  bytes: Uint8Array;
  entrypoints: string[];
  files: string[];
}

/** The bytes `build` would write (no file system writes). */
export function buildBytes(opts: BuildCommandOptions): Omit<BuildResult, 'out'> {
  const entrypoints = (opts.entrypoints.length > 0 ? opts.entrypoints : readManifestEntrypoints(opts.dir)).map(normaliseEntrypoint);
  const sources = findRegoFiles(opts.dir);
  if (sources.length === 0) throw new SourceError(`${opts.dir}: no .rego files to build`);
  const files = sources.map((s) => s.file);
  if (opts.compiler === 'opa') return { bytes: buildWithOpa(opts.dir, opts.target, entrypoints), entrypoints, files };
  const policy = compileSources(sources);
  const plan = planForEntrypoints(policy, entrypoints);
  const bytes = opts.target === 'plan' ? new TextEncoder().encode(`${JSON.stringify(plan, null, 2)}\n`) : wasmFromPlan(plan);
  return { bytes, entrypoints, files };
}

export function defaultOutput(dir: string, target: BuildTarget): string {
  return join(dir, 'build', target === 'wasm' ? 'policy.wasm' : 'plan.json');
}

export function runBuild(opts: BuildCommandOptions): BuildResult {
  const result = buildBytes(opts);
  const out = opts.out ?? defaultOutput(opts.dir, opts.target);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, result.bytes);
  return { ...result, out };
}

/**
 * Programmatic `policy:build`: compiles `<dir>` (entrypoints from `<dir>/manifest.json` unless
 * given) and writes `<dir>/build/policy.wasm` (or `opts.out`). Throws RegoError/RegoErrors on
 * compile errors, SourceError on missing files or a bad manifest.
 */
export function buildPolicyDir(
  dir: string,
  opts: { entrypoints?: string[]; target?: BuildTarget; out?: string } = {},
): BuildResult {
  return runBuild({ dir, target: opts.target ?? 'wasm', out: opts.out, entrypoints: opts.entrypoints ?? [], compiler: 'builtin' });
}
