/**
 * inputJsonSelector: the JSON bytes of the pruned input, written in one pass
 * into a reused, space-padded buffer. Held to JSON.stringify(pruneInput(...))
 * and run through the engine, which must read the padded bytes as the input.
 */
import fc from 'fast-check';
import { capacityFor, inputJsonSelector, MAX_KEPT_BYTES } from '../src/plan/input-json';
import { pruneInput, type InputPaths } from '../src/plan/input-paths';
import { build, loadPolicyWasm } from '../src';

const decode = (b: unknown): string => new TextDecoder().decode(b as ArrayBuffer);

/** What the selector hands the SDK, as the JSON text it stands for. */
function written(paths: InputPaths, input: unknown): string {
  const out = inputJsonSelector(paths)(input);
  expect(out).toBeInstanceOf(ArrayBuffer);
  return decode(out).trimEnd();
}

const key = fc.oneof(
  fc.constantFrom('a', 'b', 'token', 'payload', '__proto__', 'constructor', 'toString', 'ключ', 'x"y', 'e\u0301', '\ud800'),
  fc.string({ maxLength: 4 }),
);
const leaf = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, 1e21, 1e-7, Number.MAX_SAFE_INTEGER, NaN, Infinity, -Infinity, true, false, null, undefined),
);
// more than the writer walks itself (16 entries): JSON.stringify writes these
const large = fc.oneof(
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(undefined)), { minLength: 17, maxLength: 24 }),
  fc.dictionary(key, fc.oneof(fc.string(), fc.double()), { minKeys: 17, maxKeys: 24 }),
);
const doc = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, large, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
}));
const paths = fc.array(fc.array(key, { maxLength: 3 }), { maxLength: 4 });

describe('inputJsonSelector', () => {
  test('writes exactly JSON.stringify(pruneInput(input, paths)), padded with spaces', () => {
    fc.assert(
      fc.property(doc.object, paths, (input, ps) => {
        const out = inputJsonSelector(ps)(input);
        const pruned = pruneInput(input, ps);
        if (pruned === input) {
          expect(out).toBe(input);
          return;
        }
        expect(out).toBeInstanceOf(ArrayBuffer);
        const text = decode(out);
        expect(text.trimEnd()).toBe(JSON.stringify(pruned));
        expect(text.slice(JSON.stringify(pruned).length)).toMatch(/^ *$/);
      }),
      { numRuns: 2000 },
    );
  });

  test('prototype-free maps, getters, arrays with holes and functions are written as JSON writes them', () => {
    const headers = Object.assign(Object.create(null) as Record<string, string>, { 'x-tenant': 'acme', constructor: 'c' });
    const withGetter = { get g() { return 'got'; }, f: () => 1, s: Symbol('s'), u: undefined };
    // eslint-disable-next-line no-sparse-arrays
    const input = { headers, o: withGetter, arr: [1, , undefined, () => 1, 'x'], d: new Date(0), set: new Set([1]), boxed: new String('b') };
    const ps = [['headers'], ['o'], ['arr'], ['d'], ['set'], ['boxed']];
    expect(written(ps, input)).toBe(JSON.stringify(pruneInput(input, ps)));
    expect(written(ps, input)).toBe(
      '{"headers":{"x-tenant":"acme","constructor":"c"},"o":{"g":"got"},"arr":[1,null,null,null,"x"],"d":"1970-01-01T00:00:00.000Z","set":{},"boxed":"b"}',
    );
  });

  test('long text of multi-byte characters is written whole, whatever the buffer had room for', () => {
    const body = { list: Array.from({ length: 40 }, (_, i) => ({ i, s: `é😀ü${'ж'.repeat(3000)}\u2028"` })), tail: 'ok' };
    const input = { response: { body }, other: 'x' };
    const out = inputJsonSelector([['response', 'body']])(input) as ArrayBuffer;
    expect(decode(out).trimEnd()).toBe(JSON.stringify({ response: { body } }));
  });

  test('a value JSON leaves out (a function, a symbol) leaves out its key, at a path as inside a subtree', () => {
    const input = { f: () => 1, b: 1, s: Symbol('s'), t: { g: () => 2, c: 'x' } };
    const ps = [['f'], ['b'], ['s'], ['t', 'g'], ['t', 'c']];
    expect(written(ps, input)).toBe('{"b":1,"t":{"c":"x"}}');
    expect(written(ps, input)).toBe(JSON.stringify(pruneInput(input, ps)));
    expect(written([['f'], ['s']], input)).toBe('{}');
  });

  test('a BigInt fails as JSON.stringify fails', () => {
    expect(() => inputJsonSelector([['n']])({ n: 1n })).toThrow(TypeError);
  });

  test('the whole input, a falsy input and a non-JSON input are handed over as they are', () => {
    const input = { a: 1 };
    expect(inputJsonSelector([[], ['a']])(input)).toBe(input);
    for (const falsy of [undefined, null, 0, '', false]) expect(inputJsonSelector([['a']])(falsy)).toBe(falsy);
    const fn = (): number => 1;
    expect(inputJsonSelector([['a']])(fn)).toBe(fn);
    expect(written([['a']], 'text')).toBe('"text"');
  });

  test('a shorter input after a longer one in the same buffer leaves none of the longer one behind', () => {
    const select = inputJsonSelector([['a']]);
    const long = decode(select({ a: 'x'.repeat(200) }));
    const short = select({ a: 'y' }) as ArrayBuffer;
    expect(short.byteLength).toBe(long.length);
    expect(decode(short)).toBe(`{"a":"y"}${' '.repeat(long.length - 9)}`);
  });

  test('buffers: a size class per eighth of a power of two; inputs above the kept size get their own', () => {
    for (const n of [0, 1, 256, 257, 300, 1000, 4097, 100_000]) {
      const c = capacityFor(n);
      expect(c).toBeGreaterThanOrEqual(n);
      expect(c).toBeLessThanOrEqual(Math.max(256, n + n / 8 + 1));
    }
    const select = inputJsonSelector([['a']]);
    const big = { a: 'z'.repeat(MAX_KEPT_BYTES) };
    const first = select(big) as ArrayBuffer;
    expect(select(big)).not.toBe(first);
    expect(decode(first)).toBe(JSON.stringify(big));
    const small = select({ a: 1 });
    expect(select({ a: 2 })).toBe(small);
  });

  test('the engine reads the padded bytes as the input', async () => {
    const policy = await loadPolicyWasm(
      build({ sources: [{ file: 'p.rego', text: 'package p\n\nr := {"u": input.user, "n": count(input.tags)}\n' }], entrypoints: ['p/r'] }).bytes,
    );
    const input = { user: 'ал"ice\u0000', tags: ['a', 'b', 'c'], other: 'x'.repeat(500) };
    const select = inputJsonSelector([['user'], ['tags']]);
    const bytes = select(input) as ArrayBuffer;
    expect(bytes.byteLength).toBeGreaterThan(decode(bytes).trimEnd().length);
    expect(policy.evaluate(bytes, 'p/r')).toEqual(policy.evaluate(input, 'p/r'));
    expect(policy.evaluate(bytes, 'p/r')).toEqual([{ result: { u: input.user, n: 3 } }]);
  });
});
