/**
 * Load a `policy.wasm` (built by this toolchain or by `opa build -t wasm`)
 * with the unmodified OPA SDK, supplying this project's host builtins.
 *
 * Host builtins never throw into the SDK: the SDK would abort the whole
 * evaluation (OPA issue #3320), whereas OPA's semantics make a builtin error
 * "undefined". Errors therefore become `undefined` here.
 */
import { loadPolicy, loadPolicySync, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { hostBuiltins, type HostBuiltin, type JsonValue } from './builtins/host';

export type { LoadedPolicy };

function guarded(fn: HostBuiltin): (...args: JsonValue[]) => JsonValue | undefined {
  return (...args) => {
    try {
      return fn(...args);
    } catch {
      return undefined;
    }
  };
}

/** The builtin table passed to the SDK as `customBuiltins`. */
export function sdkBuiltins(
  extra: Readonly<Record<string, HostBuiltin>> = {},
): Record<string, (...args: JsonValue[]) => JsonValue | undefined> {
  const table: Record<string, (...args: JsonValue[]) => JsonValue | undefined> = {};
  for (const [name, fn] of Object.entries({ ...hostBuiltins, ...extra })) table[name] = guarded(fn);
  return table;
}

export interface LoadOptions {
  /** Initial memory pages (64 KiB each); the SDK default is 5. */
  initialMemoryPages?: number;
  /** Additional or overriding host builtins. */
  builtins?: Readonly<Record<string, HostBuiltin>>;
}

export async function loadPolicyWasm(wasm: BufferSource | WebAssembly.Module, opts: LoadOptions = {}): Promise<LoadedPolicy> {
  return loadPolicy(wasm, opts.initialMemoryPages ?? 5, sdkBuiltins(opts.builtins));
}

export function loadPolicyWasmSync(wasm: BufferSource | WebAssembly.Module, opts: LoadOptions = {}): LoadedPolicy {
  return loadPolicySync(wasm, opts.initialMemoryPages ?? 5, sdkBuiltins(opts.builtins));
}
