/**
 * The three public views of a builtin table (strict, plain non-strict, SDK),
 * shared by the core table (`index.ts`) and the opt-in one (`extended.ts`).
 */
import { ExactJson, ExactNumber, type HostBuiltin, type InternalBuiltin, type JsonValue, type SdkBuiltin } from './types';

/** Adapt every function of a table, keeping each function's declared arity (`length`). */
function mapTable<A extends (...args: never[]) => unknown, B extends (...args: never[]) => unknown>(
  table: Readonly<Record<string, A>>,
  f: (fn: A) => B,
): Readonly<Record<string, B>> {
  return Object.freeze(
    Object.fromEntries(Object.entries(table).map(([name, fn]) => [name, Object.defineProperty(f(fn), 'length', { value: fn.length })])),
  );
}

/** Exact numbers as the nearest double: plain JSON for JavaScript callers. */
function plain(fn: InternalBuiltin): HostBuiltin {
  return (...args) => {
    const r = fn(...args);
    if (r instanceof ExactJson) return r.approx;
    return r instanceof ExactNumber ? Number(r.text) : r;
  };
}

/** Exact numbers and documents as raw JSON text, which the OPA SDK hands to `opa_json_parse` unchanged. */
function raw(fn: InternalBuiltin): SdkBuiltin {
  return (...args) => {
    const r = fn(...args);
    if (!(r instanceof ExactNumber) && !(r instanceof ExactJson)) return r;
    const bytes = Buffer.from(r.text, 'utf8');
    const out = new ArrayBuffer(bytes.length);
    new Uint8Array(out).set(bytes);
    return out;
  };
}

function nonStrict<F extends (...args: JsonValue[]) => unknown>(fn: F): F {
  return ((...args: JsonValue[]) => {
    try {
      return fn(...args);
    } catch {
      // OPA non-strict semantics: any builtin error makes the call undefined.
      return undefined;
    }
  }) as F;
}

export interface BuiltinTables {
  /** Errors propagate (strict builtin errors). */
  strict: Readonly<Record<string, HostBuiltin>>;
  /** Plain JSON in / out; a builtin error is `undefined` (OPA non-strict). */
  plain: Readonly<Record<string, HostBuiltin>>;
  /** For the OPA SDK: non-strict, exact numbers/documents as raw JSON text. */
  sdk: Readonly<Record<string, SdkBuiltin>>;
}

export function makeTables(implementations: Readonly<Record<string, InternalBuiltin>>): BuiltinTables {
  const strict = mapTable(implementations, plain);
  return { strict, plain: mapTable(strict, nonStrict), sdk: mapTable(implementations, (fn) => nonStrict(raw(fn))) };
}
