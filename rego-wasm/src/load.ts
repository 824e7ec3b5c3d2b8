/**
 * Load a `policy.wasm` (built by this toolchain or by `opa build -t wasm`)
 * with the unmodified OPA SDK, supplying this project's host builtins.
 *
 * - Host builtins never throw into the SDK: the SDK would abort the whole
 *   evaluation (OPA issue #3320), whereas OPA's semantics make a builtin
 *   error "undefined". `sdkHostBuiltins` already maps errors to `undefined`,
 *   and the caller's extra builtins are guarded the same way here.
 * - Numbers a double cannot hold (nanosecond timestamps, 10 EiB) go back to
 *   the runtime as exact JSON text.
 * - Non-deterministic builtins (`time.now_ns`, `uuid.rfc4122`, `rand.intn`)
 *   keep one value per evaluation, as in OPA: every `evaluate` call starts a
 *   new evaluation.
 */
import { loadPolicy, loadPolicySync, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { beginEvaluation, sdkHostBuiltins, type HostBuiltin, type JsonValue, type SdkBuiltin } from './builtins/host';

export type { LoadedPolicy };

function guarded(fn: HostBuiltin): SdkBuiltin {
  return (...args: JsonValue[]) => {
    try {
      return fn(...args);
    } catch {
      return undefined;
    }
  };
}

/** The builtin table passed to the SDK as `customBuiltins`. */
export function sdkBuiltins(extra: Readonly<Record<string, HostBuiltin>> = {}): Record<string, SdkBuiltin> {
  const table: Record<string, SdkBuiltin> = { ...sdkHostBuiltins };
  for (const [name, fn] of Object.entries(extra)) table[name] = guarded(fn);
  return table;
}

export interface LoadOptions {
  /** Initial memory pages (64 KiB each); the SDK default is 5. */
  initialMemoryPages?: number;
  /** Additional or overriding host builtins. */
  builtins?: Readonly<Record<string, HostBuiltin>>;
}

/** Makes each `evaluate` call a fresh evaluation for the per-evaluation builtin cache. */
function withEvaluationBoundaries(policy: LoadedPolicy): LoadedPolicy {
  const evaluate = policy.evaluate.bind(policy);
  policy.evaluate = (input: unknown, entrypoint?: number | string) => {
    beginEvaluation();
    return evaluate(input, entrypoint);
  };
  return policy;
}

export async function loadPolicyWasm(wasm: BufferSource | WebAssembly.Module, opts: LoadOptions = {}): Promise<LoadedPolicy> {
  return withEvaluationBoundaries(await loadPolicy(wasm, opts.initialMemoryPages ?? 5, sdkBuiltins(opts.builtins)));
}

export function loadPolicyWasmSync(wasm: BufferSource | WebAssembly.Module, opts: LoadOptions = {}): LoadedPolicy {
  return withEvaluationBoundaries(loadPolicySync(wasm, opts.initialMemoryPages ?? 5, sdkBuiltins(opts.builtins)));
}
