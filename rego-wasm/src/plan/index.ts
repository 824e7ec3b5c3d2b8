/**
 * Planner API: compiled Rego → OPA IR plan (`Policy`).
 *
 *   planQuery(policy, query)            one plan named `eval`; rows keyed by the query's vars
 *   planEntrypoints(policy, ["a/b/p"])  one plan per entrypoint, rows `{"result": data.a.b.p}`
 *
 * Output is deterministic: the same input gives byte-identical JSON.
 */
import type { Body } from '../parse/ast';
import type { CompiledPolicy, CompiledQuery } from '../compile/types';
import type { Policy } from '../ir/plan';
import { builtinLookup, convertBody, convertPolicy } from './from-compiled';
import type { PBody, PTerm } from './model';
import { Planner } from './planner';
import { planError } from './errors';
import { RegoError } from '../errors';

export interface PlanQueryOptions {
  /** Plan name (default `eval`). */
  name?: string;
  /** Generated query var → the name the user wrote (OPA's RewrittenVars). */
  rewrittenVars?: Map<string, string>;
}

function isCompiledQuery(q: Body | CompiledQuery): q is CompiledQuery {
  return !Array.isArray(q);
}

/** Plan one query against the policy; the plan is named `eval` (or `opts.name`). */
export function planQuery(policy: CompiledPolicy, query: Body | CompiledQuery, opts: PlanQueryOptions = {}): Policy {
  const body = isCompiledQuery(query) ? query.body : query;
  const rewritten = opts.rewrittenVars ?? (isCompiledQuery(query) ? rewrittenVarsOf(query) : undefined);
  const planner = new Planner(convertPolicy(policy), builtinLookup(policy));
  return planner.run([{ name: opts.name ?? 'eval', body: convertBody(body), rewrittenVars: rewritten }]);
}

function rewrittenVarsOf(q: CompiledQuery): Map<string, string> | undefined {
  const m = (q as CompiledQuery & { rewrittenVars?: Map<string, string> | Record<string, string> }).rewrittenVars;
  if (!m) return undefined;
  return m instanceof Map ? m : new Map(Object.entries(m));
}

const ENTRYPOINT_SEGMENT = /^[^/]+$/;

/** `result = data.<path>` for an entrypoint `a/b/p`. */
function entrypointQuery(entrypoint: string): PBody {
  const parts = entrypoint.split('/');
  if (parts.length === 0 || !parts.every((p) => ENTRYPOINT_SEGMENT.test(p))) {
    throw planError(`invalid entrypoint ${JSON.stringify(entrypoint)}: expected a/b/c`, null);
  }
  const loc = { file: '<query>', row: 1, col: 1 };
  const ref: PTerm = {
    value: { t: 'ref', terms: [{ value: { t: 'var', name: 'data' }, loc }, ...parts.map((p): PTerm => ({ value: { t: 'string', v: p }, loc }))] },
    loc,
  };
  return [{
    loc,
    negated: false,
    with: [],
    body: { kind: 'call', operator: { value: { t: 'ref', terms: [{ value: { t: 'var', name: 'eq' }, loc }] }, loc }, operands: [{ value: { t: 'var', name: 'result' }, loc }, ref] },
  }];
}

/** Text of a rule ref's leading string terms: `data.a.b.p[x]` → ["a", "b", "p"]. */
function stringPath(ref: CompiledPolicy['rules'][number]['ref']): string[] {
  const out: string[] = [];
  for (const t of ref.slice(1)) {
    if (t.value.type !== 'string') break;
    out.push(t.value.value);
  }
  return out;
}

function isPrefix(a: string[], b: string[]): boolean {
  return a.length <= b.length && a.every((x, i) => x === b[i]);
}

/** An entrypoint must name a rule, something inside a rule's value, or a package (as `opa build -e`). */
function assertEntrypointExists(policy: CompiledPolicy, entrypoint: string): void {
  const path = entrypoint.split('/');
  const hit = policy.rules.some((r) => {
    const rp = stringPath(r.ref);
    return isPrefix(path, rp) || isPrefix(rp, path);
  }) || [...policy.packages.values()].some((ref) => isPrefix(path, stringPath(ref)));
  if (!hit) throw new RegoError('rego_compile_error', `entrypoint ${JSON.stringify(entrypoint)} does not refer to a rule or package`);
}

/** One plan per entrypoint (`"acme/authz/allow"`), each planned from `result = data.acme.authz.allow`. */
export function planEntrypoints(policy: CompiledPolicy, entrypoints: string[]): Policy {
  if (entrypoints.length === 0) throw planError('no entrypoints given', null);
  const queries = entrypoints.map((e) => ({ name: e, body: entrypointQuery(e) }));
  for (const e of entrypoints) assertEntrypointExists(policy, e);
  const planner = new Planner(convertPolicy(policy), builtinLookup(policy));
  return planner.run(queries);
}
