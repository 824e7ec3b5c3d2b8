/**
 * Running plans for the CLI's `eval` and `test`: plan → policy.wasm → a
 * policy loaded with the unmodified OPA SDK, and evaluation with exact JSON.
 * Packaging failures surface as PackageError (exit 2).
 */
import type { Policy } from '../ir/plan';
import type { LoadedPolicy } from '../load';
import type { JsonValue } from '../sources';

/*
 * The packager and loader pull in the precompiled Wasm engine; they are loaded on first use so
 * that `build --target plan` (and usage errors) work without a built runtime.
 */
type PackageModule = typeof import('../package');
type LoadModule = typeof import('../load');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const packager = (): PackageModule => require('../package') as PackageModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loader = (): LoadModule => require('../load') as LoadModule;

/** Builds and loads a plan with the unmodified OPA SDK (memory sized to the module). */
export function loadPlan(plan: Policy): LoadedPolicy {
  const { buildPolicyWasm, importedMemoryMinPages } = packager();
  const wasm = buildPolicyWasm(plan);
  return loader().loadPolicyWasmSync(wasm, { initialMemoryPages: importedMemoryMinPages(wasm) });
}

/** A compiled policy module that can be instantiated many times (one fresh instance per test). */
export interface PolicyModule {
  module: WebAssembly.Module;
  pages: number;
}

export function compilePlanModule(plan: Policy): PolicyModule {
  const { buildPolicyWasm, importedMemoryMinPages } = packager();
  const wasm = buildPolicyWasm(plan);
  return { module: new WebAssembly.Module(new Uint8Array(wasm)), pages: importedMemoryMinPages(wasm) };
}

export function instantiate(m: PolicyModule): LoadedPolicy {
  return loader().loadPolicyWasmSync(m.module, { initialMemoryPages: m.pages });
}

const enc = new TextEncoder();

/** JSON text → ArrayBuffer, so the SDK parses our exact text (big numbers stay exact). */
export function jsonBuffer(value: JsonValue | string): ArrayBuffer {
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
