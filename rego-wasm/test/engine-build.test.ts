import { readFileSync } from 'node:fs';
import { ENGINE_SHA256 } from '../src/package/engine-hash';
import { ENGINE_FILE, EngineIntegrityError, loadEngineSync, verifyEngine } from '../src/package/engine';
import { buildEngineFromSource, engineStamp, sha256Hex } from '../tools/engine-build';

describe('the shipped engine (engine/engine.wasm)', () => {
  test('rebuilding runtime/assembly with asc reproduces exactly the shipped binary and its recorded hash', () => {
    const fromSource = buildEngineFromSource().wasm;
    const shipped = new Uint8Array(readFileSync(ENGINE_FILE));
    expect(sha256Hex(fromSource)).toBe(ENGINE_SHA256);
    expect(sha256Hex(shipped)).toBe(ENGINE_SHA256);
    expect(Buffer.from(shipped).equals(Buffer.from(fromSource))).toBe(true);
  });

  test('a second build with unchanged sources is skipped and returns the same bytes', () => {
    const first = buildEngineFromSource().wasm;
    const again = buildEngineFromSource();
    expect(again.built).toBe(false);
    expect(Buffer.from(again.wasm).equals(Buffer.from(first))).toBe(true);
    expect(engineStamp()).toMatch(/^[0-9a-f]{64}$/);
  });

  test('the loader returns the verified shipped engine, a valid module within the size budget', () => {
    const wasm = loadEngineSync();
    expect(sha256Hex(wasm)).toBe(ENGINE_SHA256);
    expect(WebAssembly.validate(wasm as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(wasm.length).toBeLessThan(300 * 1024);
  });

  test('an engine with one byte changed is refused, naming the file and both hashes', () => {
    const tampered = new Uint8Array(loadEngineSync());
    tampered[tampered.length - 1] ^= 1;
    expect(() => verifyEngine(tampered, 'engine.wasm')).toThrow(EngineIntegrityError);
    expect(() => verifyEngine(tampered, 'engine.wasm')).toThrow(new RegExp(`^engine.wasm: sha256 ${sha256Hex(tampered)} is not .*${ENGINE_SHA256}`));
  });
});
