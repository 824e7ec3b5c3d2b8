import fc from 'fast-check';
import { buildPolicyWasm } from '../src/package';
import { block, L, PlanBuilder, rawInstance, st } from './runtime-helpers';

/** JSON text with object keys sorted recursively by code point (Rego's order for string keys). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    entries.sort(([a], [b]) => cpCompare(a, b));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function cpCompare(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0) ?? 0);
  const y = Array.from(b, (c) => c.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

describe('runtime codec properties', () => {
  const raw = rawInstance();
  const base = raw.exports.opa_heap_ptr_get();

  test('any JSON document round-trips through opa_json_parse/opa_json_dump (keys in code point order)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        raw.exports.opa_heap_ptr_set(base);
        const text = JSON.stringify(v);
        const addr = raw.parse(text);
        expect(addr).not.toBe(0);
        const out = raw.dump(addr);
        expect(JSON.parse(out)).toEqual(JSON.parse(text));
        expect(out).toBe(canonical(JSON.parse(out))); // keys sorted in the text itself
      }),
      { numRuns: 300 },
    );
  });

  test('a set of integers dumps sorted and deduplicated', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e15, max: 1e15 }), { minLength: 1, maxLength: 40 }), (xs) => {
        raw.exports.opa_heap_ptr_set(base);
        const addr = raw.parse(`{${xs.join(',')}}`, true);
        const want = [...new Set(xs)].sort((a, b) => a - b);
        expect(JSON.parse(raw.dump(addr))).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });
});

describe('runtime integer arithmetic matches BigInt', () => {
  // plan: result = <op>(input[0], input[1])
  const calcFor = (op: string) => {
    const b = new PlanBuilder();
    const wasm = buildPolicyWasm(b.policy({ calc: [block(
      st('MakeNumberIntStmt', { value: 0, target: 10 }),
      st('MakeNumberIntStmt', { value: 1, target: 11 }),
      st('DotStmt', { source: L(0), key: L(10), target: 20 }),
      st('DotStmt', { source: L(0), key: L(11), target: 21 }),
      st('CallStmt', { func: op, args: [L(20), L(21)], result: 2 }),
      st('MakeObjectStmt', { target: 3 }),
      st('ObjectInsertStmt', { key: b.S('r'), value: L(2), object: 3 }),
      st('ResultSetAddStmt', { value: 3 }),
    )] }), { verify: false });
    const raw = rawInstance(wasm);
    const data = raw.parse('{}');
    const base = raw.exports.opa_heap_ptr_get();
    return (a: bigint, c: bigint): string => {
      const bytes = new TextEncoder().encode(`[${a},${c}]`);
      new Uint8Array(raw.memory.buffer).set(bytes, base);
      const out = raw.cstring(raw.exports.opa_eval(0, 0, data, base, bytes.length, base + bytes.length, 0));
      const m = /^\[\{"r":(.*)\}\]$/.exec(out);
      return m ? m[1] : 'undefined';
    };
  };
  const big = fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n });

  test.each([
    ['plus', (a: bigint, b: bigint) => a + b],
    ['minus', (a: bigint, b: bigint) => a - b],
    ['mul', (a: bigint, b: bigint) => a * b],
  ])('%s', (op, ref) => {
    const f = calcFor(op);
    fc.assert(fc.property(big, big, (a, b) => expect(f(a, b)).toBe(String(ref(a, b)))), { numRuns: 300 });
  });

  test('rem truncates toward zero like Go (sign of the dividend); x % 0 is undefined', () => {
    const f = calcFor('rem');
    fc.assert(fc.property(big, big, (a, b) => expect(f(a, b)).toBe(b === 0n ? 'undefined' : String(a % b))), { numRuns: 300 });
  });

  test('comparison agrees with BigInt order', () => {
    const f = calcFor('lt');
    fc.assert(fc.property(big, big, (a, b) => expect(f(a, b)).toBe(String(a < b))), { numRuns: 300 });
  });
});
