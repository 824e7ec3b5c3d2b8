/**
 * The toolchain end to end, shaped like esbuild's `build()`: the options are
 * the flags of `rego-wasm build` (which mirrors `opa build`), so a script and
 * the command line say the same thing. Rego sources → plan → policy.wasm (or
 * the plan JSON) → an OPA bundle; `loadRego` goes one step further to a
 * policy loaded with the OPA SDK.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkCapabilities, hostProvidedBuiltins, readCapabilities, type Capabilities } from './builtins/capabilities';
import { planRego, type RegoSource } from './frontend';
import type { CompileOptions } from './compile';
import type { Policy } from './ir/plan';
import { loadPolicyWasm, type LoadedPolicy, type LoadOptions } from './load';
import { buildPolicyWasm } from './package';
import { WASM_FILE, writeBundle, type BundleManifest } from './package/bundle';
import { type JsonValue, SourceError, findRegoFiles, loadDataDir, mergeAt, normaliseEntrypoint, readJsonFile, readManifestEntrypoints } from './sources';

/** `-t`: the build targets of `opa build` this toolchain produces. */
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
  /**
   * `-o/--output`: write the result here. A name ending in `.wasm` (target wasm) or `.json`
   * (target plan) receives the module or plan alone; any other name receives the OPA bundle
   * (`bundle.tar.gz`, laid out as `opa build` writes it).
   */
  outfile?: string;
  /** `-b/--bundle`: `paths` are bundle directories; their `.manifest` (revision, roots, rego_version) is read. */
  bundle?: boolean;
  /** `--ignore`: globs of file and directory names to leave out. */
  ignore?: readonly string[];
  /** `--capabilities`: an OPA capabilities JSON file, or one already parsed. */
  capabilities?: string | Capabilities;
  /** `--v0-compatible` → 0. Default: the bundle manifest's `rego_version`, else 1. */
  regoVersion?: 0 | 1;
  /** `--revision`: the bundle manifest's revision (default: from the bundle's `.manifest`, else empty). */
  revision?: string;
}

export interface BuildResult {
  target: BuildTarget;
  /** policy.wasm bytes, or the plan as indented JSON. */
  bytes: Uint8Array;
  /** The OPA bundle (`bundle.tar.gz`) holding `bytes`, `/data.json` and `/.manifest`. */
  bundle: Uint8Array;
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

export function readBundleManifest(dir: string): BundleManifest | undefined {
  const path = join(dir, '.manifest');
  if (!existsSync(path)) return undefined;
  const m = readJsonFile(path);
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new SourceError(`${path}: must be a JSON object`);
  const { rego_version: v, file_rego_versions: files, revision } = m;
  if (v !== undefined && v !== 0 && v !== 1) throw new SourceError(`${path}: rego_version must be 0 or 1`);
  if (revision !== undefined && typeof revision !== 'string') throw new SourceError(`${path}: revision must be a string`);
  if (files !== undefined && (typeof files !== 'object' || files === null || Array.isArray(files) || !Object.values(files).every((x) => x === 0 || x === 1))) {
    throw new SourceError(`${path}: file_rego_versions must map paths to 0 or 1`);
  }
  return m as unknown as BundleManifest;
}

/** Rego version of the build: the flag, else the bundle manifests (any v0 file makes it 0). */
export function regoVersionOf(opts: Pick<BuildOptions, 'regoVersion'>, manifests: readonly BundleManifest[]): 0 | 1 {
  if (opts.regoVersion !== undefined) return opts.regoVersion;
  for (const m of manifests) {
    if (m.rego_version === 0) return 0;
    if (Object.values(m.file_rego_versions ?? {}).includes(0)) return 0;
  }
  return 1;
}

/**
 * Builds the policy. Throws RegoErrors on compile errors (each `file:row:col`),
 * SourceError on missing files or a bad manifest, PackageError when the plan
 * cannot be packaged.
 */
export function build(opts: BuildOptions): BuildResult {
  const entrypoints = entrypointsOf(opts);
  const paths = opts.paths ?? [];
  const sources: RegoSource[] = [...paths.flatMap((p) => findRegoFiles(p, { ignore: opts.ignore })), ...(opts.sources ?? [])];
  if (sources.length === 0) throw new SourceError(`${paths.join(', ') || 'build'}: no .rego files to build`);
  const data: { [k: string]: JsonValue } = {};
  const manifests: BundleManifest[] = [];
  for (const p of paths) {
    if (!statSync(p).isDirectory()) continue;
    mergeAt(data, [], loadDataDir(p, opts.ignore), p);
    const m = opts.bundle ? readBundleManifest(p) : undefined;
    if (m) manifests.push(m);
  }
  const caps = typeof opts.capabilities === 'string' ? readCapabilities(opts.capabilities) : opts.capabilities;
  const compileOptions: CompileOptions = { regoVersion: regoVersionOf(opts, manifests) };
  if (caps) compileOptions.extraBuiltins = hostProvidedBuiltins(caps);
  const plan = planRego(sources, entrypoints, compileOptions);
  if (caps) checkCapabilities(plan, caps);
  const target = opts.target ?? 'wasm';
  const bytes =
    target === 'plan'
      ? new TextEncoder().encode(`${JSON.stringify(plan, null, 2)}\n`)
      : buildPolicyWasm(plan, { extraHostBuiltins: Object.keys(compileOptions.extraBuiltins ?? {}) });
  const base = manifests[0];
  const manifest: BundleManifest = {
    revision: opts.revision ?? base?.revision ?? '',
    roots: base?.roots ?? [''],
    wasm: target === 'wasm' ? entrypoints.map((entrypoint) => ({ entrypoint, module: WASM_FILE })) : undefined,
  };
  if (base?.rego_version !== undefined) manifest.rego_version = base.rego_version;
  if (base?.file_rego_versions !== undefined) manifest.file_rego_versions = base.file_rego_versions;
  if (base?.metadata !== undefined) manifest.metadata = base.metadata;
  const bundle = writeBundle({ data, manifest, ...(target === 'wasm' ? { wasm: bytes } : { plan: bytes }) });
  if (opts.outfile !== undefined) {
    const bare = target === 'wasm' ? opts.outfile.endsWith('.wasm') : opts.outfile.endsWith('.json');
    if (opts.outfile.endsWith(target === 'wasm' ? '.json' : '.wasm')) {
      throw new SourceError(`${opts.outfile}: target ${target} writes ${target === 'wasm' ? 'a .wasm module' : 'a .json plan'} or a bundle (.tar.gz)`);
    }
    mkdirSync(dirname(opts.outfile), { recursive: true });
    writeFileSync(opts.outfile, bare ? bytes : bundle);
  }
  return { target, bytes, bundle, plan, entrypoints, files: sources.map((s) => s.file), outfile: opts.outfile };
}

/** Rego sources → policy.wasm → a policy loaded with the OPA SDK and this package's host builtins, in one call. */
export async function loadRego(opts: Omit<BuildOptions, 'target'> & LoadOptions): Promise<LoadedPolicy> {
  const { bytes } = build({ ...opts, target: 'wasm' });
  return loadPolicyWasm(bytes, opts);
}

