/**
 * The input paths of each entrypoint (`../plan/input-paths.ts`) travel inside
 * policy.wasm as a custom section, so a host that loads only the wasm (the
 * authorizer, the claims proxy) knows what input the policy can read, and the
 * paths can never belong to another build of the policy. Custom sections are
 * ignored by WebAssembly engines and the OPA SDK.
 *
 * Payload: UTF-8 JSON `{"<entrypoint a/b/p>": [["key", …], …], …}`; `[[]]`
 * is the whole input. A module without the section (built by `opa`, or by an
 * older rego-wasm), or with one that is malformed, reads as undefined: the
 * host then passes the whole input.
 */
import type { InputPaths } from '../plan/input-paths';

export const INPUT_PATHS_SECTION = 'rego-wasm.input_paths';
/** A larger section is not believed (a hostile module must not cost memory or CPU). */
const MAX_PAYLOAD = 1 << 20;
const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** `wasm` with the input-paths section appended (the module is otherwise unchanged). */
export function appendInputPathsSection(wasm: Uint8Array, paths: Readonly<Record<string, InputPaths>>): Uint8Array {
  const name = new TextEncoder().encode(INPUT_PATHS_SECTION);
  const payload = new TextEncoder().encode(JSON.stringify(paths));
  const body = [...leb(name.length), ...name];
  const size = body.length + payload.length;
  const header = [0, ...leb(size), ...body];
  const out = new Uint8Array(wasm.length + header.length + payload.length);
  out.set(wasm, 0);
  out.set(header, wasm.length);
  out.set(payload, wasm.length + header.length);
  return out;
}

/** Reads an unsigned LEB128 at `pos`; undefined past the end or beyond 32 bits. */
function readLeb(bytes: Uint8Array, pos: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let shift = 0, i = pos; shift < 35; shift += 7, i++) {
    if (i >= bytes.length) return undefined;
    const b = bytes[i] as number;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return value > 0xffffffff ? undefined : { value, next: i + 1 };
  }
  return undefined;
}

function isPaths(v: unknown): v is string[][] {
  return Array.isArray(v) && v.every((p) => Array.isArray(p) && p.every((s) => typeof s === 'string'));
}

/**
 * The entrypoints' input paths from a module's custom section, or undefined
 * when the module has none (or an unreadable one).
 */
export function readInputPathsSection(wasm: Uint8Array): Record<string, string[][]> | undefined {
  if (wasm.length < 8 || MAGIC.some((b, i) => wasm[i] !== b)) return undefined;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pos = 8;
  while (pos < wasm.length) {
    const id = wasm[pos] as number;
    const size = readLeb(wasm, pos + 1);
    if (size === undefined || size.next + size.value > wasm.length) return undefined;
    const end = size.next + size.value;
    if (id === 0) {
      const len = readLeb(wasm, size.next);
      if (len === undefined || len.next + len.value > end) return undefined;
      let name: string;
      try {
        name = decoder.decode(wasm.subarray(len.next, len.next + len.value));
      } catch {
        return undefined;
      }
      if (name === INPUT_PATHS_SECTION) {
        if (end - (len.next + len.value) > MAX_PAYLOAD) return undefined;
        try {
          const parsed = JSON.parse(decoder.decode(wasm.subarray(len.next + len.value, end))) as unknown;
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
          const out = Object.create(null) as Record<string, string[][]>;
          for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
            if (!isPaths(v)) return undefined;
            out[k] = v;
          }
          return out;
        } catch {
          return undefined;
        }
      }
    }
    pos = end;
  }
  return undefined;
}
