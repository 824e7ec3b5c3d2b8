import { loadPolicy, loadPolicySync } from '@open-policy-agent/opa-wasm';
import { buildPolicyWasm } from '../src/package';
import type { Block, Policy } from '../src/ir/plan';
import { B, block, EngineAbort, entryCalling, L, PlanBuilder, rawInstance, st } from './runtime-helpers';

const build = (policy: Policy, extra: string[] = []): Uint8Array =>
  buildPolicyWasm(policy, { verify: extra.length === 0, extraHostBuiltins: extra });

/** Evaluates through the raw ABI (opa_eval) and returns the exact JSON text of the result set. */
function evalText(wasm: Uint8Array, input: string | undefined, entrypoint = 0, data = '{}'): string {
  const raw = rawInstance(wasm);
  const dataAddr = raw.parse(data);
  const base = raw.exports.opa_heap_ptr_get();
  let addr = 0;
  let len = 0;
  if (input !== undefined) {
    const bytes = new TextEncoder().encode(input);
    const missing = base + bytes.length - raw.memory.buffer.byteLength;
    if (missing > 0) raw.memory.grow(Math.ceil(missing / 65536)); // as the SDK does
    new Uint8Array(raw.memory.buffer).set(bytes, base);
    addr = base;
    len = bytes.length;
  }
  return raw.cstring(raw.exports.opa_eval(0, entrypoint, dataAddr, addr, len, base + len, 0));
}

/** Plan "calc": result = <builtin>(input[0], input[1], ...). */
function builtinPlan(name: string, arity: number, host = false): Policy {
  const b = new PlanBuilder();
  if (host) b.builtin(name, 'any');
  const stmts = [];
  const args = [];
  for (let i = 0; i < arity; i++) {
    stmts.push(st('MakeNumberIntStmt', { value: i, target: 10 + i }));
    stmts.push(st('DotStmt', { source: L(0), key: L(10 + i), target: 20 + i }));
    args.push(L(20 + i));
  }
  stmts.push(st('CallStmt', { func: name, args, result: 2 }));
  stmts.push(st('MakeObjectStmt', { target: 3 }));
  stmts.push(st('ObjectInsertStmt', { key: b.S('result'), value: L(2), object: 3 }));
  stmts.push(st('ResultSetAddStmt', { value: 3 }));
  return b.policy({ calc: [block(...stmts)] });
}

const calc = (name: string, args: string[]): string => {
  const out = evalText(build(builtinPlan(name, args.length)), `[${args.join(',')}]`);
  const m = /^\[\{"result":(.*)\}\]$/.exec(out);
  return m ? m[1] : 'undefined';
};

/** The example of the design brief: `allow` with a default, `public_ids` partial set. */
function authzPolicy(): Policy {
  const b = new PlanBuilder();
  const allow: Block[] = [
    block(
      st('ResetLocalStmt', { target: 3 }),
      st('DotStmt', { source: L(0), key: b.S('user'), target: 4 }),
      st('DotStmt', { source: L(4), key: b.S('role'), target: 5 }),
      st('EqualStmt', { a: L(5), b: b.S('admin') }),
      st('AssignVarOnceStmt', { source: B(true), target: 3 }),
    ),
    block(st('IsDefinedStmt', { source: 3 }), st('AssignVarOnceStmt', { source: L(3), target: 2 })),
    block(st('IsUndefinedStmt', { source: 2 }), st('AssignVarOnceStmt', { source: B(false), target: 2 })),
    block(st('ReturnLocalStmt', { source: 2 })),
  ];
  const ids: Block[] = [
    block(st('MakeSetStmt', { target: 2 })),
    block(
      st('DotStmt', { source: L(0), key: b.S('networks'), target: 4 }),
      st('ScanStmt', {
        source: 4, key: 5, value: 6,
        block: block(
          st('DotStmt', { source: L(6), key: b.S('public'), target: 9 }),
          st('NotEqualStmt', { a: L(9), b: B(false) }),
          st('DotStmt', { source: L(6), key: b.S('id'), target: 10 }),
          st('SetAddStmt', { value: L(10), set: 2 }),
        ),
      }),
    ),
    block(st('ReturnLocalStmt', { source: 2 })),
  ];
  return b.policy(
    { 'authz/allow': entryCalling(b, 'g0.data.authz.allow'), 'authz/public_ids': entryCalling(b, 'g0.data.authz.public_ids') },
    [
      { name: 'g0.data.authz.allow', params: [0, 1], ret: 2, blocks: allow, path: ['g0', 'authz', 'allow'] },
      { name: 'g0.data.authz.public_ids', params: [0, 1], ret: 2, blocks: ids, path: ['g0', 'authz', 'public_ids'] },
    ],
  );
}

