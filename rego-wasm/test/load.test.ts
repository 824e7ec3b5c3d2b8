import { buildPolicyWasm, importedMemoryMinPages } from '../src/package';
import { loadPolicyWasm, loadPolicyWasmSync } from '../src/load';
import { planRego } from '../src/frontend';

/** A policy whose embedded plan is larger than the SDK's default 5 pages (320 KiB). */
function bigPolicySource(): string {
  // 9000 distinct 40-byte strings: the plan's string table alone exceeds 320 KiB.
  const names = Array.from({ length: 9000 }, (_, i) => JSON.stringify(`${'x'.repeat(34)}${String(i).padStart(6, '0')}`));
  return `package big\n\nnames := {${names.join(', ')}}\n\nallow if { count(names) == 9000; input.a == "q" }\n`;
}

describe('loading a policy with the OPA SDK', () => {
  test('a plan larger than the default memory loads with the declared minimum', async () => {
    const plan = planRego([{ file: 'big.rego', text: bigPolicySource() }], ['big/allow']);
    const wasm = buildPolicyWasm(plan);
    expect(importedMemoryMinPages(wasm)).toBeGreaterThan(5);
    const policy = await loadPolicyWasm(wasm);
    expect(policy.evaluate({ a: 'q' }, 'big/allow')).toEqual([{ result: true }]);
    expect(loadPolicyWasmSync(wasm).evaluate({ a: 'q' }, 'big/allow')).toEqual([{ result: true }]);
  });

  test('time.now_ns is one value within an evaluation and moves between evaluations', async () => {
    const src = 'package t\n\nsame if { a := time.now_ns(); b := time.now_ns(); a == b }\nnow := time.now_ns()\n';
    const wasm = buildPolicyWasm(planRego([{ file: 't.rego', text: src }], ['t/same', 't/now']));
    const policy = await loadPolicyWasm(wasm);
    expect(policy.evaluate({}, 't/same')).toEqual([{ result: true }]);
    const first = policy.evaluate({}, 't/now')[0].result as number;
    await new Promise((r) => setTimeout(r, 5));
    const second = policy.evaluate({}, 't/now')[0].result as number;
    expect(second).toBeGreaterThan(first);
  });

  test.each([
    ['bytes', (w: Uint8Array): Uint8Array | WebAssembly.Module => w],
    ['a compiled module', (w: Uint8Array): Uint8Array | WebAssembly.Module => new WebAssembly.Module(w)],
  ])('loading from %s never touches the global Response (its first use loads undici at cold start)', async (_name, form) => {
    const wasm = buildPolicyWasm(planRego([{ file: 'a.rego', text: 'package a\n\nallow if input.x == 1\n' }], ['a/allow']));
    const original = Object.getOwnPropertyDescriptor(globalThis, 'Response');
    let touched = 0;
    Object.defineProperty(globalThis, 'Response', {
      configurable: true,
      get() {
        touched++;
        return original?.get ? original.get.call(globalThis) : original?.value;
      },
    });
    try {
      const policy = await loadPolicyWasm(form(wasm));
      expect(policy.evaluate({ x: 1 }, 'a/allow')).toEqual([{ result: true }]);
    } finally {
      if (original) Object.defineProperty(globalThis, 'Response', original);
      else delete (globalThis as { Response?: unknown }).Response;
    }
    expect(touched).toBe(0);
  });
});
