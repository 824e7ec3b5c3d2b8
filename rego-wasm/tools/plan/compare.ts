/**
 * Structural comparison of two IR plans (ours vs OPA's golden plan).
 *
 * Locations are ignored and pool indices are resolved to their values
 * (string operands, number literals, `with` paths, builtin names), so two
 * plans compare equal when they contain the same statements in the same
 * order with the same local numbering — even if their string pools were
 * filled in a different order.
 */
import type { Block, Operand, Policy, Stmt } from '../../src/ir/plan';

const LOCATION_FIELDS = new Set(['file', 'row', 'col', 'end_row', 'end_col']);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function normOperand(op: Operand, strings: string[]): Json {
  if (op.type === 'string_index') return { s: strings[op.value] ?? `<bad string ${op.value}>` };
  if (op.type === 'bool') return { b: op.value };
  return { l: op.value };
}

function isOperand(v: unknown): v is Operand {
  return typeof v === 'object' && v !== null && 'type' in v && 'value' in v &&
    ['local', 'bool', 'string_index'].includes((v as { type: string }).type);
}

function normValue(v: unknown, strings: string[]): Json {
  if (isOperand(v)) return normOperand(v, strings);
  if (Array.isArray(v)) return v.map((x) => normValue(x, strings));
  if (typeof v === 'object' && v !== null) {
    if ('stmts' in v) return normBlock(v as Block, strings);
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) out[k] = normValue(x, strings);
    return out;
  }
  return v as Json;
}

function normStmt(s: Stmt, strings: string[]): Json {
  const out: { [k: string]: Json } = { type: s.type };
  for (const [k, v] of Object.entries(s.stmt as unknown as Record<string, unknown>)) {
    if (LOCATION_FIELDS.has(k)) continue;
    if (s.type === 'MakeNumberRefStmt' && (k === 'Index' || k === 'index')) {
      out.number = strings[v as number] ?? null;
      continue;
    }
    if (s.type === 'WithStmt' && k === 'path') {
      out.path = ((v as number[] | null) ?? []).map((i) => strings[i] ?? null);
      continue;
    }
    if (s.type === 'BlockStmt' && k === 'blocks') {
      out.blocks = ((v as Block[] | null) ?? []).map((b) => normBlock(b, strings));
      continue;
    }
    // Go marshals an empty argument list as null.
    if (k === 'args' && (v === null || (Array.isArray(v) && v.length === 0))) {
      out.args = [];
      continue;
    }
    out[k] = normValue(v, strings);
  }
  return out;
}

function normBlock(b: Block, strings: string[]): Json {
  return b.stmts.map((s) => normStmt(s, strings));
}

/** A location-free, pool-resolved JSON form of a policy, for comparisons and display. */
export function normalizePolicy(p: Policy): { plans: Record<string, Json>; funcs: Record<string, Json>; builtins: string[] } {
  const strings = (p.static?.strings ?? []).map((s) => s.value);
  const plans: Record<string, Json> = {};
  for (const pl of p.plans?.plans ?? []) plans[pl.name] = pl.blocks.map((b) => normBlock(b, strings));
  const funcs: Record<string, Json> = {};
  for (const f of p.funcs?.funcs ?? []) {
    funcs[f.name] = {
      params: f.params,
      return: f.return,
      path: f.path ?? null,
      blocks: f.blocks.map((b) => normBlock(b, strings)),
    };
  }
  const builtins = (p.static?.builtin_funcs ?? []).map((b) => b.name).sort();
  return { plans, funcs, builtins };
}

/** Differences between two normalised values, as `path: want … got …` lines (at most `limit`). */
function diffJson(want: Json, got: Json, path: string, out: string[], limit: number): void {
  if (out.length >= limit) return;
  if (Array.isArray(want) && Array.isArray(got)) {
    const n = Math.max(want.length, got.length);
    for (let i = 0; i < n && out.length < limit; i++) {
      if (i >= want.length) out.push(`${path}[${i}]: unexpected ${JSON.stringify(got[i])}`);
      else if (i >= got.length) out.push(`${path}[${i}]: missing ${JSON.stringify(want[i])}`);
      else diffJson(want[i]!, got[i]!, `${path}[${i}]`, out, limit);
    }
    return;
  }
  if (want && got && typeof want === 'object' && typeof got === 'object' && !Array.isArray(want) && !Array.isArray(got)) {
    const keys = new Set([...Object.keys(want), ...Object.keys(got)]);
    for (const k of [...keys].sort()) {
      if (out.length >= limit) return;
      if (!(k in want)) out.push(`${path}.${k}: unexpected ${JSON.stringify(got[k])}`);
      else if (!(k in got)) out.push(`${path}.${k}: missing ${JSON.stringify(want[k])}`);
      else diffJson(want[k]!, got[k]!, `${path}.${k}`, out, limit);
    }
    return;
  }
  if (JSON.stringify(want) !== JSON.stringify(got)) {
    out.push(`${path}: want ${JSON.stringify(want)} got ${JSON.stringify(got)}`);
  }
}

/** Compare `got` against `want`; returns the differences (empty when equivalent). */
export function comparePolicies(want: Policy, got: Policy, limit = 10): string[] {
  const w = normalizePolicy(want);
  const g = normalizePolicy(got);
  const out: string[] = [];
  diffJson(w.builtins, g.builtins, 'builtin_funcs', out, limit);
  diffJson(w.plans, g.plans, 'plans', out, limit);
  diffJson(w.funcs, g.funcs, 'funcs', out, limit);
  return out;
}
