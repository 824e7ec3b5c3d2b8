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
import { parseRego, planRego, type RegoSource } from './frontend';
import { annotatedEntrypoints } from './compile/annotations';
import type { Module } from './parse';
import type { CompileOptions } from './compile';
import type { Policy } from './ir/plan';
import { loadPolicyWasm, type LoadedPolicy, type LoadOptions } from './load';
import { buildPolicyWasm } from './package';
import { WASM_FILE, writeBundle, type BundleManifest } from './package/bundle';
import type { SigningOptions } from './package/signing';
import { type JsonValue, SourceError, findRegoFiles, loadDataDir, mergeAt, normaliseEntrypoint, readJsonFile, readManifestEntrypoints } from './sources';

/** `-t`: the build targets of `opa build` this toolchain produces. */
export type BuildTarget = 'wasm' | 'plan';

export interface BuildOptions {
  /** `-t/--target`: `wasm` (default) or `plan` (OPA's IR plan JSON, as `opa build -t plan`). */
  target?: BuildTarget;
  /**
   * `-e/--entrypoint`: rule paths (`acme/authz/decision` or `data.acme.authz.decision`), built
   * together with the rules and packages annotated `entrypoint: true`. With neither: the
   * `entrypoints` of `manifest.json` in the first of `paths`.
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
  /**
   * `--v0-compatible` → 0: the Rego version of files no bundle `.manifest` (`-b`) versions
   * (`file_rego_versions`, then `rego_version`, win over it, as in OPA). Default 1.
   */
  regoVersion?: 0 | 1;
  /** `--revision`: the bundle manifest's revision (default: from the bundle's `.manifest`, else empty). */
  revision?: string;
  /** `--signing-key` and friends: sign the bundle (adds `/.signatures.json`, as `opa build --signing-key`). */
  signing?: SigningOptions;
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

/**
 * The entrypoints of a build, as `opa build`: the `-e` ones, then the rules and packages
 * annotated `entrypoint: true`; when there are none, this project's convention, the
 * `entrypoints` of `manifest.json` in the first of `paths`. None at all is an error.
 */
export function entrypointsOf(opts: Pick<BuildOptions, 'entrypoints' | 'paths'>, modules: readonly Module[]): string[] {
  const out = [...new Set([...(opts.entrypoints ?? []).map(normaliseEntrypoint), ...annotatedEntrypoints(modules)])];
  if (out.length > 0) return out;
  const first = opts.paths?.[0];
  if (first !== undefined && statSync(first).isDirectory() && existsSync(join(first, 'manifest.json'))) {
    return readManifestEntrypoints(first).map(normaliseEntrypoint);
  }
  throw new SourceError(
    'no entrypoints: give -e <rule path>, annotate a rule or package with "# METADATA" "entrypoint: true", or list "entrypoints" in manifest.json',
  );
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

/** `file_rego_versions` keys are globs (gobwas/glob without separators: `*` crosses `/`). */
function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      while (pattern[i + 1] === '*') i++;
      re += '.*';
    } else if (c === '?') re += '.';
    else if (c === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) throw new SourceError(`file_rego_versions: bad pattern ${JSON.stringify(pattern)}`);
      const alts = pattern.slice(i + 1, end).split(',');
      // Refused rather than matched literally: a wildcard inside an alternative.
      if (alts.some((a) => /[*?[{]/.test(a))) throw new SourceError(`file_rego_versions: pattern ${JSON.stringify(pattern)}: wildcards inside {…} are not supported`);
      re += `(?:${alts.map((a) => a.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('|')})`;
      i = end;
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new SourceError(`file_rego_versions: bad pattern ${JSON.stringify(pattern)}`);
      const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
      re += body.startsWith('!') ? `[^${body.slice(1)}]` : `[${body}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Rego version of one bundle file, as OPA's `RegoVersionForFile`: the first `file_rego_versions`
 * pattern (in sorted key order) matching its slash-rooted bundle path (`/a/b.rego`), else the
 * manifest's `rego_version`, else `def` (`--v0-compatible` → 0, else 1). The manifest wins
 * over the flag, as in OPA.
 */
export function regoVersionForFile(manifest: BundleManifest | undefined, bundlePath: string, def: 0 | 1): 0 | 1 {
  const path = bundlePath.startsWith('/') ? bundlePath : `/${bundlePath}`;
  const files = manifest?.file_rego_versions ?? {};
  for (const pattern of Object.keys(files).sort()) {
    if (globRegExp(pattern).test(path)) return files[pattern] === 0 ? 0 : 1;
  }
  if (manifest?.rego_version === 0 || manifest?.rego_version === 1) return manifest.rego_version;
  return def;
}

export interface LoadedSources {
  /** Each with its Rego version set (the flag, or with `bundle` its directory's `.manifest`). */
  sources: RegoSource[];
  /** The data.json files under the directories, merged (the base data document). */
  data: { [k: string]: JsonValue };
  /** The `.manifest` of each bundle directory that has one (with `bundle`). */
  manifests: BundleManifest[];
}

/**
 * The `.rego` and `data.json` files under `paths`, as `opa build/check/test` load them: with
 * `bundle`, each directory's `.manifest` sets the Rego version of its files.
 */
export function loadSources(
  paths: readonly string[],
  opts: { bundle?: boolean; ignore?: readonly string[]; regoVersion?: 0 | 1; includeTests?: boolean },
): LoadedSources {
  const def = opts.regoVersion ?? 1;
  const sources: RegoSource[] = [];
  const data: { [k: string]: JsonValue } = {};
  const manifests: BundleManifest[] = [];
  for (const p of paths) {
    const files = findRegoFiles(p, { ignore: opts.ignore, includeTests: opts.includeTests });
    const dir = statSync(p).isDirectory();
    const m = dir && opts.bundle ? readBundleManifest(p) : undefined;
    if (m) manifests.push(m);
    for (const f of files) sources.push({ file: f.file, text: f.text, regoVersion: regoVersionForFile(m, f.file, def) });
    if (dir) mergeAt(data, [], loadDataDir(p, opts.ignore), p);
  }
  return { sources, data, manifests };
}

/**
 * Builds the policy. Throws RegoErrors on compile errors (each `file:row:col`),
 * SourceError on missing files or a bad manifest, PackageError when the plan
 * cannot be packaged.
 */
export function build(opts: BuildOptions): BuildResult {
  const paths = opts.paths ?? [];
  const loaded = loadSources(paths, { bundle: opts.bundle, ignore: opts.ignore, regoVersion: opts.regoVersion });
  const { data, manifests } = loaded;
  const sources: RegoSource[] = [...loaded.sources, ...(opts.sources ?? [])];
  if (sources.length === 0) throw new SourceError(`${paths.join(', ') || 'build'}: no .rego files to build`);
  const caps = typeof opts.capabilities === 'string' ? readCapabilities(opts.capabilities) : opts.capabilities;
  // The data the build loads is the base document: a rule at a path it holds is OPA's compile error.
  const compileOptions: CompileOptions = { regoVersion: opts.regoVersion, baseData: data };
  if (caps) compileOptions.extraBuiltins = hostProvidedBuiltins(caps);
  const modules = parseRego(sources, compileOptions);
  const entrypoints = entrypointsOf(opts, modules);
  const plan = planRego(modules, entrypoints, compileOptions);
  if (caps) checkCapabilities(plan, caps);
  const target = opts.target ?? 'wasm';
  const bytes =
    target === 'plan'
      ? new TextEncoder().encode(`${JSON.stringify(plan, null, 2)}\n`)
      : // Every builtin the capabilities list is one the host may supply (e.g. json.match_schema
        // from the opt-in extended table), so the build does not refuse it as unsupported.
        buildPolicyWasm(plan, { extraHostBuiltins: caps ? [...caps.builtins.keys()] : [] });
  const base = manifests[0];
  const manifest: BundleManifest = {
    revision: opts.revision ?? base?.revision ?? '',
    roots: base?.roots ?? [''],
    wasm: target === 'wasm' ? entrypoints.map((entrypoint) => ({ entrypoint, module: WASM_FILE })) : undefined,
  };
  if (base?.rego_version !== undefined) manifest.rego_version = base.rego_version;
  if (base?.file_rego_versions !== undefined) manifest.file_rego_versions = base.file_rego_versions;
  if (base?.metadata !== undefined) manifest.metadata = base.metadata;
  const bundle = writeBundle({ data, manifest, ...(target === 'wasm' ? { wasm: bytes } : { plan: bytes }) }, { signing: opts.signing });
  if (opts.outfile !== undefined) {
    const bare = target === 'wasm' ? opts.outfile.endsWith('.wasm') : opts.outfile.endsWith('.json');
    if (opts.outfile.endsWith(target === 'wasm' ? '.json' : '.wasm')) {
      throw new SourceError(`${opts.outfile}: target ${target} writes ${target === 'wasm' ? 'a .wasm module' : 'a .json plan'} or a bundle (.tar.gz)`);
    }
    if (bare && opts.signing) throw new SourceError(`${opts.outfile}: a signature lives in a bundle; give -o bundle.tar.gz to sign`);
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

