import { rawInstance } from './runtime-helpers';

describe('runtime values: JSON and Rego term codec', () => {
  const raw = rawInstance();
  const roundTrip = (text: string, rego = false): string | null => {
    const v = raw.parse(text, rego);
    return v === 0 ? null : raw.dump(v, rego);
  };

  test('objects dump with keys in sorted order, whatever the input order', () => {
    expect(roundTrip('{"b":1,"a":2,"c":{"z":1,"y":2}}')).toBe('{"a":2,"b":1,"c":{"y":2,"z":1}}');
  });

  test('duplicate object keys keep the last value', () => {
    expect(roundTrip('{"a":1,"a":2}')).toBe('{"a":2}');
    expect(roundTrip('{"b":0,"a":1,"b":2,"a":3}')).toBe('{"a":3,"b":2}');
  });

  test('large objects in any key order parse in near-linear time', () => {
    const keys = Array.from({ length: 100000 }, (_, i) => `k${String(99999 - i).padStart(6, '0')}`);
    const text = `{${keys.map((k, i) => `"${k}":${i}`).join(',')}}`;
    const t0 = Date.now();
    const out = roundTrip(text);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(out?.startsWith('{"k000000":99999,"k000001":99998')).toBe(true);
  });

  test('number text is kept exactly, beyond float64 and int64', () => {
    expect(roundTrip('[1.0, 1e400, 12345678901234567890123, -0.000000000000000000001]'))
      .toBe('[1.0,1e400,12345678901234567890123,-0.000000000000000000001]');
  });

  test('sets parse in Rego term syntax, dedupe by numeric value and dump sorted', () => {
    expect(roundTrip('{3, 1, 2, 1.0, "a", null}', true)).toBe('{null,1,2,3,"a"}');
    expect(roundTrip('set()', true)).toBe('set()');
    // JSON dump of a set is an array
    expect(raw.dump(raw.parse('{"x", "y"}', true))).toBe('["x","y"]');
  });

  test('non-string object keys: kept in term syntax, JSON text as key in JSON', () => {
    const v = raw.parse('{1: "a", [1]: "b", "s": "c"}', true);
    expect(raw.dump(v, true)).toBe('{1:"a","s":"c",[1]:"b"}');
    expect(raw.dump(v)).toBe('{"1":"a","s":"c","[1]":"b"}');
  });

  test('values of different types order null < boolean < number < string < array < object < set', () => {
    expect(roundTrip('{{}, set(), [], "", 0, false, null}', true)).toBe('{null,false,0,"",[],{},set()}');
  });

  test('escapes decode and re-encode; control characters are escaped', () => {
    expect(roundTrip('"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0001"')).toBe('"a\\"b\\\\c/d\\b\\f\\n\\r\\t\\u0001"');
  });

  test('surrogate pairs decode to one code point and dump as UTF-8', () => {
    const v = raw.parse('"\\ud83d\\ude00x"');
    const out = raw.dump(v);
    expect(out).toBe('"😀x"');
    // a lone surrogate becomes U+FFFD rather than invalid UTF-8
    expect(roundTrip('"\\ud800"')).toBe('"\uFFFD"');
  });

  test('raw UTF-8 text passes through unchanged', () => {
    expect(roundTrip('"héllo wörld ✓ 𝄞"')).toBe('"héllo wörld ✓ 𝄞"');
  });

  test('malformed JSON is rejected', () => {
    for (const bad of ['{"a":1,}', '[1,]', '01', '1.', '.5', '+1', '{a:1}', "'x'", '"abc', '[1 2]', 'nul', '"\t"', '1 2', '{"a"}', '"\\x"', '"\\u12"', '{1:2}']) {
      expect([bad, raw.parse(bad)]).toEqual([bad, 0]);
    }
  });

  test('invalid UTF-8 is rejected', () => {
    const cases = [
      [0x22, 0xff, 0x22],             // invalid byte
      [0x22, 0xc3, 0x22],             // truncated sequence
      [0x22, 0xc0, 0xaf, 0x22],       // overlong
      [0x22, 0xed, 0xa0, 0x80, 0x22], // encoded surrogate
      [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22], // > U+10FFFF
    ];
    for (const c of cases) expect(raw.parse(new Uint8Array(c))).toBe(0);
    expect(raw.parse(new Uint8Array([0x22, 0xc3, 0xa9, 0x22]))).not.toBe(0);
  });

  test('nesting up to 512 levels parses and dumps; deeper input is rejected, not a crash', () => {
    const ok = '{"a":['.repeat(256) + '1' + ']}'.repeat(256);
    expect(roundTrip(ok)).toBe(ok);
    const deep = '['.repeat(100000) + ']'.repeat(100000);
    expect(raw.parse(deep)).toBe(0);
    expect(roundTrip('[[[]]]')).toBe('[[[]]]'); // still usable afterwards
  });

  test('empty input parses to undefined (address 0)', () => {
    expect(raw.exports.opa_json_parse(raw.exports.opa_malloc(1), 0)).toBe(0);
  });

  test('opa_value_add_path / remove_path upsert and delete nested keys', () => {
    const base = raw.parse('{"a":{"b":1}}');
    expect(raw.exports.opa_value_add_path(base, raw.parse('["a","c","d"]'), raw.parse('true'))).toBe(0);
    expect(raw.dump(base)).toBe('{"a":{"b":1,"c":{"d":true}}}');
    expect(raw.exports.opa_value_remove_path(base, raw.parse('["a","b"]'))).toBe(0);
    expect(raw.dump(base)).toBe('{"a":{"c":{"d":true}}}');
    expect(raw.exports.opa_value_add_path(raw.parse('[1]'), raw.parse('["a"]'), raw.parse('1'))).toBe(2);
    expect(raw.exports.opa_value_add_path(base, raw.parse('[1]'), raw.parse('1'))).toBe(3);
  });
});

describe('runtime allocator', () => {
  test('opa_heap_ptr_set discards everything allocated above the saved pointer', () => {
    const raw = rawInstance();
    const saved = raw.exports.opa_heap_ptr_get();
    raw.parse(JSON.stringify({ big: 'x'.repeat(10000) }));
    expect(raw.exports.opa_heap_ptr_get()).toBeGreaterThan(saved + 10000);
    raw.exports.opa_heap_ptr_set(saved);
    expect(raw.exports.opa_heap_ptr_get()).toBe(saved);
    const again = raw.exports.opa_malloc(16);
    expect(again).toBeLessThan(saved + 64);
  });

  test('allocations are 16-byte aligned even after an unaligned heap pointer', () => {
    const raw = rawInstance();
    raw.exports.opa_heap_ptr_set(raw.exports.opa_heap_ptr_get() + 3);
    expect(raw.exports.opa_malloc(5) % 16).toBe(0);
  });

  test('memory grows on demand, also after the host grew it itself', () => {
    const raw = rawInstance();
    raw.memory.grow(2);
    const pages = raw.memory.buffer.byteLength / 65536;
    const big = raw.exports.opa_malloc(pages * 65536); // more than the whole memory
    expect(raw.memory.buffer.byteLength).toBeGreaterThan(big + pages * 65536 - 1);
    new Uint8Array(raw.memory.buffer)[big + pages * 65536 - 1] = 1; // in bounds
  });
});
