/**
 * Running plans for the CLI's `eval` and `test`: plan → policy.wasm → a
 * policy loaded with the unmodified OPA SDK, and evaluation with exact JSON.
 * Packaging failures surface as PackageError (exit 2).
 */
import type { Policy } from '../ir/plan';
import { loadPolicyWasmSync, type LoadedPolicy } from '../load';
import { buildPolicyWasm, importedMemoryMinPages } from '../package';
import type { JsonValue } from '../sources';

/** Builds and loads a plan with the unmodified OPA SDK (memory sized to the module). */
export function loadPlan(plan: Policy): LoadedPolicy {
  const wasm = buildPolicyWasm(plan);
  return loadPolicyWasmSync(wasm, { initialMemoryPages: importedMemoryMinPages(wasm) });
}

/** A compiled policy module that can be instantiated many times (one fresh instance per test). */
export interface PolicyModule {
  module: WebAssembly.Module;
  pages: number;
}

export function compilePlanModule(plan: Policy): PolicyModule {
  const wasm = buildPolicyWasm(plan);
  return { module: new WebAssembly.Module(new Uint8Array(wasm)), pages: importedMemoryMinPages(wasm) };
}

export function instantiate(m: PolicyModule): LoadedPolicy {
  return loadPolicyWasmSync(m.module, { initialMemoryPages: m.pages });
}

const enc = new TextEncoder();

/** JSON text → ArrayBuffer, so the SDK parses our exact text (big numbers stay exact). */
function jsonBuffer(value: JsonValue | string): ArrayBuffer {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const bytes = enc.encode(text);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Evaluates one entrypoint; returns the SDK's result set (`[{result: ...}]` or `[]`). */
export function evaluate(loaded: LoadedPolicy, entrypoint: string | number, input?: JsonValue, data?: JsonValue): unknown[] {
  if (data !== undefined) loaded.setData(jsonBuffer(data));
  const result: unknown = loaded.evaluate(input === undefined ? undefined : jsonBuffer(input), entrypoint);
  return Array.isArray(result) ? result : [];
}
