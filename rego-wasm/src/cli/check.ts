/**
 * `check <path>... [-b] [--ignore glob]... [--capabilities file] [--v0-compatible]`, like
 * `opa check`: parses and compiles every `.rego` file (tests included) without building, and
 * reports every error as `file:row:col: code: message`. Nothing is printed on success.
 */
import { hostProvidedBuiltins, readCapabilities } from '../builtins/capabilities';
import type { CompileOptions } from '../compile';
import { loadSources } from '../build';
import { compileRego } from '../frontend';
import { SourceError } from '../sources';

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
  const { sources, data } = loadSources(opts.paths, { ...opts, includeTests: true });
  if (sources.length === 0) throw new SourceError(`${opts.paths.join(', ')}: no .rego files to check`);
  const compileOptions: CompileOptions = { regoVersion: opts.regoVersion, baseData: data };
  if (opts.capabilities !== undefined) compileOptions.extraBuiltins = hostProvidedBuiltins(readCapabilities(opts.capabilities));
  compileRego(sources, compileOptions);
  return sources.map((s) => s.file);
}
