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
import { importedMemoryMinPages } from './package/wasm-binary';

export type { LoadedPolicy };

function guarded(fn: HostBuiltin | SdkBuiltin): SdkBuiltin {
  return (...args: JsonValue[]) => {
    try {
      return fn(...args);
    } catch {
      return undefined;
    }
  };
}

/** The builtin table passed to the SDK as `customBuiltins`. */
export function sdkBuiltins(extra: Readonly<Record<string, HostBuiltin | SdkBuiltin>> = {}): Record<string, SdkBuiltin> {
  const table: Record<string, SdkBuiltin> = { ...sdkHostBuiltins };
  for (const [name, fn] of Object.entries(extra)) table[name] = guarded(fn);
  return table;
}

export interface LoadOptions {
  /**
   * Initial memory pages (64 KiB each). Default: the SDK's 5, or the module's
   * declared minimum when that is larger (a large embedded plan).
   */
  initialMemoryPages?: number;
  /** Additional or overriding host builtins (e.g. `sdkExtendedHostBuiltins`). */
  builtins?: Readonly<Record<string, HostBuiltin | SdkBuiltin>>;
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

function initialPages(wasm: BufferSource | WebAssembly.Module, requested: number | undefined): number {
  if (requested !== undefined) return requested;
  if (wasm instanceof WebAssembly.Module) return 5;
  const bytes = ArrayBuffer.isView(wasm)
    ? new Uint8Array(wasm.buffer, wasm.byteOffset, wasm.byteLength)
    : new Uint8Array(wasm);
  try {
    return Math.max(5, importedMemoryMinPages(bytes));
  } catch {
    return 5; // not our format to judge: let the SDK report the problem
  }
}

export async function loadPolicyWasm(wasm: BufferSource | WebAssembly.Module, opts: LoadOptions = {}): Promise<LoadedPolicy> {
  return withEvaluationBoundaries(await loadPolicy(wasm, initialPages(wasm, opts.initialMemoryPages), sdkBuiltins(opts.builtins)));
}

export function loadPolicyWasmSync(wasm: BufferSource | WebAssembly.Module, opts: LoadOptions = {}): LoadedPolicy {
  return withEvaluationBoundaries(loadPolicySync(wasm, initialPages(wasm, opts.initialMemoryPages), sdkBuiltins(opts.builtins)));
}
