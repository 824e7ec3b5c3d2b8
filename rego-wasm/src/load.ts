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
 * - A policy that calls a builtin nobody provides (neither the SDK, this
 *   package nor the caller's `builtins`) is refused when it is loaded
 *   (`MissingHostBuiltinError`), not at its first call, where the SDK would
 *   fail the evaluation.
 * - Non-deterministic builtins (`time.now_ns`, `uuid.rfc4122`, `rand.intn`)
 *   keep one value per evaluation, as in OPA: every `evaluate` call starts a
 *   new evaluation.
 */
import { loadPolicySync, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { beginEvaluation } from './builtins/host/evaluation';
import type { HostBuiltin, JsonValue, SdkBuiltin } from './builtins/host/types';
import { importedMemoryMinPages } from './package/wasm-binary';
import { SDK_BUILTINS } from './builtins/sdk';

export type { LoadedPolicy, HostBuiltin, SdkBuiltin, JsonValue };
// Input by need: the paths each entrypoint reads (from policy.wasm), the pruning that keeps only them and the writer of their JSON.
export { readInputPathsSection } from './package/input-paths-section';
export { inputSelector, pruneInput, type InputPaths } from './plan/input-paths';
export { inputJsonSelector } from './plan/input-json';

function guarded(fn: HostBuiltin | SdkBuiltin): SdkBuiltin {
  return (...args: JsonValue[]) => {
    try {
      return fn(...args);
    } catch {
      return undefined;
    }
  };
}

/**
 * This package's host builtins, loaded on first need: their modules (RE2 via
 * re2js, Go time layouts, X.509, …) cost start-up time that a policy calling
 * none of them (most request policies) never pays. The path is relative to
 * this module: `builtins/host/index` in the package, and in the Lambda
 * handler bundles the file `builtins/host.js` beside the bundle
 * (cdk/construct/handler-bundles.ts). Not a literal, so a bundler leaves the
 * require to run time: the table is parsed only when it is loaded.
 */
const HOST_TABLE = './builtins/host';

function hostTable(): Readonly<Record<string, SdkBuiltin>> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(HOST_TABLE) as typeof import('./builtins/host')).sdkHostBuiltins;
}

/** The builtin table passed to the SDK as `customBuiltins`. */
export function sdkBuiltins(extra: Readonly<Record<string, HostBuiltin | SdkBuiltin>> = {}): Record<string, SdkBuiltin> {
  const table: Record<string, SdkBuiltin> = { ...hostTable() };
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

/** The policy imports builtins that nothing provides (names them). */
export class MissingHostBuiltinError extends Error {
  constructor(readonly builtins: readonly string[]) {
    super(`the policy calls host builtins that are not provided: ${builtins.join(', ')} (pass them as \`builtins\`)`);
    this.name = 'MissingHostBuiltinError';
  }
}

interface SdkPolicyInternals {
  wasmInstance?: WebAssembly.Instance;
  mem?: WebAssembly.Memory;
}

/** The builtin names the loaded module imports (its `builtins()` export, read with `opa_json_dump`). */
function importedBuiltins(policy: LoadedPolicy): string[] {
  const { wasmInstance, mem } = policy as unknown as SdkPolicyInternals;
  const exports = wasmInstance?.exports as Record<string, unknown> | undefined;
  const builtins = exports?.builtins;
  const dump = exports?.opa_json_dump;
  if (typeof builtins !== 'function' || typeof dump !== 'function' || mem === undefined) return [];
  const addr = (dump as (a: number) => number)((builtins as () => number)());
  const bytes = new Uint8Array(mem.buffer);
  let end = addr;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return Object.keys(JSON.parse(new TextDecoder().decode(bytes.subarray(addr, end))) as Record<string, number>);
}

/**
 * Fills `table` (the object the SDK was given: it looks builtins up by name
 * at call time) with the builtins the module imports, the caller's `extra`
 * winning over ours, and refuses the policy if one is provided by nobody.
 * The host table is loaded only when the module imports a builtin the SDK
 * does not implement.
 */
function checked(policy: LoadedPolicy, table: Record<string, SdkBuiltin>, extra: Readonly<Record<string, HostBuiltin | SdkBuiltin>>): LoadedPolicy {
  const needed = importedBuiltins(policy).filter((name) => !SDK_BUILTINS.includes(name));
  if (needed.length > 0) {
    const host = hostTable();
    for (const name of needed) {
      if (Object.hasOwn(extra, name)) table[name] = guarded(extra[name] as HostBuiltin | SdkBuiltin);
      else if (Object.hasOwn(host, name)) table[name] = host[name] as SdkBuiltin;
    }
  }
  const missing = needed.filter((name) => !Object.hasOwn(table, name)).sort();
  if (missing.length > 0) throw new MissingHostBuiltinError(missing);
  return withEvaluationBoundaries(policy);
}

/**
 * Compiles off the main thread's critical path (`WebAssembly.compile`), then
 * instantiates with the SDK's synchronous loader. The SDK's async loader
 * first asks `policyWasm instanceof Response`, and the first use of the
 * global `Response` makes Node load its bundled undici: 30–80 ms of every
 * cold start spent on an HTTP client nobody uses.
 */
export async function loadPolicyWasm(wasm: BufferSource | WebAssembly.Module, opts: LoadOptions = {}): Promise<LoadedPolicy> {
  const module = wasm instanceof WebAssembly.Module ? wasm : await WebAssembly.compile(wasm);
  const table: Record<string, SdkBuiltin> = {};
  return checked(loadPolicySync(module, initialPages(wasm, opts.initialMemoryPages), table), table, opts.builtins ?? {});
}

export function loadPolicyWasmSync(wasm: BufferSource | WebAssembly.Module, opts: LoadOptions = {}): LoadedPolicy {
  const table: Record<string, SdkBuiltin> = {};
  return checked(loadPolicySync(wasm, initialPages(wasm, opts.initialMemoryPages), table), table, opts.builtins ?? {});
}
