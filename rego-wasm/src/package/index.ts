/**
 * Packaging: an IR plan (`Policy`) → a `policy.wasm` with OPA's Wasm ABI.
 *
 * The engine (rego-wasm/runtime, AssemblyScript) is compiled once. Building a
 * policy copies that binary and embeds the plan, in its compact binary form
 * (./plan-encoding.ts), as an active data segment just above the engine's
 * static data, then rewrites three exported globals so the engine finds it:
 *
 *   opa_plan_addr   where the plan bytes start
 *   opa_plan_len    how many bytes
 *   opa_heap_start  first free byte after the plan (the allocator starts here)
 *
 * No compiler runs per policy, so a build takes milliseconds. The output is a
 * pure function of (engine bytes, plan): byte-identical for identical input.
 */
import type { Policy } from '../ir/plan';
import { hostBuiltins } from '../builtins/host';
import { embed, importedMemoryMinPages, PAGE_SIZE } from './wasm-binary';
import { SDK_BUILTINS } from '../builtins/sdk';
import { engineHeapBase, instantiateForInspection, loadEngineSync } from './engine';
import { encodeCompactPlan, PlanEncodingError } from './plan-encoding';

export { WasmFormatError, importedMemoryMinPages } from './wasm-binary';


export class PackageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackageError';
  }
}

/** The plan calls builtins that neither the runtime nor the host table implements. */
export class UnsupportedBuiltinError extends PackageError {
  constructor(readonly builtins: readonly string[]) {
    super(`unsupported builtin${builtins.length > 1 ? 's' : ''}: ${builtins.join(', ')}`);
    this.name = 'UnsupportedBuiltinError';
  }
}

/** The engine refused the embedded plan at start-up (opa_abort during init). */
export class PlanRejectedError extends PackageError {
  constructor(message: string) {
    super(`the runtime rejected the plan: ${message}`);
    this.name = 'PlanRejectedError';
  }
}

export interface PackageOptions {
  /** Engine binary; defaults to the cached build of rego-wasm/runtime. */
  engine?: Uint8Array;
  /**
   * Instantiate the result once to check that the runtime accepts the plan and
   * that every builtin it delegates to the host is implemented. Default true.
   */
  verify?: boolean;
  /** Extra host builtin names the caller will supply at load time. */
  extraHostBuiltins?: readonly string[];
}

const align16 = (n: number): number => (n + 15) & ~15;

function encodePlan(policy: Policy): Uint8Array {
  try {
    return encodeCompactPlan(policy);
  } catch (e) {
    if (e instanceof PlanEncodingError) throw new PackageError(e.message);
    throw e;
  }
}

/** Builds `policy.wasm` bytes for a plan. */
export function buildPolicyWasm(policy: Policy, opts: PackageOptions = {}): Uint8Array {
  const engine = opts.engine ?? loadEngineSync();
  const plan = encodePlan(policy);
  const address = align16(engineHeapBase(engine));
  const heapStart = align16(address + plan.length);
  const withPages = (minMemoryPages: number): Uint8Array =>
    embed(engine, {
      globals: { opa_plan_addr: address, opa_plan_len: plan.length, opa_heap_start: heapStart },
      data: plan,
      address,
      minMemoryPages,
    });
  const enginePages = importedMemoryMinPages(engine);
  const dataPages = Math.max(enginePages, Math.ceil(heapStart / PAGE_SIZE));
  let wasm = withPages(dataPages);
  // The module declares what it needs: the plan, plus what the engine reserves at
  // start-up (constant table and arena, builtin and entrypoint tables), measured by
  // starting it once, plus a small margin for the host's first allocations.
  const pages = Math.max(dataPages, Math.ceil((heapTopAfterStart(wasm) + START_MARGIN_BYTES) / PAGE_SIZE));
  if (pages !== dataPages) wasm = withPages(pages);
  if (opts.verify ?? true) verifyPolicyWasm(wasm, opts.extraHostBuiltins ?? []);
  return wasm;
}

/** Room the declared memory leaves above the engine's start-up allocations (the host's data and input). */
const START_MARGIN_BYTES = 16 * 1024;

/** The heap pointer once the module has started (its base for the host). */
function heapTopAfterStart(wasm: Uint8Array): number {
  try {
    return instantiateForInspection(wasm).exports.opa_heap_ptr_get();
  } catch (e) {
    throw new PlanRejectedError(e instanceof Error ? e.message : String(e));
  }
}

/** Host builtins a policy module needs (the names its `builtins()` export lists). */
export function requiredHostBuiltins(wasm: Uint8Array): string[] {
  const inst = instantiateForInspection(wasm);
  return Object.keys(inst.dumpJson(inst.exports.builtins()) as Record<string, number>).sort();
}

function verifyPolicyWasm(wasm: Uint8Array, extra: readonly string[]): void {
  let needed: string[];
  try {
    needed = requiredHostBuiltins(wasm);
  } catch (e) {
    throw new PlanRejectedError(e instanceof Error ? e.message : String(e));
  }
  const known = new Set([...Object.keys(hostBuiltins), ...SDK_BUILTINS, ...extra]);
  const missing = needed.filter((n) => !known.has(n));
  if (missing.length > 0) throw new UnsupportedBuiltinError(missing);
}
