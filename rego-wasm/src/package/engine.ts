/**
 * The engine binary that ships with the package (engine/engine.wasm, built
 * from runtime/assembly by `npm run build:engine`), checked against its
 * SHA-256 before first use, and a minimal instantiation used only to inspect
 * modules at build time (never to evaluate requests: that is the OPA SDK's
 * job, see ../load.ts). Only reads: nothing is written into the package folder.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ENGINE_SHA256 } from './engine-hash';
import { importedMemoryMinPages } from './wasm-binary';

/** engine/engine.wasm of the package (the same relative place from src/package and dist/package). */
export const ENGINE_FILE = resolve(__dirname, '..', '..', 'engine', 'engine.wasm');

/** The engine binary is missing or is not the one the package was released with. */
export class EngineIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineIntegrityError';
  }
}

/** Checks `bytes` against the recorded hash; throws EngineIntegrityError. */
export function verifyEngine(bytes: Uint8Array, file = ENGINE_FILE): Uint8Array {
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== ENGINE_SHA256) {
    throw new EngineIntegrityError(
      `${file}: sha256 ${actual} is not the engine this package was built with (${ENGINE_SHA256}); ` +
        'reinstall the package, or run `npm run build:engine` after changing runtime/assembly',
    );
  }
  return bytes;
}

let cachedEngine: Uint8Array | undefined;

/** The shipped engine binary, read and verified once per process. */
export function loadEngineSync(): Uint8Array {
  if (!cachedEngine) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(ENGINE_FILE));
    } catch (e) {
      throw new EngineIntegrityError(`${ENGINE_FILE}: cannot read the engine: ${(e as Error).message}`);
    }
    cachedEngine = verifyEngine(bytes);
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
