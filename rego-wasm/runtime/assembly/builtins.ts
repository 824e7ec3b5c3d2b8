// Builtins implemented natively (no host round trip): the id table and the dispatcher.
// The implementations live by domain in builtins-*.ts (numbers, collections, types,
// strings, encoding, json); each exports its names in id order and one switch over them.
// Type errors and other builtin errors return null, i.e. "undefined" (OPA's non-strict mode).
import { Value, NULL } from "./value";
import { NUMBERS_NAMES, callNumbers } from "./builtins-numbers";
import { COLLECTIONS_NAMES, callCollections } from "./builtins-collections";
import { TYPES_NAMES, callTypes } from "./builtins-types";
import { STRINGS_NAMES, callStrings } from "./builtins-strings";
import { ENCODING_NAMES, callEncoding } from "./builtins-encoding";
import { JSON_NAMES, callJson } from "./builtins-json";

// A native id is (domain << 8) | index into that domain's names.
const D_NUMBERS = 0;
const D_COLLECTIONS = 1;
const D_TYPES = 2;
const D_STRINGS = 3;
const D_ENCODING = 4;
const D_JSON = 5;

let ids: Map<string, i32> | null = null;

function register(m: Map<string, i32>, domain: i32, names: string[]): void {
  for (let i = 0; i < names.length; i++) m.set(names[i], (domain << 8) | i);
}

/** The native id of a builtin, or -1 when the host implements it. */
export function nativeId(name: string): i32 {
  if (ids === null) {
    let m = new Map<string, i32>();
    register(m, D_NUMBERS, NUMBERS_NAMES);
    register(m, D_COLLECTIONS, COLLECTIONS_NAMES);
    register(m, D_TYPES, TYPES_NAMES);
    register(m, D_STRINGS, STRINGS_NAMES);
    register(m, D_ENCODING, ENCODING_NAMES);
    register(m, D_JSON, JSON_NAMES);
    ids = m;
  }
  let m = ids!;
  return m.has(name) ? m.get(name) : -1;
}

export function callNative(id: i32, a: Array<Value>): Value | null {
  let n = a.length;
  let x: Value = n > 0 ? unchecked(a[0]) : NULL;
  let y: Value = n > 1 ? unchecked(a[1]) : NULL;
  let z: Value = n > 2 ? unchecked(a[2]) : NULL;
  let i = id & 0xff;
  switch (id >> 8) {
    case D_NUMBERS: return callNumbers(i, x, y, z);
    case D_COLLECTIONS: return callCollections(i, x, y, z);
    case D_TYPES: return callTypes(i, x, y, z);
    case D_STRINGS: return callStrings(i, x, y, z, a);
    case D_ENCODING: return callEncoding(i, x, y, z);
    case D_JSON: return callJson(i, x, y, z);
  }
  return null;
}
