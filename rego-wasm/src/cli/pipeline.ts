/**
 * The toolchain pipeline as the CLI uses it: parse → compile → plan → package → load.
 * Every stage's failure surfaces as RegoError/RegoErrors (compile problems, exit 2) or a
 * PackageError (plan the runtime cannot run, exit 2).
 */
import { compileModules, compileQuery } from '../compile';
import type { CompiledPolicy, CompiledQuery } from '../compile/types';
import type { Policy } from '../ir/plan';
import type { LoadedPolicy } from '../load';
import { type Body, type Module, parseModules } from '../parse';
import { planEntrypoints, planQuery } from '../plan';
import type { JsonValue, SourceFile } from './sources';

export function parseSources(sources: readonly SourceFile[]): Module[] {
  return parseModules(sources.map((s) => ({ file: s.file, text: s.text })));
}

export function compileParsed(modules: Module[]): CompiledPolicy {
  return compileModules(modules);
}

export function compileSources(sources: readonly SourceFile[]): CompiledPolicy {
  return compileParsed(parseSources(sources));
}

export function planForEntrypoints(policy: CompiledPolicy, entrypoints: readonly string[]): Policy {
  return planEntrypoints(policy, [...entrypoints]);
}

export function planForQuery(policy: CompiledPolicy, query: Body): { plan: Policy; compiled: CompiledQuery } {
  const compiled = compileQuery(policy, query);
  return { plan: planQuery(policy, compiled), compiled };
}

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

/** plan → policy.wasm bytes (deterministic). */
export function wasmFromPlan(plan: Policy): Uint8Array {
  return packager().buildPolicyWasm(plan);
}

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
