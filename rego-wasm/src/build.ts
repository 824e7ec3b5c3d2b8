/**
 * The toolchain end to end, shaped like esbuild's `build()`: the options are
 * the CLI's flags (`rego-wasm build`), so a script and the command line say
 * the same thing. Rego sources → plan → policy.wasm (or the plan JSON), and
 * `loadRego` goes one step further to a policy loaded with the OPA SDK.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { planRego, type RegoSource } from './frontend';
import type { Policy } from './ir/plan';
import { loadPolicyWasm, type LoadedPolicy, type LoadOptions } from './load';
import { buildPolicyWasm } from './package';
import { SourceError, findRegoFiles, normaliseEntrypoint, readManifestEntrypoints } from './sources';

/** `-t`: OPA's build targets. */
export type BuildTarget = 'wasm' | 'plan';

export interface BuildOptions {
  /** `-t/--target`: `wasm` (default) or `plan` (OPA's IR plan JSON, as `opa build -t plan`). */
  target?: BuildTarget;
  /**
   * `-e/--entrypoint`: rule paths (`acme/authz/decision` or `data.acme.authz.decision`).
   * Default: the `entrypoints` of `manifest.json` in the first of `paths`.
   */
  entrypoints?: readonly string[];
  /** The positional arguments: directories or `.rego` files (`*_test.rego` files are left out). */
  paths?: readonly string[];
  /** Modules given in memory, compiled together with those read from `paths`. */
  sources?: readonly RegoSource[];
  /** `-o/--output`: also write the output to this file. */
  outfile?: string;
}

export interface BuildResult {
  target: BuildTarget;
  /** What `outfile` receives: policy.wasm bytes, or the plan as indented JSON. */
  bytes: Uint8Array;
  plan: Policy;
  /** Entrypoints in the normal form `a/b/p`, in order (their index is the SDK's entrypoint id). */
  entrypoints: string[];
  /** The modules compiled, by the name they carry in locations. */
  files: string[];
  outfile?: string;
}

function entrypointsOf(opts: BuildOptions): string[] {
  if (opts.entrypoints && opts.entrypoints.length > 0) return opts.entrypoints.map(normaliseEntrypoint);
  const first = opts.paths?.[0];
  if (first === undefined) throw new SourceError('no entrypoints: give entrypoints (-e), or a directory with a manifest.json');
  return readManifestEntrypoints(first).map(normaliseEntrypoint);
}

/**
 * Builds the policy. Throws RegoErrors on compile errors (each `file:row:col`),
 * SourceError on missing files or a bad manifest, PackageError when the plan
 * cannot be packaged.
 */
export function build(opts: BuildOptions): BuildResult {
  const entrypoints = entrypointsOf(opts);
  const sources: RegoSource[] = [...(opts.paths ?? []).flatMap((p) => findRegoFiles(p)), ...(opts.sources ?? [])];
  if (sources.length === 0) throw new SourceError(`${(opts.paths ?? []).join(', ') || 'build'}: no .rego files to build`);
  const plan = planRego(sources, entrypoints);
  const target = opts.target ?? 'wasm';
  const bytes = target === 'plan' ? new TextEncoder().encode(`${JSON.stringify(plan, null, 2)}\n`) : buildPolicyWasm(plan);
  if (opts.outfile !== undefined) {
    mkdirSync(dirname(opts.outfile), { recursive: true });
    writeFileSync(opts.outfile, bytes);
  }
  return { target, bytes, plan, entrypoints, files: sources.map((s) => s.file), outfile: opts.outfile };
}

/** Rego sources → policy.wasm → a policy loaded with the OPA SDK and this package's host builtins, in one call. */
export async function loadRego(opts: Omit<BuildOptions, 'target'> & LoadOptions): Promise<LoadedPolicy> {
  const { bytes } = build({ ...opts, target: 'wasm' });
  return loadPolicyWasm(bytes, opts);
}
