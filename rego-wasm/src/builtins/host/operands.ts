/** Operand checks shared by the host builtins (OPA's `builtins.*Operand`). */
import { OperandTypeError } from './errors';
import type { JsonObject, JsonValue } from './types';

export function str(builtin: string, v: JsonValue | undefined, pos: number): string {
  if (typeof v !== 'string') throw new OperandTypeError(builtin, pos, v, 'string');
  return v;
}

export function num(builtin: string, v: JsonValue | undefined, pos: number): number {
  if (typeof v !== 'number') throw new OperandTypeError(builtin, pos, v, 'number');
  return v;
}

/** An integer operand (OPA's IntOperand: a number without fraction). */
export function int(builtin: string, v: JsonValue | undefined, pos: number): number {
  const n = num(builtin, v, pos);
  if (!Number.isInteger(n)) throw new OperandTypeError(builtin, pos, v, 'integer');
  return n;
}

export function bool(builtin: string, v: JsonValue | undefined, pos: number): boolean {
  if (typeof v !== 'boolean') throw new OperandTypeError(builtin, pos, v, 'boolean');
  return v;
}

export function arr(builtin: string, v: JsonValue | undefined, pos: number): JsonValue[] {
  if (!Array.isArray(v)) throw new OperandTypeError(builtin, pos, v, 'array');
  return v;
}

export function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(builtin: string, v: JsonValue | undefined, pos: number): JsonObject {
  if (!isObject(v)) throw new OperandTypeError(builtin, pos, v, 'object');
  return v;
}

/** An array or set (sets arrive as arrays) of strings. */
export function strings(builtin: string, v: JsonValue | undefined, pos: number): string[] {
  const a = arr(builtin, v, pos);
  return a.map((e) => {
    if (typeof e !== 'string') throw new OperandTypeError(builtin, pos, v, 'array of strings', 'set of strings');
    return e;
  });
}

/** Structural equality of JSON values (object key order ignored). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}
