/**
 * OPA's deprecated builtins: part of Rego v0, absent from OPA 1.x's capabilities for v1
 * modules (a v1 module calling one gets `undefined function`). The compiler adds them to
 * the builtin table for v0 modules only. Decls as OPA prints them (`v1/ast/builtins.go`).
 * `all`, `any`, `set_diff` and `cast_*` run natively in the runtime; `re_match` and
 * `net.cidr_overlap` are host builtins (`host/regex.ts`, `host/net-cidr.ts`).
 */
import type { BuiltinSignature, FunctionDecl, TypeDecl } from './signatures';

const ANY: TypeDecl = { type: 'any' };
const BOOL: TypeDecl = { type: 'boolean' };
const STR: TypeDecl = { type: 'string' };
const ANY_SET: TypeDecl = { type: 'set', of: ANY };
const COLLECTION: TypeDecl = { type: 'any', of: [{ type: 'array', dynamic: ANY }, ANY_SET] };

function sig(args: TypeDecl[], result: TypeDecl): BuiltinSignature {
  const decl: FunctionDecl = { type: 'function', args, result };
  return { decl, arity: args.length, relation: false, void: false };
}

export const DEPRECATED_BUILTINS: Readonly<Record<string, BuiltinSignature>> = {
  all: sig([COLLECTION], BOOL),
  any: sig([COLLECTION], BOOL),
  re_match: sig([STR, STR], BOOL),
  'net.cidr_overlap': sig([STR, STR], BOOL),
  set_diff: sig([ANY_SET, ANY_SET], ANY_SET),
  cast_array: sig([ANY], { type: 'array', dynamic: ANY }),
  cast_set: sig([ANY], ANY_SET),
  cast_string: sig([ANY], STR),
  cast_boolean: sig([ANY], BOOL),
  cast_null: sig([ANY], { type: 'null' }),
  cast_object: sig([ANY], { type: 'object', dynamic: { key: ANY, value: ANY } }),
};