describe('runtime evaluation through the OPA SDK', () => {
  const wasm = build(authzPolicy());

  test('complete rule with default and partial set, via loadPolicy (fast path)', async () => {
    const policy = await loadPolicy(wasm as Uint8Array<ArrayBuffer>);
    expect(policy.entrypoints).toEqual({ 'authz/allow': 0, 'authz/public_ids': 1 });
    expect(policy.evaluate({ user: { role: 'admin' } }, 'authz/allow')).toEqual([{ result: true }]);
    expect(policy.evaluate({ user: { role: 'dev' } }, 'authz/allow')).toEqual([{ result: false }]);
    expect(policy.evaluate(undefined, 'authz/allow')).toEqual([{ result: false }]);
    const nets = { networks: [{ id: 'b', public: true }, { id: 'a', public: true }, { id: 'c', public: false }] };
    expect(policy.evaluate(nets, 'authz/public_ids')).toEqual([{ result: ['a', 'b'] }]);
    expect(policy.evaluate({}, 'authz/public_ids')).toEqual([{ result: [] }]);
  });

  test('loadPolicySync and the pre-1.2 context API give the same answers', () => {
    const policy = loadPolicySync(wasm as Uint8Array<ArrayBuffer>);
    expect(policy.evaluate({ user: { role: 'admin' } }, 'authz/allow')).toEqual([{ result: true }]);
    const raw = rawInstance(wasm);
    const ctx = raw.exports.opa_eval_ctx_new();
    raw.exports.opa_eval_ctx_set_input(ctx, raw.parse('{"user":{"role":"admin"}}'));
    raw.exports.opa_eval_ctx_set_data(ctx, raw.parse('{}'));
    raw.exports.opa_eval_ctx_set_entrypoint(ctx, 0);
    expect(raw.exports.eval(ctx)).toBe(0);
    expect(raw.dump(raw.exports.opa_eval_ctx_get_result(ctx))).toBe('[{"result":true}]');
  });

  test('memory stays flat over many evaluations (heap reset per evaluation)', async () => {
    const policy = await loadPolicy(wasm as Uint8Array<ArrayBuffer>);
    const input = { networks: Array.from({ length: 2000 }, (_, i) => ({ id: `n${i}`, public: i % 2 === 0 })) };
    for (let i = 0; i < 20; i++) policy.evaluate(input, 'authz/public_ids');
    const mem = (policy as unknown as { mem: WebAssembly.Memory }).mem;
    const size = mem.buffer.byteLength;
    for (let i = 0; i < 300; i++) policy.evaluate(input, 'authz/public_ids');
    expect(mem.buffer.byteLength).toBe(size);
  });

  test('an unknown entrypoint id aborts', () => {
    expect(() => evalText(wasm, '{}', 7)).toThrow(EngineAbort);
  });
});

