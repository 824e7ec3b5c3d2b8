/**
 * OPA capabilities files (`--capabilities caps.json`, the JSON `opa
 * capabilities` prints): `{"builtins": [{"name", "decl"}], ...}`.
 *
 * As in OPA, the file is the whole set of builtins a policy may call: a call
 * to a builtin it does not list is a `rego_type_error: undefined function`
 * at the call. A builtin the file lists but this toolchain does not know is
 * a host-provided builtin: the compiler type-checks calls against the file's
 * `decl`, the engine imports it by name (the SDK's builtin mechanism), and
 * the caller supplies it at load time (`loadPolicyWasm(wasm, { builtins })`).
 */
import { readFileSync } from 'node:fs';
import { RegoError, RegoErrors } from '../errors';
import type { Policy, Stmt } from '../ir/plan';
import { SourceError } from '../sources';
import { BUILTINS, type BuiltinTable, type FunctionDecl, type TypeDecl } from './signatures';

export interface Capabilities {
  /** Where it was read from, for messages. */
  source: string;
  /** Builtins by name with their declarations. */
  builtins: ReadonlyMap<string, FunctionDecl>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isTypeDecl(v: unknown): v is TypeDecl {
  return isObject(v) && typeof v.type === 'string';
}

/** Parses a capabilities document; throws SourceError naming the file and the bad entry. */
export function parseCapabilities(doc: unknown, source: string): Capabilities {
  if (!isObject(doc) || !Array.isArray(doc.builtins)) throw new SourceError(`${source}: capabilities must be an object with a "builtins" array`);
  const builtins = new Map<string, FunctionDecl>();
  doc.builtins.forEach((b: unknown, i: number) => {
    const where = `${source}: builtins[${i}]`;
    if (!isObject(b) || typeof b.name !== 'string' || b.name.length === 0) throw new SourceError(`${where}: needs a "name"`);
    const decl = b.decl;
    if (!isObject(decl) || decl.type !== 'function') throw new SourceError(`${where} (${b.name}): "decl" must be {"type": "function", ...}`);
    if (decl.args !== undefined && !(Array.isArray(decl.args) && decl.args.every(isTypeDecl))) throw new SourceError(`${where} (${b.name}): "decl.args" must be type declarations`);
    if (decl.result !== undefined && !isTypeDecl(decl.result)) throw new SourceError(`${where} (${b.name}): "decl.result" must be a type declaration`);
    builtins.set(b.name, decl as unknown as FunctionDecl);
  });
  return { source, builtins };
}

export function readCapabilities(path: string): Capabilities {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SourceError(`${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new SourceError(`${path}: invalid JSON: ${(e as Error).message}`);
  }
  return parseCapabilities(doc, path);
}

/** Builtins the file declares that the toolchain does not know: the host provides them. */
export function hostProvidedBuiltins(caps: Capabilities): BuiltinTable {
  const table: Record<string, BuiltinTable[string]> = {};
  for (const [name, decl] of caps.builtins) {
    if (Object.prototype.hasOwnProperty.call(BUILTINS, name)) continue;
    table[name] = { decl, arity: decl.args?.length ?? 0, relation: false, void: decl.result === undefined };
  }
  return table;
}

function forEachStmt(policy: Policy, f: (s: Stmt) => void): void {
  const blocks = (bs: { stmts: Stmt[] }[]): void => {
    for (const b of bs) {
      for (const s of b.stmts) {
        f(s);
        const st = s.stmt as unknown as Record<string, unknown>;
        if (isObject(st.block)) blocks([st.block as unknown as { stmts: Stmt[] }]);
        if (Array.isArray(st.blocks)) blocks(st.blocks as { stmts: Stmt[] }[]);
      }
    }
  };
  for (const p of policy.plans?.plans ?? []) blocks(p.blocks);
  for (const fn of policy.funcs?.funcs ?? []) blocks(fn.blocks);
}

/**
 * Rejects builtins the plan calls that the capabilities do not list, each at its first
 * call site (`file:row:col: rego_type_error: undefined function NAME`, OPA's wording).
 */
export function checkCapabilities(policy: Policy, caps: Capabilities): void {
  const files = policy.static?.files ?? [];
  const missing = new Map<string, RegoError>();
  const declared = new Set((policy.static?.builtin_funcs ?? []).map((b) => b.name));
  forEachStmt(policy, (s) => {
    if (s.type !== 'CallStmt') return;
    const name = s.stmt.func;
    if (!declared.has(name) || caps.builtins.has(name) || missing.has(name)) return;
    const file = files[s.stmt.file]?.value ?? '<unknown>';
    missing.set(name, new RegoError('rego_type_error', `undefined function ${name}`, { file, row: s.stmt.row, col: s.stmt.col }));
  });
  for (const name of declared) {
    if (!caps.builtins.has(name) && !missing.has(name)) {
      missing.set(name, new RegoError('rego_type_error', `undefined function ${name} (not in ${caps.source})`));
    }
  }
  if (missing.size > 0) throw new RegoErrors([...missing.values()]);
}
