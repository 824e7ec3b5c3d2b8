/**
 * The compact plan: the binary form of an IR plan (`Policy`) that the packager
 * embeds in policy.wasm and the runtime (runtime/assembly/interp.ts) interprets
 * in place, without decoding it at instantiation.
 *
 * Layout (little-endian; offsets are from the start of the plan):
 *
 *   header       18 x u32: magic "RPB1", then (count, offset) pairs and one sum:
 *                strings (+ total UTF-16 units), numbers, functions, plans,
 *                builtins, files, locations, CallDynamic paths
 *   strings      constants used as values (operands, `with` paths, function
 *                paths), interned: LEB128 byte length, LEB128 UTF-16 length, UTF-8;
 *                a u32 offset table gives random access
 *   numbers      u8 kind: 0 + i64 (integer statements), 1 + name (number literal)
 *   functions    u32 offset table → header: u16 nlocals, u16 return local,
 *                u16 nparams, nparams x u16, then blocks
 *   plans        u32 offset table → name, u16 nlocals, blocks
 *   builtins     name, u8 flags (1: declared result type `set`, 2: not declared in
 *                static.builtin_funcs: the runtime must implement it)
 *   files        names (read only to word a conflict error)
 *   locations    u32 file, row, col, for the two statements that can fail with
 *                a conflict (AssignVarOnce, ObjectInsertOnce); the statements
 *                carry the index
 *   paths        u32 offset table → LEB128 n, n string indices, function index;
 *                sorted by path (code-point order) for a binary search
 *
 * A name is LEB128 byte length, LEB128 UTF-16 length, UTF-8 bytes. Blocks are a
 * u16 count, then per block its u32 byte length and its statements. Statements
 * are fixed-width so the interpreter reads each field with one load: a u8
 * opcode, locals as u16, operands as u32 (low 2 bits: 0 local, 1 string
 * constant, 2 boolean; index or value above), nested blocks prefixed by their
 * u32 byte length. A DotStmt reserves a u16 the runtime uses as a lookup hint.
 * Function calls are resolved here: a CallStmt carries a function index
 * (even) or a builtin-table index (odd).
 *
 * The encoding is a pure function of the plan: identical plans, identical bytes.
 */
import type { Block, Operand, Policy, Stmt } from '../ir/plan';

export const PLAN_MAGIC = 0x31425052; // "RPB1"
const HEADER_BYTES = 72;

/** The packager cannot represent the plan (a limit of the compact form). */
export class PlanEncodingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanEncodingError';
  }
}

/** Opcodes: the runtime's S_* constants (runtime/assembly/interp.ts), same numbers. */
export const OPCODES = {
  ArrayAppendStmt: 0,
  AssignIntStmt: 1,
  AssignVarOnceStmt: 2,
  AssignVarStmt: 3,
  BlockStmt: 4,
  BreakStmt: 5,
  CallDynamicStmt: 6,
  CallStmt: 7,
  DotStmt: 8,
  EqualStmt: 9,
  IsArrayStmt: 10,
  IsDefinedStmt: 11,
  IsObjectStmt: 12,
  IsSetStmt: 13,
  IsUndefinedStmt: 14,
  LenStmt: 15,
  MakeArrayStmt: 16,
  MakeNullStmt: 17,
  MakeNumberIntStmt: 18,
  MakeNumberRefStmt: 19,
  MakeObjectStmt: 20,
  MakeSetStmt: 21,
  NopStmt: 22,
  NotEqualStmt: 23,
  NotStmt: 24,
  ObjectInsertOnceStmt: 25,
  ObjectInsertStmt: 26,
  ObjectMergeStmt: 27,
  ResetLocalStmt: 28,
  ResultSetAddStmt: 29,
  ReturnLocalStmt: 30,
  ScanStmt: 31,
  SetAddStmt: 32,
  WithStmt: 33,
} as const satisfies Record<Stmt['type'], number>;

