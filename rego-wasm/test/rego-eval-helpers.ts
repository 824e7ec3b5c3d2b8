/**
 * Test helper: Rego source → compile → plan → policy.wasm → the unmodified OPA SDK, and
 * one evaluation. The same path a built policy takes in the authorizer.
 */
import { loadPolicySync } from '@open-policy-agent/opa-wasm';
import { compileModules } from '../src/compile';
import type { CompileOptions } from '../src/compile';
import type { ModuleSource } from '../src/compile';
import { planEntrypoints } from '../src/plan';
import { buildPolicyWasm, importedMemoryMinPages } from '../src/package';
import { beginEvaluation, sdkHostBuiltins } from '../src/builtins/host';

export type Sources = string | readonly ModuleSource[];

function sources(s: Sources): ModuleSource[] {
  return typeof s === 'string' ? [{ file: 'policy.rego', text: s }] : [...s];
}

/** The value of `entrypoint` (e.g. `t/out`), or `undefined` when it is undefined. */
export function evalRego(s: Sources, entrypoint: string, input: unknown = {}, opts: CompileOptions = {}, data: unknown = {}): unknown {
  const wasm = buildPolicyWasm(planEntrypoints(compileModules(sources(s), opts), [entrypoint]));
  const policy = loadPolicySync(wasm, importedMemoryMinPages(wasm), sdkHostBuiltins as never);
  policy.setData(data as object);
  beginEvaluation();
  const rows = policy.evaluate(input, entrypoint) as Array<{ result: unknown }>;
  return rows.length === 0 ? undefined : rows[0]!.result;
}
