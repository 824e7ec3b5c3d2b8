// Native builtins: type tests, type_name and the deprecated v0 cast_* builtins.
// Type errors and other builtin errors return null, i.e. "undefined" (OPA's non-strict mode).
import {
  Value, StrV, ArrV, ObjV, SetV, BoolV, NULL, TRUE, FALSE, boolV,
  T_NULL, T_BOOL, T_NUM, T_STR, T_ARR, T_OBJ, T_SET,
  cmp, eq, objGet, objPut, objCopy, objRemove, setAdd, setHas, setFrom, typeName, cpCount,
} from "./value";

import { num, s, isNum, isStr, items, arrOf, smallInt, okBuf } from "./builtins-common";

export const TYPES_NAMES: string[] = [
  "is_number",
  "is_string",
  "is_boolean",
  "is_array",
  "is_set",
  "is_object",
  "is_null",
  "type_name",
  "cast_array",
  "cast_set",
  "cast_string",
  "cast_boolean",
  "cast_null",
  "cast_object",
];

/** `is_*`, `type_name`; `cast_*` (v0): a value of the target type (arrays and sets convert). `id` indexes TYPES_NAMES; null = undefined (a builtin error). */
export function callTypes(id: i32, x: Value, y: Value, z: Value): Value | null {
  switch (id) {
    case 0: return boolV(x.kind == T_NUM);
    case 1: return boolV(x.kind == T_STR);
    case 2: return boolV(x.kind == T_BOOL);
    case 3: return boolV(x.kind == T_ARR);
    case 4: return boolV(x.kind == T_SET);
    case 5: return boolV(x.kind == T_OBJ);
    case 6: return boolV(x.kind == T_NULL);
    case 7: return new StrV(typeName(x));
    case 8: return x.kind == T_ARR ? x : x.kind == T_SET ? arrOf(changetype<SetV>(x).items.slice(0)) : null;
    case 9: return x.kind == T_SET ? x : x.kind == T_ARR ? setFrom(changetype<ArrV>(x).items) : null;
    case 10: return x.kind == T_STR ? x : null;
    case 11: return x.kind == T_BOOL ? x : null;
    case 12: return x.kind == T_NULL ? x : null;
    case 13: return x.kind == T_OBJ ? x : null;
  }
  return null;
}
