/** A JSON value as the OPA SDK passes it to host builtins (sets arrive as arrays). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type JsonObject = { [key: string]: JsonValue };

/** `undefined` means "undefined in Rego". */
export type HostBuiltin = (...args: JsonValue[]) => JsonValue | undefined;

/**
 * A number whose exact decimal text a double cannot hold (e.g. nanosecond
 * timestamps, 10 EiB). Internal builtins may return it at top level;
 * `hostBuiltins` turns it into the nearest double, `sdkHostBuiltins` into the
 * exact JSON text (the SDK's loader takes an ArrayBuffer verbatim).
 */
export class ExactNumber {
  constructor(readonly text: string) {}
}

/**
 * A JSON document holding integers a double cannot hold (RSA moduli, serial
 * numbers). `hostBuiltins` returns `approx` (those integers as the nearest
 * double), `sdkHostBuiltins` the exact `text`.
 */
export class ExactJson {
  constructor(
    readonly text: string,
    readonly approx: JsonValue,
  ) {}
}

/** What the builtin implementations return before the public tables adapt it. */
export type InternalBuiltin = (...args: JsonValue[]) => JsonValue | ExactNumber | ExactJson | undefined;

/** A builtin as the OPA SDK's `customBuiltins` may hold it: JSON, raw JSON bytes, or undefined. */
export type SdkBuiltin = (...args: JsonValue[]) => JsonValue | ArrayBuffer | undefined;

/** A JSON number for an exact integer or decimal text: a plain number when that is exact. */
export function exactNumber(value: bigint | string): number | ExactNumber {
  const text = typeof value === 'bigint' ? value.toString() : value;
  const n = Number(text);
  return String(n) === text ? n : new ExactNumber(text);
}
