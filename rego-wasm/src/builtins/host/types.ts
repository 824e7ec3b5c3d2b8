/** A JSON value as the OPA SDK passes it to host builtins (sets arrive as arrays). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type JsonObject = { [key: string]: JsonValue };

/** `undefined` means "undefined in Rego". */
export type HostBuiltin = (...args: JsonValue[]) => JsonValue | undefined;
