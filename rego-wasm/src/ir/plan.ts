/**
 * OPA's intermediate representation ("plan"), the JSON format of
 * `opa build -t plan`. This file is the contract between the Rego front end
 * (parse → compile → plan) and the WebAssembly runtime (package → runtime):
 * the planner emits a `Policy`, the packager encodes it into `policy.wasm`.
 *
 * Field names and shapes follow OPA's `v1/ir/ir.go` / `v1/ir/marshal.go`
 * so that plans can be diffed against the ones in ../shared/opa-compliance.
 */

/** Index into the frame's locals. In plans local 0 = input, local 1 = data. */
export type Local = number;

export type Operand =
  | { type: 'local'; value: Local }
  | { type: 'bool'; value: boolean }
  | { type: 'string_index'; value: number };

/** Source location carried by every statement (indices into static.files). */
export interface Location {
  file: number;
  row: number;
  col: number;
  end_row?: number;
  end_col?: number;
}

export interface Block {
  stmts: Stmt[];
}

export interface StmtFields {
  ArrayAppendStmt: { array: Local; value: Operand };
  AssignIntStmt: { value: number; target: Local };
  AssignVarOnceStmt: { source: Operand; target: Local };
  AssignVarStmt: { source: Operand; target: Local };
  BlockStmt: { blocks: Block[] | null };
  BreakStmt: { index: number };
  CallDynamicStmt: { path: Operand[]; args: Local[]; result: Local };
  CallStmt: { func: string; args: Operand[]; result: Local };
  DotStmt: { source: Operand; key: Operand; target: Local };
  EqualStmt: { a: Operand; b: Operand };
  IsArrayStmt: { source: Operand };
  IsDefinedStmt: { source: Local };
  IsObjectStmt: { source: Operand };
  IsSetStmt: { source: Operand };
  IsUndefinedStmt: { source: Local };
  LenStmt: { source: Operand; target: Local };
  MakeArrayStmt: { capacity: number; target: Local };
  MakeNullStmt: { target: Local };
  MakeNumberIntStmt: { value: number; target: Local };
  /** OPA emits the index as `Index` (untagged Go field); newer builds also `index`. */
  MakeNumberRefStmt: { Index?: number; index?: number; target: Local };
  MakeObjectStmt: { target: Local };
  MakeSetStmt: { target: Local };
  NopStmt: Record<string, never>;
  NotEqualStmt: { a: Operand; b: Operand };
  NotStmt: { block: Block };
  ObjectInsertOnceStmt: { key: Operand; value: Operand; object: Local };
  ObjectInsertStmt: { key: Operand; value: Operand; object: Local };
  ObjectMergeStmt: { a: Local; b: Local; target: Local };
  ResetLocalStmt: { target: Local };
  ResultSetAddStmt: { value: Local };
  ReturnLocalStmt: { source: Local };
  ScanStmt: { source: Local; key: Local; value: Local; block: Block };
  SetAddStmt: { value: Operand; set: Local };
  /** `path` holds string indices; null/[] replaces the whole local. */
  WithStmt: { local: Local; path: number[] | null; value: Operand; block: Block };
}

export type StmtType = keyof StmtFields;

export type Stmt = {
  [K in StmtType]: { type: K; stmt: StmtFields[K] & Location };
}[StmtType];

export interface Plan {
  name: string;
  blocks: Block[];
}

export interface Func {
  name: string;
  params: Local[];
  return: Local;
  blocks: Block[];
  /** e.g. ["g0", "authz", "allow"]; used by CallDynamicStmt. */
  path?: string[];
}

/** A builtin's type declaration, as OPA prints it (kept opaque here). */
export interface BuiltinDecl {
  args?: unknown[];
  result?: unknown;
  variadic?: unknown;
  type?: string;
}

export interface Static {
  strings?: { value: string }[] | null;
  builtin_funcs?: { name: string; decl: BuiltinDecl }[] | null;
  files?: { value: string }[] | null;
}

export interface Policy {
  static?: Static | null;
  plans?: { plans: Plan[] | null } | null;
  funcs?: { funcs: Func[] | null } | null;
}