class Writer {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): number {
    if (this.length + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.length + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  u8(v: number): void {
    const at = this.reserve(1); // before reading this.view: reserve may replace it
    this.view.setUint8(at, v);
  }
  u16(v: number, what: string): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new PlanEncodingError(`${what} ${v} does not fit the compact plan (0..65535)`);
    const at = this.reserve(2);
    this.view.setUint16(at, v, true);
  }
  u32(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new PlanEncodingError(`value ${v} does not fit in 32 bits`);
    const at = this.reserve(4);
    this.view.setUint32(at, v, true);
  }
  i64(v: bigint): void {
    const at = this.reserve(8);
    this.view.setBigInt64(at, v, true);
  }
  leb(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new PlanEncodingError(`value ${v} does not fit in 32 bits`);
    do {
      let b = v & 0x7f;
      v = Math.floor(v / 128);
      if (v > 0) b |= 0x80;
      this.u8(b);
    } while (v > 0);
  }
  name(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.leb(bytes.length);
    this.leb(s.length);
    this.bytes(bytes);
  }
  bytes(b: Uint8Array): void {
    const at = this.reserve(b.length);
    this.buf.set(b, at);
  }
  patchU16(at: number, v: number, what: string): void {
    if (v > 0xffff) throw new PlanEncodingError(`${what} ${v} does not fit the compact plan (0..65535)`);
    this.view.setUint16(at, v, true);
  }
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }
  /** Reserves a u32 to patch later; returns its position. */
  hole(): number {
    return this.reserve(4);
  }
  align4(): void {
    while (this.length % 4 !== 0) this.u8(0);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Compares two strings by code point (Rego's string order, as the runtime's strCmp). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function comparePaths(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareCodePoints(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

class Interner<K> {
  readonly items: K[] = [];
  private index = new Map<string, number>();
  constructor(private key: (k: K) => string) {}
  add(k: K): number {
    const key = this.key(k);
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.items.length;
      this.index.set(key, i);
      this.items.push(k);
    }
    return i;
  }
}

type NumConst = { kind: 'int'; value: bigint } | { kind: 'ref'; text: string };

/** Encodes a plan into the compact form. Throws PlanEncodingError on what it cannot represent. */
export function encodeCompactPlan(policy: Policy): Uint8Array {
  const stat = policy.static ?? {};
  const staticStrings = (stat.strings ?? []).map((s) => s.value);
  const funcs = policy.funcs?.funcs ?? [];
  const plans = policy.plans?.plans ?? [];
  const files = (stat.files ?? []).map((f) => f.value);

  const strings = new Interner<string>((s) => s);
  const numbers = new Interner<NumConst>((n) => (n.kind === 'int' ? `i${n.value}` : `r${n.text}`));
  const locations = new Interner<[number, number, number]>((l) => l.join(':'));

  const funcIndex = new Map<string, number>();
  funcs.forEach((f, i) => funcIndex.set(f.name, i));
  const builtins = (stat.builtin_funcs ?? []).map((b) => {
    const result = b.decl?.result as { type?: unknown } | undefined;
    return { name: b.name, set: result?.type === 'set', extra: false };
  });
  const builtinIndex = new Map<string, number>();
  builtins.forEach((b, i) => {
    if (!builtinIndex.has(b.name)) builtinIndex.set(b.name, i);
  });

  const staticString = (i: number, what: string): string => {
    if (!Number.isInteger(i) || i < 0 || i >= staticStrings.length) throw new PlanEncodingError(`${what}: string index ${i} out of range`);
    return staticStrings[i];
  };

  let maxLocal = 1;
  const w = new Writer();
  const local = (l: number): void => {
    if (l > maxLocal) maxLocal = l;
    w.u16(l, 'local');
  };
  const operand = (op: Operand): void => {
    switch (op.type) {
      case 'local':
        if (!Number.isInteger(op.value) || op.value < 0 || op.value > 0xffff) throw new PlanEncodingError(`local ${op.value} does not fit the compact plan (0..65535)`);
        if (op.value > maxLocal) maxLocal = op.value;
        w.u32(op.value * 4);
        return;
      case 'string_index':
        w.u32(strings.add(staticString(op.value, 'operand')) * 4 + 1);
        return;
      case 'bool':
        w.u32(op.value ? 6 : 2);
        return;
      default:
        throw new PlanEncodingError(`operand type ${(op as { type: string }).type}`);
    }
  };
  const location = (s: { file?: number; row?: number; col?: number }): void => {
    w.u32(locations.add([s.file ?? 0, s.row ?? 0, s.col ?? 0]));
  };
  const number = (n: NumConst): void => w.u32(numbers.add(n));
  const intConst = (v: number, what: string): NumConst => {
    if (!Number.isInteger(v)) throw new PlanEncodingError(`${what}: ${v} is not an integer`);
    return { kind: 'int', value: BigInt(v) };
  };
  /** A u32 length prefix around what `body` writes. */
  const sized = (body: () => void): void => {
    const at = w.hole();
    const start = w.length;
    body();
    w.patchU32(at, w.length - start);
  };
  const stmts = (list: readonly Stmt[]): void => {
    for (const s of list) stmt(s);
  };
  const blocks = (list: readonly Block[] | null | undefined): void => {
    const bs = list ?? [];
    w.u16(bs.length, 'block count');
    for (const b of bs) sized(() => stmts(b.stmts ?? []));
  };

  const stmt = (s: Stmt): void => {
    w.u8(OPCODES[s.type]);
    switch (s.type) {
      case 'ArrayAppendStmt':
        local(s.stmt.array);
        operand(s.stmt.value);
        return;
      case 'AssignIntStmt':
      case 'MakeNumberIntStmt':
        number(intConst(s.stmt.value, s.type));
        local(s.stmt.target);
        return;
      case 'MakeNumberRefStmt': {
        const i = s.stmt.Index ?? s.stmt.index;
        number({ kind: 'ref', text: staticString(i ?? -1, 'MakeNumberRefStmt') });
        local(s.stmt.target);
        return;
      }
      case 'AssignVarOnceStmt':
        operand(s.stmt.source);
        local(s.stmt.target);
        location(s.stmt);
        return;
      case 'AssignVarStmt':
        operand(s.stmt.source);
        local(s.stmt.target);
        return;
      case 'BlockStmt':
        sized(() => blocks(s.stmt.blocks));
        return;
      case 'BreakStmt':
        w.u16(s.stmt.index, 'break index');
        return;
      case 'CallDynamicStmt':
        local(s.stmt.result);
        w.u16((s.stmt.path ?? []).length, 'path length');
        (s.stmt.path ?? []).forEach(operand);
        w.u16((s.stmt.args ?? []).length, 'argument count');
        (s.stmt.args ?? []).forEach(local);
        return;
      case 'CallStmt': {
        const name = s.stmt.func;
        const fi = funcIndex.get(name);
        let callee: number;
        if (fi !== undefined) callee = fi * 2;
        else {
          let bi = builtinIndex.get(name);
          if (bi === undefined) {
            // not declared: the runtime must implement it natively (checked at start-up)
            bi = builtins.length;
            builtins.push({ name, set: false, extra: true });
            builtinIndex.set(name, bi);
          }
          callee = bi * 2 + 1;
        }
        w.u32(callee);
        local(s.stmt.result);
        w.u16((s.stmt.args ?? []).length, 'argument count');
        (s.stmt.args ?? []).forEach(operand);
        return;
      }
      case 'DotStmt':
        w.u16(0, 'hint');
        operand(s.stmt.source);
        operand(s.stmt.key);
        local(s.stmt.target);
        return;
      case 'EqualStmt':
      case 'NotEqualStmt':
        operand(s.stmt.a);
        operand(s.stmt.b);
        return;
      case 'IsArrayStmt':
      case 'IsObjectStmt':
      case 'IsSetStmt':
        operand(s.stmt.source);
        return;
      case 'IsDefinedStmt':
      case 'IsUndefinedStmt':
        local(s.stmt.source);
        return;
      case 'LenStmt':
        operand(s.stmt.source);
        local(s.stmt.target);
        return;
      case 'MakeArrayStmt':
      case 'MakeNullStmt':
      case 'MakeObjectStmt':
      case 'MakeSetStmt':
        local(s.stmt.target);
        return;
      case 'NopStmt':
        return;
      case 'NotStmt':
        sized(() => stmts(s.stmt.block.stmts ?? []));
        return;
      case 'ObjectInsertOnceStmt':
        operand(s.stmt.key);
        operand(s.stmt.value);
        local(s.stmt.object);
        location(s.stmt);
        return;
      case 'ObjectInsertStmt':
        operand(s.stmt.key);
        operand(s.stmt.value);
        local(s.stmt.object);
        return;
      case 'ObjectMergeStmt':
        local(s.stmt.a);
        local(s.stmt.b);
        local(s.stmt.target);
        return;
      case 'ResetLocalStmt':
        local(s.stmt.target);
        return;
      case 'ResultSetAddStmt':
        local(s.stmt.value);
        return;
      case 'ReturnLocalStmt':
        local(s.stmt.source);
        return;
      case 'ScanStmt':
        local(s.stmt.source);
        local(s.stmt.key);
        local(s.stmt.value);
        sized(() => stmts(s.stmt.block.stmts ?? []));
        return;
      case 'SetAddStmt':
        operand(s.stmt.value);
        local(s.stmt.set);
        return;
      case 'WithStmt': {
        const path = s.stmt.path ?? [];
        local(s.stmt.local);
        w.u16(path.length, 'with path length');
        operand(s.stmt.value);
        const at = w.hole();
        for (const k of path) w.u32(strings.add(staticString(k, 'WithStmt path')));
        const start = w.length;
        stmts(s.stmt.block.stmts ?? []);
        w.patchU32(at, w.length - start);
        return;
      }
      default:
        throw new PlanEncodingError(`unknown statement type ${(s as { type: string }).type}`);
    }
  };

  // Code first (it interns the constants and locations); the tables follow.
  const funcOffsets: number[] = [];
  for (const f of funcs) {
    const params = f.params ?? [];
    funcOffsets.push(w.length);
    // nlocals is known only after the body: reserve, write, patch
    const at = w.length;
    w.u16(0, 'nlocals');
    w.u16(f.return, 'return local');
    w.u16(params.length, 'parameter count');
    maxLocal = Math.max(1, f.return, ...params);
    for (const p of params) w.u16(p, 'parameter');
    blocks(f.blocks);
    w.patchU16(at, maxLocal + 1, 'locals');
  }
  const planOffsets: number[] = [];
  for (const p of plans) {
    planOffsets.push(w.length);
    w.name(p.name);
    const at = w.length;
    w.u16(0, 'nlocals');
    maxLocal = 1;
    blocks(p.blocks);
    w.patchU16(at, maxLocal + 1, 'locals');
  }
  const paths: { path: string[]; fi: number }[] = [];
  const byKey = new Map<string, number>();
  funcs.forEach((f, fi) => {
    if (!f.path || f.path.length === 0) return;
    const key = JSON.stringify(f.path);
    const seen = byKey.get(key);
    // the last function with a path wins (as a map keyed by path would have it)
    if (seen !== undefined) paths[seen].fi = fi;
    else {
      byKey.set(key, paths.length);
      paths.push({ path: f.path, fi });
    }
  });
  paths.sort((a, b) => comparePaths(a.path, b.path));
  const pathIdx = paths.map((p) => p.path.map((s) => strings.add(s)));
  const code = w.result();

  const out = new Writer();
  for (let i = 0; i < HEADER_BYTES; i++) out.u8(0);
  const header: number[] = [PLAN_MAGIC];
  const table = (offsets: readonly number[], shift: number): number => {
    out.align4();
    const at = out.length;
    for (const o of offsets) out.u32(o + shift);
    return at;
  };
  // code
  const codeAt = out.length;
  out.bytes(code);
  // strings
  const stringOffsets: number[] = [];
  const stringData = new Writer();
  let units = 0;
  for (const s of strings.items) {
    stringOffsets.push(stringData.length);
    stringData.name(s);
    units += s.length;
  }
  const stringsAt = out.length;
  out.bytes(stringData.result());
  header.push(strings.items.length, table(stringOffsets, stringsAt), units);
  // numbers
  const numberOffsets: number[] = [];
  const numbersAt = out.length;
  for (const n of numbers.items) {
    numberOffsets.push(out.length - numbersAt);
    if (n.kind === 'int') {
      out.u8(0);
      out.i64(n.value);
    } else {
      out.u8(1);
      out.name(n.text);
    }
  }
  header.push(numbers.items.length, table(numberOffsets, numbersAt));
  header.push(funcs.length, table(funcOffsets, codeAt));
  header.push(plans.length, table(planOffsets, codeAt));
  const builtinsAt = out.length;
  for (const b of builtins) {
    out.name(b.name);
    out.u8((b.set ? 1 : 0) | (b.extra ? 2 : 0));
  }
  header.push(builtins.length, builtinsAt);
  const filesAt = out.length;
  for (const f of files) out.name(f);
  header.push(files.length, filesAt);
  out.align4();
  const locsAt = out.length;
  for (const [file, row, col] of locations.items) {
    out.u32(file);
    out.u32(row);
    out.u32(col);
  }
  header.push(locations.items.length, locsAt);
  const pathOffsets: number[] = [];
  const pathsAt = out.length;
  paths.forEach((p, i) => {
    pathOffsets.push(out.length - pathsAt);
    out.leb(p.path.length);
    for (const s of pathIdx[i]) out.leb(s);
    out.leb(p.fi);
  });
  header.push(paths.length, table(pathOffsets, pathsAt));
  const bytes = out.result();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  header.forEach((v, i) => view.setUint32(i * 4, v, true));
  return bytes;
}
