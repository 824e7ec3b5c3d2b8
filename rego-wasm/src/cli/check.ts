/**
 * `check <path>... [-b] [--ignore glob]... [--capabilities file] [--v0-compatible]`, like
 * `opa check`: parses and compiles every `.rego` file (tests included) without building, and
 * reports every error as `file:row:col: code: message`. Nothing is printed on success.
 */
import { hostProvidedBuiltins, readCapabilities } from '../builtins/capabilities';
import type { CompileOptions } from '../compile';
import { readBundleManifest, regoVersionOf } from '../build';
import { compileRego } from '../frontend';
import type { BundleManifest } from '../package/bundle';
import { SourceError, findRegoFiles } from '../sources';

export interface CheckCommandOptions {
  paths: readonly string[];
  /** `-b`: the paths are bundle directories (their `.manifest` gives the Rego version). */
  bundle: boolean;
  ignore: readonly string[];
  capabilities?: string;
  regoVersion?: 0 | 1;
}

/** Throws RegoErrors with every problem found; returns the files checked. */
export function runCheck(opts: CheckCommandOptions): string[] {
  const sources = opts.paths.flatMap((p) => findRegoFiles(p, { includeTests: true, ignore: opts.ignore }));
  if (sources.length === 0) throw new SourceError(`${opts.paths.join(', ')}: no .rego files to check`);
  const manifests = opts.bundle ? opts.paths.map(readBundleManifest).filter((m): m is BundleManifest => m !== undefined) : [];
  const compileOptions: CompileOptions = { regoVersion: regoVersionOf(opts, manifests) };
  if (opts.capabilities !== undefined) compileOptions.extraBuiltins = hostProvidedBuiltins(readCapabilities(opts.capabilities));
  compileRego(sources, compileOptions);
  return sources.map((s) => s.file);
}
