/** object.subset, array.flatten and numbers.range_step (OPA's subset.go, array.go, numbers.go). */
import { BuiltinEvalError, InputLimitError, OperandTypeError } from './errors';
import { arr, int, isObject, jsonEqual } from './operands';
import type { HostBuiltin, JsonObject, JsonValue } from './types';

/** numbers.range_step refuses ranges with more elements than this. */
export const MAX_RANGE_LENGTH = 1_000_000;

/** Is `sub` a contiguous run inside `sup` (OPA's array subset)? */
function arraySubset(sup: JsonValue[], sub: JsonValue[]): boolean {
  if (sub.length === 0) return true;
  for (let start = 0; start + sub.length <= sup.length; start++) {
    if (sub.every((v, i) => jsonEqual(sup[start + i], v))) return true;
  }
  return false;
}

function objectSubset(sup: JsonObject, sub: JsonObject): boolean {
  return Object.entries(sub).every(([k, v]) => {
    if (!Object.prototype.hasOwnProperty.call(sup, k)) return false;
    const s = sup[k];
    if (isObject(s) && isObject(v)) return objectSubset(s, v);
    if (Array.isArray(s) && Array.isArray(v)) return arraySubset(s, v);
    return jsonEqual(s, v);
  });
}

/**
 * object.subset(super, sub). Sets reach the host as (sorted) arrays, so a set
 * is treated like an array: a contiguous run, which for sorted sets means a
 * subset of consecutive members.
 */
const subset: HostBuiltin = (sup, sub) => {
  if (isObject(sup) && isObject(sub)) return objectSubset(sup, sub);
  if (Array.isArray(sup) && Array.isArray(sub)) return arraySubset(sup, sub);
  throw new BuiltinEvalError('object.subset', 'both arguments to object.subset must be of the same type or array and set');
};

const flatten: HostBuiltin = (a) => {
  const xs = arr('array.flatten', a, 1);
  return xs.flatMap((x) => (Array.isArray(x) ? x : [x]));
};

const rangeStep: HostBuiltin = (a, b, step) => {
  const name = 'numbers.range_step';
  const start = int(name, a, 1);
  const end = int(name, b, 2);
  if (typeof step !== 'number') throw new OperandTypeError(name, 3, step, 'number');
  if (!Number.isInteger(step) || step <= 0) throw new BuiltinEvalError(name, 'step must be a positive integer');
  const n = Math.floor(Math.abs(end - start) / step) + 1;
  if (n > MAX_RANGE_LENGTH) throw new InputLimitError(name, `range longer than ${MAX_RANGE_LENGTH} elements`);
  const dir = end >= start ? 1 : -1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(start + dir * i * step);
  return out;
};

export const collectionBuiltins: Record<string, HostBuiltin> = {
  'object.subset': subset,
  'array.flatten': flatten,
  'numbers.range_step': rangeStep,
};
