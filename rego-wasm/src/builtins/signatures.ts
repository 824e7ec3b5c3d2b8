/**
 * Builtin declarations (name → OPA type decl), generated from OPA's own plans by
 * `tools/gen-signatures.ts` into `signatures.json`, plus hand-written entries.
 */
import table from './signatures.json';

/** OPA type declaration as printed in plans' `static.builtin_funcs[].decl`. */
export interface TypeDecl {
  type: string;
  [k: string]: unknown;
}

export interface FunctionDecl {
  type: 'function';
  args?: TypeDecl[];
  result?: TypeDecl;
  /** Variadic arg type (OPA's `variadic`), e.g. for `print`. */
  variadic?: TypeDecl;
}

export interface BuiltinSignature {
  /** The decl exactly as OPA prints it in `static.builtin_funcs`. */
  decl: FunctionDecl;
  /** Number of declared args (the output is not counted). */
  arity: number;
  /** True when the builtin is a relation (enumerates results, like `walk`). */
  relation: boolean;
  /** True when the builtin has no result (like `internal.print`). */
  void: boolean;
  /** Infix operator spelling, if any (`plus` → `+`). */
  infix?: string;
  /** True when the builtin is non-deterministic (time, rand, http). */
  nondeterministic?: boolean;
}

export type BuiltinTable = Readonly<Record<string, BuiltinSignature>>;

export const BUILTINS: BuiltinTable = table as unknown as BuiltinTable;

export function lookupBuiltin(name: string, table: BuiltinTable = BUILTINS): BuiltinSignature | undefined {
  return Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
}
