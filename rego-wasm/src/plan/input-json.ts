/**
 * Input by need, written as the SDK's input: the JSON text of
 * `pruneInput(input, paths)` as UTF-8 bytes, produced in one pass over the
 * input (nothing outside the paths is visited, no pruned copy is built) and
 * handed to the SDK's `evaluate` as an ArrayBuffer, which it copies into wasm
 * memory as it is (`@open-policy-agent/opa-wasm`, unmodified, takes "an
 * ArrayBuffer holding well-formed JSON").
 *
 * The bytes sit in a buffer kept for inputs of about that size and the rest
 * is filled with spaces: RFC 8259 allows whitespace after the value, and a
 * fresh, exactly sized ArrayBuffer per evaluation made the Acme decision
 * 0.4–0.7 µs slower. Only modules built by rego-wasm carry input paths, and
 * its engine's parser skips the padding (rego-wasm/test/input-json.test.ts).
 *
 * The text is what `JSON.stringify(pruneInput(input, paths))` gives (a
 * property test holds it to that), with one difference that JSON data never
 * meets: a `toJSON` method is called without its key.
 */
import { isPlainObject, trieOf, type InputPaths, type PathTrie } from './input-paths';

/** Buffers larger than this are not kept between evaluations (such an input gets an exact one of its own). */
export const MAX_KEPT_BYTES = 1 << 16;
/** Size classes kept per selector (the oldest is dropped first). */
export const MAX_KEPT_CLASSES = 4;

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const SPACE = 0x20;
/** Arrays and objects up to this many entries are written here, larger ones by JSON.stringify. */
const SMALL = 16;
const encoder = new TextEncoder();

/**
 * The buffer size for `bytes` of JSON: rounded up to an eighth of its power
 * of two (at least 256), so the padding stays under an eighth and inputs of
 * about the same size share one buffer.
 */
export function capacityFor(bytes: number): number {
  if (bytes <= 256) return 256;
  const step = 2 ** (Math.floor(Math.log2(bytes)) - 3);
  return Math.ceil(bytes / step) * step;
}

/** JSON as UTF-8 into a growing byte buffer. */
class JsonWriter {
  buf = new Uint8Array(1024);
  n = 0;

  reset(): void {
    if (this.buf.length > MAX_KEPT_BYTES) this.buf = new Uint8Array(1024);
    this.n = 0;
  }

  ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.n++] = b;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }

  /** ASCII text without anything JSON escapes. */
  ascii(s: string): void {
    const len = s.length;
    this.ensure(len);
    const b = this.buf;
    let p = this.n;
    for (let i = 0; i < len; i++) b[p++] = s.charCodeAt(i);
    this.n = p;
  }

  /**
   * JSON text made by JSON.stringify (any characters), encoded into the room
   * there is, growing the buffer as it fills rather than by three bytes per
   * character up front (a response body may be megabytes).
   */
  text(json: string): void {
    let rest = json;
    this.ensure(rest.length);
    for (;;) {
      const { read, written } = encoder.encodeInto(rest, this.buf.subarray(this.n));
      this.n += written;
      if (read === rest.length) return;
      // encodeInto stops before a character that does not fit, never inside a surrogate pair
      rest = rest.slice(read);
      this.ensure(rest.length + 4);
    }
  }

  string(s: string): void {
    const len = s.length;
    this.ensure(len + 2);
    const b = this.buf;
    let p = this.n;
    b[p++] = QUOTE;
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i);
      // anything JSON escapes, or not ASCII: JSON.stringify writes it
      if (c < 0x20 || c === QUOTE || c === 0x5c || c > 0x7f) {
        this.text(JSON.stringify(s));
        return;
      }
      b[p++] = c;
    }
    b[p++] = QUOTE;
    this.n = p;
  }

  /** Writes `v` as JSON.stringify would; false when JSON leaves it out (undefined, a function, a symbol). */
  value(v: unknown): boolean {
    switch (typeof v) {
      case 'string':
        this.string(v);
        return true;
      case 'number':
        this.ascii(Number.isFinite(v) ? String(v) : 'null');
        return true;
      case 'boolean':
        this.ascii(v ? 'true' : 'false');
        return true;
      case 'object':
        if (v === null) {
          this.ascii('null');
          return true;
        }
        return this.object(v);
      case 'bigint':
        return this.stringified(v);
      default:
        return false;
    }
  }

  /**
   * JSON.stringify's text for `v`; false when it is left out. Also how a
   * BigInt throws its TypeError (unless BigInt.prototype.toJSON says otherwise).
   */
  private stringified(v: unknown): boolean {
    const json = JSON.stringify(v) as string | undefined;
    if (json === undefined) return false;
    this.text(json);
    return true;
  }

  /**
   * A small array or plain object is walked here; anything larger goes to
   * V8's JSON.stringify, which is faster past a few dozen values but costs
   * more than the walk for a handful. Dates, boxed primitives, Sets, Maps,
   * class instances and anything with toJSON: JSON.stringify's own rules.
   */
  private object(v: object): boolean {
    const proto: unknown = Object.getPrototypeOf(v);
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return this.stringified(v);
    if (proto === Array.prototype && Array.isArray(v)) {
      if (v.length > SMALL) return this.stringified(v);
      this.byte(0x5b);
      for (let i = 0; i < v.length; i++) {
        if (i > 0) this.byte(COMMA);
        if (!this.value(v[i])) this.ascii('null');
      }
      this.byte(0x5d);
      return true;
    }
    if (proto !== Object.prototype && proto !== null) return this.stringified(v);
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length > SMALL) return this.stringified(v);
    this.byte(0x7b);
    let first = true;
    for (const k of keys) {
      const mark = this.n;
      if (!first) this.byte(COMMA);
      this.string(k);
      this.byte(COLON);
      if (this.value(o[k])) first = false;
      else this.n = mark;
    }
    this.byte(0x7d);
    return true;
  }
}