describe('runtime numbers are exact decimals', () => {
  test('integer arithmetic beyond int64', () => {
    expect(calc('plus', ['9223372036854775807', '1'])).toBe('9223372036854775808');
    expect(calc('plus', ['1e30', '1'])).toBe('1000000000000000000000000000001');
    expect(calc('mul', ['123456789123456789', '1000000000000'])).toBe('123456789123456789000000000000');
    expect(calc('minus', ['-9223372036854775808', '1'])).toBe('-9223372036854775809');
  });

  test('decimal arithmetic without binary rounding', () => {
    expect(calc('plus', ['0.1', '0.2'])).toBe('0.3');
    expect(calc('div', ['1', '4'])).toBe('0.25');
    expect(calc('div', ['6', '3'])).toBe('2');
    expect(calc('div', ['1', '0'])).toBe('undefined');
    expect(calc('rem', ['-7', '3'])).toBe('-1');
    expect(calc('rem', ['7.5', '2'])).toBe('undefined');
    expect(calc('round', ['-2.5'])).toBe('-3');
    expect(calc('ceil', ['1.0000000000000000001'])).toBe('2');
  });

  test('comparisons are exact beyond float64', () => {
    expect(calc('gt', ['1e400', '1e399'])).toBe('true');
    expect(calc('lt', ['1234567890123456789012', '1234567890123456789013'])).toBe('true');
    expect(calc('equal', ['1', '1.0'])).toBe('true');
    expect(calc('equal', ['3.5', '35e-1'])).toBe('true');
    expect(calc('lt', ['0.1000000000000000000001', '0.1000000000000000000002'])).toBe('true');
  });

  test('huge operands from input cannot stall an evaluation', () => {
    const huge = '9'.repeat(50000);
    const t0 = Date.now();
    expect(calc('rem', ['1e5000', '7'])).toBe('undefined');
    expect(calc('mul', [huge, huge])).toBe('undefined'); // float64 overflow: no exact result within the work limit
    expect(calc('numbers.range', ['0', '100000000'])).toBe('undefined');
    expect(calc('format_int', ['1e5000', '16'])).toBe('undefined');
    expect(Date.now() - t0).toBeLessThan(5000);
    // within the limits, results stay exact
    expect(calc('rem', ['1' + '0'.repeat(300), '7'])).toBe(String(10n ** 300n % 7n));
  });

  test('input number text passes through unchanged', () => {
    expect(calc('abs', ['123456789012345678901234567890.5'])).toBe('123456789012345678901234567890.5');
  });
});

describe('runtime builtins', () => {
  test('builtin type errors are undefined, not aborts', () => {
    expect(calc('plus', ['"a"', '1'])).toBe('undefined');
    expect(calc('count', ['1'])).toBe('undefined');
  });

  test('strings count and slice code points, not bytes or UTF-16 units', () => {
    expect(calc('count', ['"héllo😀"'])).toBe('6');
    expect(calc('substring', ['"a😀bc"', '1', '2'])).toBe('"😀b"');
    expect(calc('indexof', ['"😀ab"', '"b"'])).toBe('2');
    expect(calc('strings.reverse', ['"a😀b"'])).toBe('"b😀a"');
  });

  test('sprintf follows Go fmt', () => {
    const f = (fmt: string, args: string) => calc('sprintf', [JSON.stringify(fmt), args]);
    expect(f('%d items', '[123456789123456789123]')).toBe('"123456789123456789123 items"');
    expect(f('hi %v', '[["there", 5, 3.14]]')).toBe('"hi [\\"there\\", 5, 3.14]"');
    expect(f('%.2f|%5d|%-4s|%05d', '[3.14159, 42, "ab", -7]')).toBe('"3.14|   42|ab  |-0007"');
    expect(f('%x %X %o %b', '[255, 255, 8, 5]')).toBe('"ff FF 10 101"');
    expect(f('%s', '[5]')).toBe('"%!s(int=5)"');
    expect(f('%d %d', '[1]')).toBe('"1 %!d(MISSING)"');
    expect(f('%s', '["a", "b"]')).toBe('"a%!(EXTRA string=b)"');
    expect(f('%v %v', '[1e308, 0.000001]')).toBe('"1e+308 1e-06"');
    expect(f('%q', '["a\\"b"]')).toBe('"\\"a\\\\\\"b\\""');
  });

  test('sets, objects and walk results are in sorted order', () => {
    expect(calc('object.keys', ['{"b":1,"a":2}'])).toBe('["a","b"]');
    expect(calc('walk', ['{"b":[1],"a":2}'])).toBe('[[[],{"a":2,"b":[1]}],[["a"],2],[["b"],[1]],[["b",0],1]]');
    expect(calc('concat', ['","', '["b","a"]'])).toBe('"b,a"');
  });

  test('bits.lsh is exact beyond int64 (as Go big.Int)', () => {
    expect(calc('bits.lsh', ['1', '3'])).toBe('8');
    expect(calc('bits.lsh', ['1', '64'])).toBe('18446744073709551616');
    expect(calc('bits.lsh', ['-3', '70'])).toBe(String(-3n << 70n));
  });

  test('json.unmarshal rejects invalid JSON as undefined', () => {
    expect(calc('json.unmarshal', ['"{\\"a\\":[1,2]}"'])).toBe('{"a":[1,2]}');
    expect(calc('json.unmarshal', ['"{bad"'])).toBe('undefined');
  });
});

