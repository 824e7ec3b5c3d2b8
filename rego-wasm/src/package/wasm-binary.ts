/**
 * Just enough of the WebAssembly binary format to embed a plan into a copy of
 * the engine binary (engine/engine.wasm): read sections, rewrite the initialisers of exported
 * i32 globals, append an active data segment and raise the imported memory's
 * minimum. Everything else is copied byte for byte.
 *
 * Format reference: https://webassembly.github.io/spec/core/binary/modules.html
 */

export class WasmFormatError extends Error {
  constructor(message: string) {
    super(`invalid engine module: ${message}`);
    this.name = 'WasmFormatError';
  }
}

const MAGIC_AND_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

const enum SectionId {
  Custom = 0,
  Type = 1,
  Import = 2,
  Function = 3,
  Table = 4,
  Memory = 5,
  Global = 6,
  Export = 7,
  Start = 8,
  Element = 9,
  Code = 10,
  Data = 11,
  DataCount = 12,
}

/** Canonical order of the non-custom sections (the tag section, 13, sits before globals). */
const SECTION_ORDER: readonly number[] = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];

export interface Section {
  id: number;
  payload: Uint8Array;
}

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  byte(): number {
    if (this.pos >= this.bytes.length) throw new WasmFormatError('unexpected end of input');
    return this.bytes[this.pos++];
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
      if (shift > 35) throw new WasmFormatError('LEB128 too long');
    }
    return result;
  }

  /** Skips a signed LEB128 of any width. */
  skipLeb(): void {
    while (this.byte() & 0x80) {
      /* continue */
    }
  }

  s32(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 35);
    if (shift < 32 && b & 0x40) result |= -1 << shift;
    return result;
  }

  take(n: number): Uint8Array {
    if (this.pos + n > this.bytes.length) throw new WasmFormatError('unexpected end of input');
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  name(): string {
    return new TextDecoder().decode(this.take(this.u32()));
  }

  /** Skips a constant expression up to and including its `end` opcode. */
  skipConstExpr(): void {
    for (;;) {
      const op = this.byte();
      switch (op) {
        case 0x0b:
          return;
        case 0x41: // i32.const
        case 0x42: // i64.const
          this.skipLeb();
          break;
        case 0x43: // f32.const
          this.take(4);
          break;
        case 0x44: // f64.const
          this.take(8);
          break;
        case 0x23: // global.get
        case 0xd2: // ref.func
          this.u32();
          break;
        case 0xd0: // ref.null t
          this.byte();
          break;
        case 0x6a: // i32.add (extended-const)
        case 0x6b: // i32.sub
        case 0x6c: // i32.mul
        case 0x7c: // i64.add
        case 0x7d: // i64.sub
        case 0x7e: // i64.mul
          break;
        default:
          throw new WasmFormatError(`unsupported opcode 0x${op.toString(16)} in a constant expression`);
      }
    }
  }
}

class Writer {
  private chunks: number[] = [];

  byte(b: number): this {
    this.chunks.push(b & 0xff);
    return this;
  }