type WriteNode = (w: JsonWriter, value: unknown) => boolean;

const writeWhole: WriteNode = (w, value) => w.value(value);

/** The trie as nested writers, walking the input as `inputSelector` does. */
function compile(trie: PathTrie): WriteNode {
  if (trie.whole) return writeWhole;
  const keys: string[] = [];
  const keyBytes: Uint8Array[] = [];
  const children: WriteNode[] = [];
  for (const [k, child] of trie.children) {
    keys.push(k);
    keyBytes.push(encoder.encode(`${JSON.stringify(k)}:`));
    children.push(compile(child));
  }
  const n = keys.length;
  const inherited = keys.map((k) => k in Object.prototype);
  return (w, value) => {
    if (!isPlainObject(value)) return w.value(value);
    w.byte(0x7b);
    let first = true;
    for (let i = 0; i < n; i++) {
      const k = keys[i] as string;
      const v = value[k];
      if (v === undefined || (inherited[i] === true && !Object.hasOwn(value, k))) continue;
      const mark = w.n;
      if (!first) w.byte(COMMA);
      w.bytes(keyBytes[i] as Uint8Array);
      if ((children[i] as WriteNode)(w, v)) first = false;
      else w.n = mark;
    }
    w.byte(0x7d);
    return true;
  };
}

/**
 * What to hand the SDK for an input document: the JSON bytes of the parts
 * `paths` name, in an ArrayBuffer that the next call of this selector
 * reuses (hand it to `evaluate` at once). The document itself when `paths`
 * names all of it, and when the SDK would not serialise it (a falsy input is
 * "no input" to the SDK; a value JSON cannot represent is left to the SDK).
 */
export function inputJsonSelector(paths: InputPaths): (input: unknown) => unknown {
  const trie = trieOf(paths);
  if (trie.whole) return (input) => input;
  const root = compile(trie);
  const writer = new JsonWriter();
  const kept = new Map<number, Uint8Array>();
  const bufferOf = (capacity: number): Uint8Array => {
    let buf = kept.get(capacity);
    if (buf === undefined) {
      if (kept.size >= MAX_KEPT_CLASSES) kept.delete(kept.keys().next().value as number);
      buf = new Uint8Array(capacity);
      kept.set(capacity, buf);
    }
    return buf;
  };
  return (input) => {
    if (!input) return input;
    writer.reset();
    if (!root(writer, input)) return input;
    const len = writer.n;
    const capacity = capacityFor(len);
    // too large to keep: a buffer of its own, exactly as long as the JSON
    if (capacity > MAX_KEPT_BYTES) return writer.buf.slice(0, len).buffer;
    const buf = bufferOf(capacity);
    buf.set(writer.buf.subarray(0, len));
    buf.fill(SPACE, len);
    return buf.buffer;
  };
}
