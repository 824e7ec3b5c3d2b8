import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { importedMemoryMinPages } from '../src/package/wasm-binary';
import { engine, rawInstance } from './runtime-helpers';

describe('runtime engine: OPA Wasm ABI surface', () => {
  const wasm = engine();
  const mod = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);

  test('imports only env.memory, opa_abort, opa_println and opa_builtin0..4', () => {
    const names = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`).sort();
    expect(names).toEqual([
      'env.memory', 'env.opa_abort', 'env.opa_builtin0', 'env.opa_builtin1', 'env.opa_builtin2',
      'env.opa_builtin3', 'env.opa_builtin4', 'env.opa_println',
    ]);
  });

  test('exports every ABI 1.3 function and global', () => {
    const exports = new Map(WebAssembly.Module.exports(mod).map((e) => [e.name, e.kind]));
    const fns = [
      'eval', 'builtins', 'entrypoints', 'opa_eval_ctx_new', 'opa_eval_ctx_set_input', 'opa_eval_ctx_set_data',
      'opa_eval_ctx_set_entrypoint', 'opa_eval_ctx_get_result', 'opa_malloc', 'opa_free', 'opa_json_parse',
      'opa_value_parse', 'opa_json_dump', 'opa_value_dump', 'opa_heap_ptr_get', 'opa_heap_ptr_set',
      'opa_value_add_path', 'opa_value_remove_path', 'opa_eval', 'opa_value_free', 'opa_heap_blocks_stash',
      'opa_heap_blocks_restore', 'opa_heap_stash_clear', 'opa_engine_heap_base',
    ];
    for (const f of fns) expect([f, exports.get(f)]).toEqual([f, 'function']);
    for (const g of ['opa_wasm_abi_version', 'opa_wasm_abi_minor_version', 'opa_plan_addr', 'opa_plan_len', 'opa_heap_start']) {
      expect([g, exports.get(g)]).toEqual([g, 'global']);
    }
    // no AssemblyScript runtime internals leak out
    expect([...exports.keys()].filter((n) => n.startsWith('__'))).toEqual([]);
  });

  test('declares ABI version 1.3, a small imported memory without maximum', () => {
    const raw = rawInstance(wasm);
    const g = raw.exports as unknown as Record<string, WebAssembly.Global>;
    expect(g.opa_wasm_abi_version.value).toBe(1);
    expect(g.opa_wasm_abi_minor_version.value).toBe(3);
    expect(importedMemoryMinPages(wasm)).toBeLessThanOrEqual(5);
    // a maximum would make the SDK's `new Memory({initial: 5})` fail to link with larger needs
    expect(() => new WebAssembly.Instance(mod, {
      env: { ...stubEnv(), memory: new WebAssembly.Memory({ initial: 5 }) },
    })).not.toThrow();
  });

  test('the plan globals are mutable i32 globals initialised to 0', () => {
    const raw = rawInstance(wasm);
    const g = raw.exports as unknown as Record<string, WebAssembly.Global>;
    for (const name of ['opa_plan_addr', 'opa_plan_len', 'opa_heap_start']) {
      expect(g[name].value).toBe(0);
      g[name].value = 7; // throws on an immutable global
      expect(g[name].value).toBe(7);
    }
  });

  test('an engine without a plan loads in the SDK with no entrypoints and no builtins', async () => {
    const policy = await loadPolicy(wasm as Uint8Array<ArrayBuffer>);
    expect(policy.entrypoints).toEqual({});
    const raw = rawInstance(wasm);
    expect(raw.dump(raw.exports.builtins())).toBe('{}');
    expect(raw.exports.opa_engine_heap_base()).toBeGreaterThan(0);
  });
});

function stubEnv(): Record<string, () => number> {
  const f = () => 0;
  return { opa_abort: f, opa_println: f, opa_builtin0: f, opa_builtin1: f, opa_builtin2: f, opa_builtin3: f, opa_builtin4: f };
}
