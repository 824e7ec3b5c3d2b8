/**
 * The compact plan (src/package/plan-encoding.ts) and the runtime that
 * interprets it in place: determinism, the constant arena surviving heap
 * resets, non-ASCII constants, CallDynamic's sorted path table, conflict
 * locations, and what the encoding refuses.
 */
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { buildPolicyWasm as buildWith, PackageError, PlanRejectedError, type PackageOptions } from '../src/package';
import { encodeCompactPlan, compareCodePoints, PLAN_MAGIC } from '../src/package/plan-encoding';
import { embed, importedMemoryMinPages, PAGE_SIZE } from '../src/package/wasm-binary';
import { engineHeapBase, instantiateForInspection } from '../src/package/engine';
import type { Block, Policy } from '../src/ir/plan';
import { block, engine, entryCalling, L, PlanBuilder, rawInstance, st } from './runtime-helpers';

/** Packages with the engine built from runtime/assembly (engine-build.test.ts holds the shipped one equal to it). */
const buildPolicyWasm = (policy: Policy, opts: PackageOptions = {}): Uint8Array => buildWith(policy, { engine: engine(), ...opts });

/** Plan "main": result = the function `f`'s value. */
function constantPolicy(value: string): Policy {
  const b = new PlanBuilder();
  const f: Block[] = [block(st('AssignVarStmt', { source: b.S(value), target: 2 }))];
  return b.policy({ main: entryCalling(b, 'f') }, [{ name: 'f', params: [0, 1], ret: 2, blocks: f }]);
}

async function evaluate(wasm: Uint8Array, input: unknown): Promise<unknown> {
  const policy = await loadPolicy(wasm, { initial: Math.max(5, importedMemoryMinPages(wasm)) });
  return policy.evaluate(input);
}