  u32(value: number): this {
    let v = value >>> 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.chunks.push(b);
    } while (v !== 0);
    return this;
  }

  s32(value: number): this {
    let v = value | 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
      this.chunks.push(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  bytes(data: ArrayLike<number>): this {
    for (let i = 0; i < data.length; i++) this.chunks.push(data[i]);
    return this;
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

export function parseSections(module: Uint8Array): Section[] {
  for (let i = 0; i < MAGIC_AND_VERSION.length; i++) {
    if (module[i] !== MAGIC_AND_VERSION[i]) throw new WasmFormatError('not a WebAssembly 1.0 binary');
  }
  const r = new Reader(module);
  r.pos = 8;
  const sections: Section[] = [];
  while (!r.done) {
    const id = r.byte();
    const size = r.u32();
    sections.push({ id, payload: r.take(size) });
  }
  return sections;
}

export function encodeSections(sections: readonly Section[]): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.from(MAGIC_AND_VERSION)];
  for (const s of sections) {
    parts.push(new Writer().byte(s.id).u32(s.payload.length).toBytes(), s.payload);
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

interface ImportInfo {
  importedGlobals: number;
  /** Byte range (within the import section payload) of the memory import's limits. */
  memoryLimits?: { start: number; end: number; min: number; max?: number; flags: number };
}

function readImports(payload: Uint8Array): ImportInfo {
  const r = new Reader(payload);
  const info: ImportInfo = { importedGlobals: 0 };
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    r.name();
    r.name();
    const kind = r.byte();
    switch (kind) {
      case 0:
        r.u32();
        break;
      case 1: {
        r.byte();
        const flags = r.byte();
        r.u32();
        if (flags & 1) r.u32();
        break;
      }
      case 2: {
        const start = r.pos;
        const flags = r.byte();
        if (flags & ~0x01) throw new WasmFormatError('shared or 64-bit memory is not supported');
        const min = r.u32();
        const max = flags & 1 ? r.u32() : undefined;
        info.memoryLimits = { start, end: r.pos, min, max, flags };
        break;
      }
      case 3:
        r.byte();
        r.byte();
        info.importedGlobals++;
        break;
      case 4:
        r.byte();
        r.u32();
        break;
      default:
        throw new WasmFormatError(`unknown import kind ${kind}`);
    }
  }
  return info;
}

export interface ExportEntry {
  name: string;
  kind: number;
  index: number;
}

export function readExports(sections: readonly Section[]): ExportEntry[] {
  const section = sections.find((s) => s.id === SectionId.Export);
  if (!section) return [];
  const r = new Reader(section.payload);
  const count = r.u32();
  const out: ExportEntry[] = [];
  for (let i = 0; i < count; i++) {
    out.push({ name: r.name(), kind: r.byte(), index: r.u32() });
  }
  return out;
}

function rewriteGlobals(payload: Uint8Array, replacements: Map<number, number>): Uint8Array {
  const r = new Reader(payload);
  const w = new Writer();
  const count = r.u32();
  w.u32(count);
  const seen = new Set<number>();
  for (let i = 0; i < count; i++) {
    const valtype = r.byte();
    const mut = r.byte();
    const exprStart = r.pos;
    r.skipConstExpr();
    w.byte(valtype).byte(mut);
    const value = replacements.get(i);
    if (value === undefined) {
      w.bytes(payload.subarray(exprStart, r.pos));
      continue;
    }
    if (valtype !== 0x7f) throw new WasmFormatError(`global ${i} is not an i32`);
    w.byte(0x41).s32(value).byte(0x0b);
    seen.add(i);
  }
  for (const idx of replacements.keys()) {
    if (!seen.has(idx)) throw new WasmFormatError(`global ${idx} not found in the global section`);
  }
  return w.toBytes();
}

function appendDataSegment(payload: Uint8Array | undefined, address: number, data: Uint8Array): Uint8Array {
  const w = new Writer();
  if (!payload) {
    w.u32(1);
  } else {
    const r = new Reader(payload);
    const count = r.u32();
    w.u32(count + 1).bytes(payload.subarray(r.pos));
  }
  return w.byte(0x00).byte(0x41).s32(address).byte(0x0b).u32(data.length).bytes(data).toBytes();
}

function insertSection(sections: Section[], section: Section): void {
  const rank = SECTION_ORDER.indexOf(section.id);
  let at = sections.length;
  for (let i = 0; i < sections.length; i++) {
    const r = SECTION_ORDER.indexOf(sections[i].id);
    if (sections[i].id !== SectionId.Custom && r > rank) {
      at = i;
      break;
    }
  }
  sections.splice(at, 0, section);
}

export interface EmbedRequest {
  /** Exported i32 globals whose initial values are replaced (`name → value`). */
  globals: Record<string, number>;
  /** Bytes placed in memory at `address` by a new active data segment. */
  data: Uint8Array;
  address: number;
  /** The imported memory's minimum is raised to at least this many pages. */
  minMemoryPages: number;
}

export const PAGE_SIZE = 65536;

/** Returns a new module: `engine` with globals rewritten and the data embedded. */
export function embed(engine: Uint8Array, req: EmbedRequest): Uint8Array {
  const sections = parseSections(engine).map((s) => ({ ...s }));
  const importSection = sections.find((s) => s.id === SectionId.Import);
  const imports: ImportInfo = importSection ? readImports(importSection.payload) : { importedGlobals: 0 };
  const exports = readExports(sections);

  const replacements = new Map<number, number>();
  for (const [name, value] of Object.entries(req.globals)) {
    const exp = exports.find((e) => e.name === name && e.kind === 3);
    if (!exp) throw new WasmFormatError(`the engine does not export the global "${name}"`);
    if (exp.index < imports.importedGlobals) throw new WasmFormatError(`global "${name}" is imported`);
    replacements.set(exp.index - imports.importedGlobals, value);
  }
  const globalSection = sections.find((s) => s.id === SectionId.Global);
  if (replacements.size > 0) {
    if (!globalSection) throw new WasmFormatError('no global section');
    globalSection.payload = rewriteGlobals(globalSection.payload, replacements);
  }

  const dataSection = sections.find((s) => s.id === SectionId.Data);
  if (dataSection) {
    dataSection.payload = appendDataSegment(dataSection.payload, req.address, req.data);
  } else {
    insertSection(sections, { id: SectionId.Data, payload: appendDataSegment(undefined, req.address, req.data) });
  }
  const dataCount = sections.find((s) => s.id === SectionId.DataCount);
  if (dataCount) {
    const n = new Reader(dataCount.payload).u32();
    dataCount.payload = new Writer().u32(n + 1).toBytes();
  }

  const limits = imports.memoryLimits;
  if (!limits || !importSection) throw new WasmFormatError('the engine must import its memory (env.memory)');
  if (limits.max !== undefined) throw new WasmFormatError('the engine memory must not declare a maximum');
  if (req.minMemoryPages > limits.min) {
    const w = new Writer().byte(limits.flags).u32(req.minMemoryPages);
    const p = importSection.payload;
    const next = new Uint8Array(p.length - (limits.end - limits.start) + w.toBytes().length);
    const lim = w.toBytes();
    next.set(p.subarray(0, limits.start), 0);
    next.set(lim, limits.start);
    next.set(p.subarray(limits.end), limits.start + lim.length);
    importSection.payload = next;
  }
  return encodeSections(sections);
}

/** The minimum number of memory pages the module's `env.memory` import declares. */
export function importedMemoryMinPages(module: Uint8Array): number {
  const importSection = parseSections(module).find((s) => s.id === SectionId.Import);
  const limits = importSection ? readImports(importSection.payload).memoryLimits : undefined;
  if (!limits) throw new WasmFormatError('the module does not import a memory');
  return limits.min;
}
