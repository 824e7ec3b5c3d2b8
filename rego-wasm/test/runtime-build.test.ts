import { existsSync, readFileSync } from 'node:fs';
import { buildEngineSync, ENGINE_PATH, engineStamp, ensureEngine, ensureEngineSync } from '../src/runtime-build';

describe('runtime build (asc, cached by a stamp)', () => {
  test('a second build with unchanged sources is skipped and returns the same bytes', () => {
    const first = ensureEngineSync();
    const again = buildEngineSync();
    expect(again.built).toBe(false);
    expect(Buffer.from(again.wasm).equals(Buffer.from(first))).toBe(true);
    expect(existsSync(ENGINE_PATH)).toBe(true);
  });

  test('the stamp is a deterministic hash of sources, asc version and flags', () => {
    expect(engineStamp()).toMatch(/^[0-9a-f]{64}$/);
    expect(engineStamp()).toBe(engineStamp());
    expect(readFileSync(ENGINE_PATH.replace(/engine\.wasm$/, 'engine.stamp'), 'utf8')).toBe(engineStamp());
  });

  test('the async API yields a valid wasm module', async () => {
    const wasm = await ensureEngine();
    expect(WebAssembly.validate(wasm as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(wasm.length).toBeLessThan(300 * 1024); // size budget of the brief
  });
});