describe('compact plan encoding', () => {
  test('is a pure function of the plan: identical plans give identical bytes', () => {
    const a = encodeCompactPlan(constantPolicy('hello'));
    const b = encodeCompactPlan(JSON.parse(JSON.stringify(constantPolicy('hello'))) as Policy);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(new DataView(a.buffer, a.byteOffset).getUint32(0, true)).toBe(PLAN_MAGIC);
    expect(Buffer.from(buildPolicyWasm(constantPolicy('x'))).equals(Buffer.from(buildPolicyWasm(constantPolicy('x'))))).toBe(true);
  });

  test('interns constants: a string used many times, even under two indices, is stored once', () => {
    const b = new PlanBuilder();
    const long = 'a string constant that is long enough to find '.repeat(4);
    const stmts = Array.from({ length: 50 }, (_, i) => st('AssignVarStmt', { source: b.S(long), target: 2 + (i % 3) }));
    const p = b.policy({ main: [block(...stmts, st('AssignVarStmt', { source: { type: 'string_index', value: 1 }, target: 2 }))] });
    p.static!.strings!.push({ value: long }); // index 1: the same value again
    const bytes = Buffer.from(encodeCompactPlan(p));
    const needle = Buffer.from(long);
    expect(bytes.indexOf(needle)).toBeGreaterThan(0);
    expect(bytes.indexOf(needle, bytes.indexOf(needle) + 1)).toBe(-1);
  });

  test('string constants survive heap resets (materialised below the base heap pointer)', async () => {
    const value = 'constant-ünïcødé-☃-😀-' + 'x'.repeat(40);
    const policy = await loadPolicy(buildPolicyWasm(constantPolicy(value)));
    expect(policy.evaluate({})).toEqual([{ result: value }]);
    // a large input is written at the base heap pointer and overwrites all that lies above it
    expect(policy.evaluate({ big: 'y'.repeat(300_000), more: Array.from({ length: 2000 }, (_, i) => `z${i}`) })).toEqual([{ result: value }]);
    expect(policy.evaluate({})).toEqual([{ result: value }]);
    expect(policy.evaluate({ other: 'q'.repeat(100_000) })).toEqual([{ result: value }]);
  });

  test('ABI: evaluations materialise constants without touching the host data or moving its heap pointer', () => {
    const b = new PlanBuilder();
    const stmts = [st('MakeObjectStmt', { target: 2 })];
    for (let i = 0; i < 300; i++) stmts.push(st('ObjectInsertStmt', { key: b.S(`key-${i}`), value: b.S(`value ${i} `.repeat(3)), object: 2 }));
    stmts.push(
      st('MakeObjectStmt', { target: 3 }),
      st('ObjectInsertStmt', { key: b.S('result'), value: L(2), object: 3 }),
      st('ResultSetAddStmt', { value: 3 }),
    );
    const raw = rawInstance(buildPolicyWasm(b.policy({ main: [block(...stmts)] })));
    const base = raw.exports.opa_heap_ptr_get();
    const dataAddr = raw.parse(JSON.stringify({ data: Array.from({ length: 500 }, (_, i) => ({ id: i, name: `n${i}` })) }));
    const dataTop = raw.exports.opa_heap_ptr_get();
    expect(dataTop).toBeGreaterThan(base);
    const snapshot = Buffer.from(new Uint8Array(raw.memory.buffer, base, dataTop - base));
    const want = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`key-${i}`, `value ${i} `.repeat(3)]));
    for (let round = 0; round < 3; round++) {
      const input = new TextEncoder().encode(JSON.stringify({ round, pad: 'p'.repeat(50_000 * round) }));
      const missing = dataTop + input.length - raw.memory.buffer.byteLength;
      if (missing > 0) raw.memory.grow(Math.ceil(missing / 65536)); // as the SDK does
      new Uint8Array(raw.memory.buffer).set(input, dataTop);
      const out = raw.cstring(raw.exports.opa_eval(0, 0, dataAddr, dataTop, input.length, dataTop + input.length, 0));
      expect(JSON.parse(out)).toEqual([{ result: want }]);
      expect(Buffer.from(new Uint8Array(raw.memory.buffer, base, dataTop - base)).equals(snapshot)).toBe(true);
      raw.exports.opa_heap_ptr_set(dataTop);
      expect(raw.exports.opa_heap_ptr_get()).toBe(dataTop);
    }
  });

  test('non-ASCII constants and keys round-trip (2-, 3- and 4-byte UTF-8)', async () => {
    const b = new PlanBuilder();
    const keys = ['é', '€uro', '😀', 'plain', 'a\u0000b'];
    const stmts = [st('MakeObjectStmt', { target: 2 })];
    keys.forEach((k, i) => stmts.push(st('ObjectInsertStmt', { key: b.S(k), value: b.S(`${k}:${i}:ß`), object: 2 })));
    // and a lookup by a non-ASCII key read from the input
    stmts.push(
      st('DotStmt', { source: L(0), key: b.S('😀'), target: 3 }),
      st('ObjectInsertStmt', { key: b.S('from_input'), value: L(3), object: 2 }),
      st('MakeObjectStmt', { target: 4 }),
      st('ObjectInsertStmt', { key: b.S('result'), value: L(2), object: 4 }),
      st('ResultSetAddStmt', { value: 4 }),
    );
    const out = (await evaluate(buildPolicyWasm(b.policy({ main: [block(...stmts)] })), { '😀': 'smile' })) as { result: Record<string, string> }[];
    const want: Record<string, string> = { from_input: 'smile' };
    keys.forEach((k, i) => (want[k] = `${k}:${i}:ß`));
    expect(out[0].result).toEqual(want);
  });

  test('CallDynamic finds functions by path in code-point order (not UTF-16 order)', async () => {
    const b = new PlanBuilder();
    // "\uffff" < "😀" by code point, but "\ud83d…" < "\uffff" by UTF-16 unit
    const names = ['a', 'b', '\uffff', '😀', 'ab', 'a\u0000'];
    const funcs = names.map((n, i) => ({
      name: `g0.data.t.f${i}`,
      params: [0, 1],
      ret: 2,
      path: ['g0', 't', n],
      blocks: [block(st('AssignVarStmt', { source: b.S(`value of ${i}`), target: 2 }))],
    }));
    const main = block(
      st('DotStmt', { source: L(0), key: b.S('name'), target: 2 }),
      st('CallDynamicStmt', { path: [b.S('g0'), b.S('t'), L(2)], args: [0, 1], result: 3 }),
      st('MakeObjectStmt', { target: 4 }),
      st('ObjectInsertStmt', { key: b.S('result'), value: L(3), object: 4 }),
      st('ResultSetAddStmt', { value: 4 }),
    );
    const policy = await loadPolicy(buildPolicyWasm(b.policy({ main: [main] }, funcs)));
    for (const [i, n] of names.entries()) expect(policy.evaluate({ name: n })).toEqual([{ result: `value of ${i}` }]);
    for (const n of ['', 'c', '\ud83d', 'a\u0000\u0000', 'A']) expect(policy.evaluate({ name: n })).toEqual([]);
  });

  test('compareCodePoints orders like the runtime (astral after U+FFFF, prefixes first)', () => {
    expect(compareCodePoints('\uffff', '😀')).toBeLessThan(0);
    expect('\uffff' < '😀').toBe(false); // JavaScript's UTF-16 order disagrees
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0);
    expect(compareCodePoints('b', 'ab')).toBeGreaterThan(0);
    expect(compareCodePoints('x😀', 'x😀')).toBe(0);
  });

  test('conflicts cite the file, row and column of the statement', () => {
    const b = new PlanBuilder();
    const p = b.policy({
      main: [
        block(
          { type: 'AssignVarOnceStmt', stmt: { source: { type: 'bool', value: true }, target: 2, file: 1, row: 7, col: 3 } },
          { type: 'AssignVarOnceStmt', stmt: { source: { type: 'bool', value: false }, target: 2, file: 1, row: 42, col: 9 } },
        ),
      ],
    });
    p.static!.files = [{ value: 'a.rego' }, { value: 'dir/ünï.rego' }];
    const inst = instantiateForInspection(buildPolicyWasm(p));
    expect(() => inst.exports.opa_eval(0, 0, 0, 0, 0, inst.exports.opa_heap_ptr_get(), 0)).toThrow(
      'dir/ünï.rego:42:9: var assignment conflict (complete rules must not produce multiple outputs)',
    );
  });

  test('a call to a function neither planned nor a builtin is refused at start-up', () => {
    const b = new PlanBuilder();
    const p = b.policy({ main: [block(st('CallStmt', { func: 'no.such.function', args: [], result: 2 }))] });
    expect(() => buildPolicyWasm(p)).toThrow(PlanRejectedError);
    expect(() => buildPolicyWasm(p)).toThrow(/unknown function no\.such\.function/);
  });

  test('locals beyond the fixed-width limit are a PackageError, not a corrupt module', () => {
    const b = new PlanBuilder();
    const p = b.policy({ main: [block(st('MakeNullStmt', { target: 70_000 }))] });
    expect(() => buildPolicyWasm(p)).toThrow(PackageError);
    expect(() => buildPolicyWasm(p)).toThrow(/70000/);
  });

  test('the module declares the memory its start-up reaches: instantiating it grows nothing', () => {
    const b = new PlanBuilder();
    // 3,000 constants: the constant table and arena reserved at start-up exceed the plan's own pages
    const stmts = Array.from({ length: 3000 }, (_, i) => st('AssignVarStmt', { source: b.S(`constant number ${i} `.repeat(4)), target: 2 }));
    const wasm = buildPolicyWasm(b.policy({ main: [block(...stmts)] }));
    const pages = importedMemoryMinPages(wasm);
    const inst = instantiateForInspection(wasm); // memory of exactly the declared pages
    expect(inst.memory.buffer.byteLength).toBe(pages * PAGE_SIZE);
    const top = inst.exports.opa_heap_ptr_get();
    expect(pages * PAGE_SIZE - top).toBeGreaterThanOrEqual(16 * 1024);
    expect(pages * PAGE_SIZE - top).toBeLessThan(16 * 1024 + PAGE_SIZE);
  });

  test('the runtime refuses a plan in another format (e.g. the former JSON embedding)', () => {
    const eng = engine();
    const json = new TextEncoder().encode(JSON.stringify(constantPolicy('x')));
    const address = (engineHeapBase(eng) + 15) & ~15;
    const heapStart = (address + json.length + 15) & ~15;
    const wasm = embed(eng, {
      globals: { opa_plan_addr: address, opa_plan_len: json.length, opa_heap_start: heapStart },
      data: json,
      address,
      minMemoryPages: Math.max(importedMemoryMinPages(eng), Math.ceil(heapStart / PAGE_SIZE)),
    });
    expect(() => instantiateForInspection(wasm)).toThrow(/invalid plan: not a compact plan/);
  });
});
