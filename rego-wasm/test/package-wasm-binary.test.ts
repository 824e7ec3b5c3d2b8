import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  embed,
  encodeSections,
  importedMemoryMinPages,
  parseSections,
  readExports,
  WasmFormatError,
} from '../src/package/wasm-binary';

interface Probe {
  plan_byte(i: number): number;
  plan_len(): number;
  heap_start(): number;
  opa_engine_heap_base(): number;
  greet_len(): number;
}

let probe: Uint8Array;

beforeAll(() => {
  const out = join(mkdtempSync(join(tmpdir(), 'embed-probe-')), 'probe.wasm');
  const asc = require.resolve('assemblyscript/bin/asc.js');
  execFileSync(process.execPath, [asc, join(__dirname, 'fixtures/embed-probe.ts'), '--importMemory', '--runtime', 'stub', '-O3', '-o', out]);
  probe = new Uint8Array(readFileSync(out));
});

function instantiate(wasm: Uint8Array, pages: number): Probe {
  const memory = new WebAssembly.Memory({ initial: pages });
  return new WebAssembly.Instance(new WebAssembly.Module(wasm), { env: { memory } }).exports as unknown as Probe;
}

describe('wasm binary embedding', () => {
  test('re-encoding the parsed sections reproduces the module byte for byte', () => {
    expect(Buffer.from(encodeSections(parseSections(probe))).equals(Buffer.from(probe))).toBe(true);
  });

  test('embedded bytes are readable at the address the rewritten globals name', () => {
    const data = new TextEncoder().encode('{"plans":{"plans":[]}}');
    const address = 3 * 65536 + 32; // beyond the original minimum: forces a memory-limits rewrite
    const wasm = embed(probe, {
      globals: { opa_plan_addr: address, opa_plan_len: data.length, opa_heap_start: address + 64 },
      data,
      address,
      minMemoryPages: 4,
    });
    expect(WebAssembly.validate(wasm)).toBe(true);
    expect(importedMemoryMinPages(wasm)).toBe(4);
    const inst = instantiate(wasm, 4);
    const bytes = Array.from({ length: inst.plan_len() }, (_, i) => inst.plan_byte(i));
    expect(new TextDecoder().decode(Uint8Array.from(bytes))).toBe('{"plans":{"plans":[]}}');
    expect(inst.heap_start()).toBe(address + 64);
    // the engine's own static data is untouched
    expect(inst.greet_len()).toBe(17);
  });

  test('a memory smaller than the declared minimum is refused at instantiation', () => {
    const data = Uint8Array.of(1, 2, 3);
    const wasm = embed(probe, { globals: {}, data, address: 2 * 65536, minMemoryPages: 3 });
    expect(() => instantiate(wasm, 2)).toThrow();
    expect(() => instantiate(wasm, 3)).not.toThrow();
  });

  test('an unknown global name is an error, not a silent no-op', () => {
    expect(() =>
      embed(probe, { globals: { no_such_global: 1 }, data: Uint8Array.of(0), address: 2048, minMemoryPages: 1 }),
    ).toThrow(WasmFormatError);
  });

  test('a non-wasm input is rejected', () => {
    expect(() => parseSections(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8))).toThrow(WasmFormatError);
  });

  test('exports are listed with kinds', () => {
    const names = readExports(parseSections(probe)).map((e) => `${e.name}:${e.kind}`);
    expect(names).toEqual(expect.arrayContaining(['opa_plan_addr:3', 'opa_engine_heap_base:0', 'memory:2']));
  });
});
