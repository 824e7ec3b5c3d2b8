/**
 * Helpers for the runtime tests: the engine built from runtime/assembly (so
 * these tests exercise the sources; engine-build.test.ts checks that the
 * shipped binary is the same bytes), a raw instance (no SDK)
 * for value-level tests, and a tiny builder for hand-written IR plans.
 */
import { sourceEngineSync } from '../tools/engine-build';
import type { Block, Operand, Policy, Stmt, StmtFields, StmtType } from '../src/ir/plan';

export interface RawEngine {
  exports: Record<string, (...args: number[]) => number> & { memory?: WebAssembly.Memory };
  memory: WebAssembly.Memory;
  printed: string[];
  /** Writes bytes into the module heap; returns [addr, len]. */
  write(bytes: Uint8Array): [number, number];
  cstring(addr: number): string;
  parse(text: string | Uint8Array, rego?: boolean): number;
  dump(addr: number, rego?: boolean): string;
}

export class EngineAbort extends Error {}

export function engine(): Uint8Array {
  return sourceEngineSync();
}

/** Instantiates a module directly (the way the SDK does) with recording imports. */
export function rawInstance(wasm: Uint8Array = engine(), builtins: Record<number, (...a: number[]) => number> = {}): RawEngine {
  const memory = new WebAssembly.Memory({ initial: 5 });
  const printed: string[] = [];
  const cstring = (addr: number): string => {
    const bytes = new Uint8Array(memory.buffer);
    let end = addr;
    while (bytes[end] !== 0) end++;
    return Buffer.from(bytes.subarray(addr, end)).toString('utf8');
  };
  const call = (id: number, ...args: number[]): number => {
    const fn = builtins[id];
    if (!fn) throw new Error(`no builtin ${id}`);
    return fn(...args);
  };
  const env = {
    memory,
    opa_abort: (addr: number) => {
      throw new EngineAbort(cstring(addr));
    },
    opa_println: (addr: number) => {
      printed.push(cstring(addr));
    },
    opa_builtin0: (id: number) => call(id),
    opa_builtin1: (id: number, _ctx: number, a: number) => call(id, a),
    opa_builtin2: (id: number, _ctx: number, a: number, b: number) => call(id, a, b),
    opa_builtin3: (id: number, _ctx: number, a: number, b: number, c: number) => call(id, a, b, c),
    opa_builtin4: (id: number, _ctx: number, a: number, b: number, c: number, d: number) => call(id, a, b, c, d),
  };
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>), { env });
  const exports = instance.exports as unknown as RawEngine['exports'];
  const write = (bytes: Uint8Array): [number, number] => {
    const addr = exports.opa_malloc(bytes.length);
    new Uint8Array(memory.buffer).set(bytes, addr);
    return [addr, bytes.length];
  };
  return {
    exports,
    memory,
    printed,
    write,
    cstring,
    parse(text, rego = false) {
      const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
      const [addr, len] = write(bytes);
      return rego ? exports.opa_value_parse(addr, len) : exports.opa_json_parse(addr, len);
    },
    dump(addr, rego = false) {
      return cstring(rego ? exports.opa_value_dump(addr) : exports.opa_json_dump(addr));
    },
  };
}

// ---- plan builder -------------------------------------------------------------------------

export const L = (value: number): Operand => ({ type: 'local', value });
export const B = (value: boolean): Operand => ({ type: 'bool', value });

/** Collects string constants; `S("x")` returns a string_index operand. */
export class PlanBuilder {
  readonly strings: string[] = [];
  readonly builtins: { name: string; decl: { type: string; result?: { type: string } } }[] = [];

  index(s: string): number {
    let i = this.strings.indexOf(s);
    if (i < 0) {
      i = this.strings.length;
      this.strings.push(s);
    }
    return i;
  }

  S(s: string): Operand {
    return { type: 'string_index', value: this.index(s) };
  }

  builtin(name: string, resultType = 'any'): void {
    if (!this.builtins.some((b) => b.name === name)) {
      this.builtins.push({ name, decl: { type: 'function', result: { type: resultType } } });
    }
  }

  policy(plans: Record<string, Block[]>, funcs: { name: string; params: number[]; ret: number; blocks: Block[]; path?: string[] }[] = []): Policy {
    return {
      static: {
        strings: this.strings.map((value) => ({ value })),
        builtin_funcs: this.builtins,
        files: [{ value: 'test.rego' }],
      },
      plans: { plans: Object.entries(plans).map(([name, blocks]) => ({ name, blocks })) },
      funcs: { funcs: funcs.map((f) => ({ name: f.name, params: f.params, return: f.ret, blocks: f.blocks, path: f.path })) },
    };
  }
}

let row = 1;
export function st<K extends StmtType>(type: K, fields: StmtFields[K]): Stmt {
  return { type, stmt: { ...fields, file: 0, row: row++, col: 1 } } as Stmt;
}
export const block = (...stmts: Stmt[]): Block => ({ stmts });

/** The usual entry plan: call `func(input, data)` and add `{"result": value}`. */
export function entryCalling(b: PlanBuilder, func: string): Block[] {
  return [
    block(
      st('CallStmt', { func, args: [L(0), L(1)], result: 2 }),
      st('MakeObjectStmt', { target: 3 }),
      st('ObjectInsertStmt', { key: b.S('result'), value: L(2), object: 3 }),
      st('ResultSetAddStmt', { value: 3 }),
    ),
  ];
}
