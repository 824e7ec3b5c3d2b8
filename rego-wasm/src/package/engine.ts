/**
 * Access to the precompiled engine and a minimal instantiation used only to
 * inspect modules at build time (never to evaluate requests: that is the OPA
 * SDK's job, see ../load.ts).
 */
import { createHash } from 'node:crypto';
import { importedMemoryMinPages } from './wasm-binary';

interface EngineBuilder {
  ensureEngineSync(): Uint8Array;
}

let cachedEngine: Uint8Array | undefined;

/** The engine binary, built from rego-wasm/runtime on first use (cached on disk by its builder). */
export function loadEngineSync(): Uint8Array {
  if (!cachedEngine) {
    // Loaded lazily: only building a policy needs the AssemblyScript toolchain.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const builder = require('../runtime-build') as EngineBuilder;
    cachedEngine = builder.ensureEngineSync();
  }
  return cachedEngine;
}

export interface InspectionInstance {
  exports: Record<string, (...args: number[]) => number>;
  memory: WebAssembly.Memory;
  dumpJson(addr: number): unknown;
}

function readCString(memory: WebAssembly.Memory, addr: number): string {
  const bytes = new Uint8Array(memory.buffer);
  let end = addr;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(addr, end));
}

/** Instantiates a module with inert imports; `opa_abort` throws its message. */
export function instantiateForInspection(wasm: Uint8Array): InspectionInstance {
  const memory = new WebAssembly.Memory({ initial: importedMemoryMinPages(wasm) });
  const refuse = (): number => {
    throw new Error('builtins cannot be called while inspecting a module');
  };
  const env = {
    memory,
    opa_abort: (addr: number) => {
      throw new Error(readCString(memory, addr));
    },
    opa_println: () => undefined,
    opa_builtin0: refuse,
    opa_builtin1: refuse,
    opa_builtin2: refuse,
    opa_builtin3: refuse,
    opa_builtin4: refuse,
  };
  const module = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
  const instance = new WebAssembly.Instance(module, { env });
  const exports = instance.exports as unknown as InspectionInstance['exports'];
  return {
    exports,
    memory,
    dumpJson(addr: number): unknown {
      return JSON.parse(readCString(memory, exports.opa_json_dump(addr)));
    },
  };
}

const heapBaseCache = new Map<string, number>();

/** The engine's first free byte after its static data (`__heap_base`). */
export function engineHeapBase(engine: Uint8Array): number {
  const key = createHash('sha256').update(engine).digest('hex');
  let base = heapBaseCache.get(key);
  if (base === undefined) {
    const inst = instantiateForInspection(engine);
    const fn = inst.exports.opa_engine_heap_base;
    if (typeof fn !== 'function') throw new Error('the engine does not export opa_engine_heap_base');
    base = fn();
    heapBaseCache.set(key, base);
  }
  return base;
}
