/**
 * The Rego front end in one place: Rego sources → compiled policy → OPA IR
 * plan. The CLI, the end-to-end `build`, the benchmarks and the test tools
 * all enter here.
 */
import { compileModules, compileQuery, type CompiledPolicy, type CompileOptions } from './compile';
import { RegoError } from './errors';
import type { Policy } from './ir/plan';
import { parseModules, type Body, type Module } from './parse';
import { planEntrypoints, planQuery } from './plan';

/**
 * One Rego module: `file` names it in locations and in the plan; `regoVersion` (a bundle
 * manifest's `file_rego_versions` / `rego_version`) wins over `CompileOptions.regoVersion`.
 */
export interface RegoSource {
  file: string;
  text: string;
  regoVersion?: 0 | 1;
}

/** Source texts (unnamed ones become module-0.rego, module-1.rego, …), parsed modules, or a compiled policy. */
export type RegoInput = readonly (string | RegoSource)[] | readonly Module[] | CompiledPolicy;

function isModuleList(x: readonly (string | RegoSource)[] | readonly Module[]): x is readonly Module[] {
  return x.length > 0 && typeof x[0] === 'object' && 'package' in x[0];
}

/** Parses sources of the given Rego version; throws RegoErrors. */
export function parseRego(sources: readonly RegoSource[], opts: Pick<CompileOptions, 'regoVersion'> = {}): Module[] {
  return parseModules(sources, { regoVersion: opts.regoVersion });
}

/** Parses and compiles; throws RegoErrors (each located) on any parse or compile error. */
export function compileRego(input: RegoInput, opts: CompileOptions = {}): CompiledPolicy {
  if (!Array.isArray(input)) return input as CompiledPolicy;
  const list = input as readonly (string | RegoSource)[] | readonly Module[];
  if (isModuleList(list)) return compileModules(list, opts);
  return compileModules(
    (list as readonly (string | RegoSource)[]).map((m, i) => (typeof m === 'string' ? { file: `module-${i}.rego`, text: m } : m)),
    opts,
  );
}

/** Plans entrypoints (`"acme/authz/allow"`, one plan each) of the input. */
export function planRego(input: RegoInput, entrypoints: readonly string[], opts: CompileOptions = {}): Policy {
  return planEntrypoints(compileRego(input, opts), [...entrypoints]);
}

/** Compiles and plans an ad-hoc query (as `opa eval` does): one plan named `eval`, rows keyed by the query's vars. */
export function planRegoQuery(input: RegoInput, query: Body | string, opts: CompileOptions = {}): Policy {
  const policy = compileRego(input, opts);
  return planQuery(policy, compileQuery(policy, query, opts));
}