describe('runtime host builtins', () => {
  test('non-native builtins go to opa_builtinN with JSON-dumped arguments', async () => {
    const wasm = build(builtinPlan('custom.join', 2, true), ['custom.join']);
    const seen: unknown[] = [];
    const policy = await loadPolicy(wasm as Uint8Array<ArrayBuffer>, undefined, {
      'custom.join': (a: unknown, b: unknown) => {
        seen.push([a, b]);
        return `${String(a)}-${String(b)}`;
      },
    });
    expect(policy.evaluate(['x', 'y'])).toEqual([{ result: 'x-y' }]);
    expect(seen).toEqual([['x', 'y']]);
    const raw = rawInstance(wasm);
    expect(raw.dump(raw.exports.builtins())).toBe('{"custom.join":0}');
  });

  test('a host result declared as a set becomes a set; 0-arity results are cached per evaluation', async () => {
    const b = new PlanBuilder();
    b.builtin('custom.tags', 'set');
    const plan = b.policy({
      main: [block(
        st('CallStmt', { func: 'custom.tags', args: [], result: 2 }),
        st('CallStmt', { func: 'custom.tags', args: [], result: 3 }),
        st('EqualStmt', { a: L(2), b: L(3) }),
        st('MakeObjectStmt', { target: 4 }),
        st('ObjectInsertStmt', { key: b.S('result'), value: L(2), object: 4 }),
        st('ResultSetAddStmt', { value: 4 }),
      )],
    });
    let calls = 0;
    const policy = await loadPolicy(build(plan, ['custom.tags']) as Uint8Array<ArrayBuffer>, undefined, {
      'custom.tags': () => {
        calls++;
        return ['b', 'a', 'b'];
      },
    });
    expect(policy.evaluate({})).toEqual([{ result: ['a', 'b'] }]);
    expect(calls).toBe(1);
    policy.evaluate({});
    expect(calls).toBe(2);
  });
});

