/**
 * Runs OPA conformance cases through our whole front end (parse → compile →
 * plan) and the reference plan evaluator, comparing with `want_result` /
 * expected errors. A semantic check of the planner that needs no Wasm.
 *
 *   npx tsx rego-wasm/tools/plan/ref-eval/compliance.ts <dir> [--filter regex] [--verbose]
 */
import { readFileSync } from 'node:fs';
import type { ComplianceCase } from '../../compliance-case';
import { planRegoQuery } from '../../../src/frontend';
import { caseDirAndFilter, caseFiles } from '../case-files';
import { PlanEvaluator, EvalConflictError } from './eval';
import { fromJSON, toJSON, Value } from './values';

/** The fields of a conformance case (cli/compliance-case.ts) that the reference evaluator reads. */
export type RefCase = Pick<
  ComplianceCase,
  'note' | 'query' | 'modules' | 'data' | 'input' | 'input_term' | 'want_result' | 'want_error' | 'want_error_code' | 'strict_error' | 'sort_bindings'
>;

export type RefOutcome = { ok: true } | { ok: false; reason: string };

function canon(v: unknown, sortArrays: boolean): string {
  if (Array.isArray(v)) {
    const items = v.map((x) => canon(x, sortArrays));
    if (sortArrays) items.sort();
    return `[${items.join(',')}]`;
  }
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k], sortArrays)}`).join(',')}}`;
  }
  return typeof v === 'number' ? String(v) : JSON.stringify(v);
}

export function runRefCase(c: RefCase): RefOutcome {
  const wantsError = (c.want_error !== undefined || c.want_error_code !== undefined) && !c.strict_error;
  let policy;
  try {
    policy = planRegoQuery(c.modules ?? [], c.query);
  } catch (e) {
    if (c.want_error_code?.startsWith('rego_')) return { ok: true };
    return { ok: false, reason: `front end: ${(e as Error).message.split('\n').slice(0, 2).join(' ')}` };
  }
  if (c.want_error_code?.startsWith('rego_')) return { ok: false, reason: `expected ${c.want_error_code}` };
  let input: Value | undefined;
  if (c.input_term !== undefined) {
    try { input = fromJSON(JSON.parse(c.input_term)); } catch { return { ok: true }; }
  } else if (c.input !== undefined) input = fromJSON(c.input);
  let rows: Value[];
  try {
    rows = new PlanEvaluator(policy).evaluate('eval', input, fromJSON(c.data ?? {}));
  } catch (e) {
    if (wantsError && e instanceof EvalConflictError) return { ok: true };
    return { ok: false, reason: `eval: ${(e as Error).message}` };
  }
  if (wantsError) return { ok: false, reason: `expected error ${c.want_error ?? c.want_error_code}` };
  const got = rows.map((r) => canon(toJSON(r), !!c.sort_bindings)).sort();
  const want = (c.want_result ?? []).map((r) => canon(r, !!c.sort_bindings)).sort();
  return got.join('\n') === want.join('\n') ? { ok: true } : { ok: false, reason: `got ${got.join(' ').slice(0, 200)} want ${want.join(' ').slice(0, 200)}` };
}

function main(argv: string[]): void {
  const { dir, filter } = caseDirAndFilter(argv);
  const verbose = argv.includes('--verbose');
  const stats = new Map<string, [number, number]>();
  for (const f of caseFiles(dir)) {
    const parsed = JSON.parse(readFileSync(f, 'utf8')) as { cases?: RefCase[] };
    for (const c of parsed.cases ?? []) {
      if (filter && !filter.test(c.note)) continue;
      const cat = c.note.split('/')[0]!;
      const st = stats.get(cat) ?? [0, 0];
      const r = runRefCase(c);
      if (r.ok) st[0]++;
      else {
        st[1]++;
        if (verbose) process.stdout.write(`FAIL ${c.note}: ${r.reason}\n`);
      }
      stats.set(cat, st);
    }
  }
  let pass = 0;
  let fail = 0;
  for (const [cat, [p, f]] of [...stats.entries()].sort()) {
    process.stdout.write(`${cat.padEnd(40)} ${String(p).padStart(4)} passed ${String(f).padStart(4)} failed\n`);
    pass += p;
    fail += f;
  }
  process.stdout.write(`TOTAL ${pass} passed, ${fail} failed\n`);
}

if (require.main === module) main(process.argv.slice(2));
