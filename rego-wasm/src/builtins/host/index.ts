/**
 * Builtins implemented in JavaScript on the host side. The runtime calls them
 * through `opa_builtinN` for every builtin it does not implement natively.
 * Arguments arrive JSON-decoded (sets as arrays, object keys as strings).
 * Return `undefined` for "undefined in Rego" (OPA's non-strict builtin error).
 *
 * Owned by the host-builtins work; this placeholder only fixes the types.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type HostBuiltin = (...args: JsonValue[]) => JsonValue | undefined;

export const hostBuiltins: Readonly<Record<string, HostBuiltin>> = {};