describe('runtime statements', () => {
  test('with replaces input for the block and memoised rules are re-evaluated inside it', () => {
    const b = new PlanBuilder();
    const getX: Block[] = [
      block(st('DotStmt', { source: L(0), key: b.S('x'), target: 2 })),
      block(st('ReturnLocalStmt', { source: 2 })),
    ];
    const main = block(
      st('CallStmt', { func: 'g0.data.t.x', args: [L(0), L(1)], result: 2 }),
      st('MakeNumberIntStmt', { value: 2, target: 9 }),
      st('MakeArrayStmt', { capacity: 3, target: 5 }),
      st('ArrayAppendStmt', { array: 5, value: L(2) }),
      st('WithStmt', {
        local: 0, path: [b.index('x')], value: L(9),
        block: block(
          st('CallStmt', { func: 'g0.data.t.x', args: [L(0), L(1)], result: 3 }),
          st('ArrayAppendStmt', { array: 5, value: L(3) }),
        ),
      }),
      st('CallStmt', { func: 'g0.data.t.x', args: [L(0), L(1)], result: 4 }),
      st('ArrayAppendStmt', { array: 5, value: L(4) }),
      st('MakeObjectStmt', { target: 6 }),
      st('ObjectInsertStmt', { key: b.S('result'), value: L(5), object: 6 }),
      st('ResultSetAddStmt', { value: 6 }),
    );
    const wasm = build(b.policy({ main: [main] }, [{ name: 'g0.data.t.x', params: [0, 1], ret: 2, blocks: getX }]));
    expect(evalText(wasm, '{"x":1,"y":true}')).toBe('[{"result":[1,2,1]}]');
  });

  test('complete-rule conflicts abort with file:row:col', () => {
    const b = new PlanBuilder();
    const main = block(
      st('AssignVarOnceStmt', { source: B(true), target: 2 }),
      st('AssignVarOnceStmt', { source: B(false), target: 2 }),
    );
    const wasm = build(b.policy({ main: [main] }));
    expect(() => evalText(wasm, '{}')).toThrow(/^test\.rego:\d+:1: var assignment conflict/);
  });

  test('object insert conflicts abort; the same value twice is fine', () => {
    const b = new PlanBuilder();
    const mk = (second: boolean) => b.policy({ main: [block(
      st('MakeObjectStmt', { target: 2 }),
      st('ObjectInsertOnceStmt', { key: b.S('k'), value: B(true), object: 2 }),
      st('ObjectInsertOnceStmt', { key: b.S('k'), value: B(second), object: 2 }),
      st('MakeObjectStmt', { target: 3 }),
      st('ObjectInsertStmt', { key: b.S('result'), value: L(2), object: 3 }),
      st('ResultSetAddStmt', { value: 3 }),
    )] });
    expect(evalText(build(mk(true)), '{}')).toBe('[{"result":{"k":true}}]');
    expect(() => evalText(build(mk(false)), '{}')).toThrow(/object insert conflict/);
  });

  test('break, not and nested blocks follow the IR block model', () => {
    const b = new PlanBuilder();
    // BlockStmt { [Break 1] } leaves the outer block: the result row is never added
    const main = [
      block(
        st('BlockStmt', { blocks: [block(st('BreakStmt', { index: 1 }))] }),
        st('MakeObjectStmt', { target: 2 }),
        st('ObjectInsertStmt', { key: b.S('result'), value: b.S('unreachable'), object: 2 }),
        st('ResultSetAddStmt', { value: 2 }),
      ),
      block(
        st('NotStmt', { block: block(st('EqualStmt', { a: B(true), b: B(false) })) }),
        st('MakeObjectStmt', { target: 2 }),
        st('ObjectInsertStmt', { key: b.S('result'), value: b.S('not-ok'), object: 2 }),
        st('ResultSetAddStmt', { value: 2 }),
      ),
    ];
    expect(evalText(build(b.policy({ main })), '{}')).toBe('[{"result":"not-ok"}]');
  });

  test('CallDynamicStmt resolves a function by its path; unknown paths are undefined', () => {
    const b = new PlanBuilder();
    const fn: Block[] = [block(st('AssignVarStmt', { source: b.S('dyn'), target: 2 })), block(st('ReturnLocalStmt', { source: 2 }))];
    const main = (name: string) => [block(
      st('CallDynamicStmt', { path: [b.S('g0'), b.S('pkg'), b.S(name)], args: [0, 1], result: 2 }),
      st('MakeObjectStmt', { target: 3 }),
      st('ObjectInsertStmt', { key: b.S('result'), value: L(2), object: 3 }),
      st('ResultSetAddStmt', { value: 3 }),
    )];
    const funcs = [{ name: 'g0.data.pkg.f', params: [0, 1], ret: 2, blocks: fn, path: ['g0', 'pkg', 'f'] }];
    expect(evalText(build(b.policy({ a: main('f'), b: main('nope') }, funcs)), '{}', 0)).toBe('[{"result":"dyn"}]');
    expect(evalText(build(b.policy({ a: main('f'), b: main('nope') }, funcs)), '{}', 1)).toBe('[]');
  });

  test('plans nested far deeper than the input nesting limit still load and run', () => {
    const b = new PlanBuilder();
    let inner = block(
      st('MakeObjectStmt', { target: 2 }),
      st('ObjectInsertStmt', { key: b.S('result'), value: b.S('deep'), object: 2 }),
      st('ResultSetAddStmt', { value: 2 }),
    );
    for (let i = 0; i < 200; i++) inner = block(st('BlockStmt', { blocks: [inner] })); // ~800 JSON levels
    expect(evalText(build(b.policy({ main: [inner] })), '{}')).toBe('[{"result":"deep"}]');
  });

  test('a set built from 100k unsorted elements is sorted, deduplicated and built in near-linear time', () => {
    const b = new PlanBuilder();
    const main = [block(
      st('MakeSetStmt', { target: 2 }),
      st('ScanStmt', { source: 0, key: 3, value: 4, block: block(st('SetAddStmt', { value: L(4), set: 2 })) }),
      st('CallStmt', { func: 'count', args: [L(2)], result: 5 }),
      st('CallStmt', { func: 'min', args: [L(2)], result: 6 }),
      st('CallStmt', { func: 'max', args: [L(2)], result: 7 }),
      st('MakeArrayStmt', { capacity: 3, target: 8 }),
      st('ArrayAppendStmt', { array: 8, value: L(5) }),
      st('ArrayAppendStmt', { array: 8, value: L(6) }),
      st('ArrayAppendStmt', { array: 8, value: L(7) }),
      st('MakeObjectStmt', { target: 9 }),
      st('ObjectInsertStmt', { key: b.S('result'), value: L(8), object: 9 }),
      st('ResultSetAddStmt', { value: 9 }),
    )];
    const xs = Array.from({ length: 100000 }, (_, i) => (i * 7919) % 50000); // each value twice, scrambled
    const t0 = Date.now();
    expect(evalText(build(b.policy({ main })), JSON.stringify(xs))).toBe('[{"result":[50000,0,49999]}]');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  test('print writes through opa_println', () => {
    const b = new PlanBuilder();
    const main = [block(
      st('MakeArrayStmt', { capacity: 2, target: 2 }),
      st('MakeSetStmt', { target: 3 }),
      st('SetAddStmt', { value: b.S('hello'), set: 3 }),
      st('ArrayAppendStmt', { array: 2, value: L(3) }),
      st('DotStmt', { source: L(0), key: b.S('v'), target: 5 }),
      st('MakeSetStmt', { target: 4 }),
      st('SetAddStmt', { value: L(5), set: 4 }),
      st('ArrayAppendStmt', { array: 2, value: L(4) }),
      st('MakeSetStmt', { target: 7 }),
      st('ArrayAppendStmt', { array: 2, value: L(7) }),
      st('CallStmt', { func: 'internal.print', args: [L(2)], result: 6 }),
    )];
    const raw = rawInstance(build(b.policy({ main })));
    const data = raw.parse('{}');
    const input = new TextEncoder().encode('{"v":{"a":[1,2]}}');
    const base = raw.exports.opa_heap_ptr_get();
    new Uint8Array(raw.memory.buffer).set(input, base);
    raw.exports.opa_eval(0, 0, data, base, input.length, base + input.length, 0);
    expect(raw.printed).toEqual(['hello {"a": [1, 2]} <undefined>']);
  });
});
