/**
 * The runtime's fast paths (ASCII strings, canonical integers, small objects
 * sorted in place, inline zeroing of small allocations) must give exactly the
 * results of the general paths.
 */
import fc from 'fast-check';
import { rawInstance } from './runtime-helpers';

describe('runtime fast paths give the same values as the general paths', () => {
  const raw = rawInstance();
  const roundTrip = (text: string, rego = false): string | null => {
    const saved = raw.exports.opa_heap_ptr_get();
    try {
      const v = raw.parse(text, rego);
      return v === 0 ? null : raw.dump(v, rego);
    } finally {
      raw.exports.opa_heap_ptr_set(saved);
    }
  };

  test('integers around the 18-digit fast-path limit keep their exact text and order', () => {
    const ints = ['0', '-0', '7', '-16', '1024', '1025', '-1763800000', '999999999999999999', '1000000000000000000',
      '-999999999999999999', '9223372036854775807', '9223372036854775808', '123456789012345678901234567890'];
    for (const t of ints) expect(roundTrip(t)).toBe(t);
    expect(roundTrip(`[${ints.join(',')}]`)).toBe(`[${ints.join(',')}]`);
    // numeric order and equality across the fast and general paths
    expect(roundTrip('{999999999999999999, 1000000000000000000, 1e18, 5, 5.0, -0, 0}', true))
      .toBe('{-0,5,999999999999999999,1000000000000000000}');
  });

  test('number literals that only start like integers take the general path', () => {
    expect(roundTrip('[12.5,1e2,-3E-1,10.0]')).toBe('[12.5,1e2,-3E-1,10.0]');
    for (const bad of ['01', '-01', '12-3', '1+', '--1', '1.', '1e', '-']) expect(roundTrip(bad)).toBeNull();
  });

  test('small objects in any key order with duplicates: sorted keys, last duplicate wins (as a JS reference)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'aa', 'ab', 'b\u00e9', '\u{1F600}', 'z', ''), fc.integer({ min: -5, max: 5 })), { maxLength: 30 }), (pairs) => {
        const text = `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
        const last = new Map<string, number>();
        for (const [k, v] of pairs) last.set(k, v);
        const codePoints = (s: string) => [...s].map((c) => c.codePointAt(0) ?? 0);
        const keys = [...last.keys()].sort((x, y) => {
          const a = codePoints(x), b = codePoints(y);
          for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
          return a.length - b.length;
        });
        const expected = `{${keys.map((k) => `${JSON.stringify(k)}:${last.get(k)}`).join(',')}}`;
        expect(roundTrip(text)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  test('ASCII, escaped and multi-byte strings decode alike; lengths around the 4-byte chunking', () => {
    for (let n = 0; n < 12; n++) {
      const s = 'abcdefghijkl'.slice(0, n);
      expect(roundTrip(JSON.stringify(s))).toBe(JSON.stringify(s));
      expect(roundTrip(JSON.stringify(`${s}\u00e9`))).toBe(JSON.stringify(`${s}\u00e9`));
      expect(roundTrip(`"${s}\\u0041"`)).toBe(JSON.stringify(`${s}A`));
    }
  });

  test('strings scanned 8 bytes at a time: a quote, escape, control or non-ASCII character at any position', () => {
    const specials = ['"', '\\', '\n', '\u0001', '\u001f', '\u007f', '\u00e9', '\u20ac', '\u{1F600}', '/'];
    for (let n = 0; n <= 40; n++) {
      const base = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDE'.slice(0, n);
      for (let at = 0; at <= n; at++) {
        for (const c of specials) {
          const s = base.slice(0, at) + c + base.slice(at);
          expect(roundTrip(JSON.stringify(s))).toBe(JSON.stringify(s));
        }
      }
      // a raw control character inside a string is malformed JSON at any position
      for (let at = 0; at <= n; at++) expect(roundTrip(`"${base.slice(0, at)}\u0001${base.slice(at)}"`)).toBeNull();
    }
  });

  test('the remembered key order of a key count is used only when it sorts the new object', () => {
    const orders = [
      '{"sub":1,"aud":2,"exp":3,"iss":4}',
      '{"iss":4,"exp":3,"aud":2,"sub":1}', // same keys, new order
      '{"sub":1,"aud":2,"exp":3,"iss":4}',
      '{"zz":1,"aa":2,"mm":3,"bb":4}', // same count, other keys
      '{"sub":1,"aud":2,"sub":3,"iss":4}', // same count with a duplicate (last wins)
      '{"sub":1,"aud":2,"exp":3,"iss":4}',
      '{"sua":1,"aud":2,"exp":3,"isz":4}', // keys that differ only past the 3-unit prefix order
      '{"subb":1,"suba":2,"exp":3,"iss":4}',
    ];
    const expected = [
      '{"aud":2,"exp":3,"iss":4,"sub":1}',
      '{"aud":2,"exp":3,"iss":4,"sub":1}',
      '{"aud":2,"exp":3,"iss":4,"sub":1}',
      '{"aa":2,"bb":4,"mm":3,"zz":1}',
      '{"aud":2,"iss":4,"sub":3}',
      '{"aud":2,"exp":3,"iss":4,"sub":1}',
      '{"aud":2,"exp":3,"isz":4,"sua":1}',
      '{"exp":3,"iss":4,"suba":2,"subb":1}',
    ];
    for (let round = 0; round < 2; round++) {
      orders.forEach((text, i) => expect(roundTrip(text)).toBe(expected[i]));
    }
  });

  test('string order compares code points past equal 4-unit prefixes', () => {
    expect(roundTrip('{"abcdefgh\u{1F600}", "abcdefgh\uFFFF", "abcdefgh", "abcdefg", "abcdefgi"}', true))
      .toBe('{"abcdefg","abcdefgh","abcdefgh\uFFFF","abcdefgh\u{1F600}","abcdefgi"}');
  });

  test('objects allocated over garbage left by an earlier evaluation start empty', () => {
    const saved = raw.exports.opa_heap_ptr_get();
    const junk = raw.exports.opa_malloc(4096);
    new Uint8Array(raw.memory.buffer).fill(0xab, junk, junk + 4096);
    raw.exports.opa_heap_ptr_set(saved);
    expect(roundTrip('{"b":[1,{"c":null}],"a":{},"d":[],"e":{"x":true}}')).toBe('{"a":{},"b":[1,{"c":null}],"d":[],"e":{"x":true}}');
  });
});
