/**
 * Plan diff: compiles each OPA compliance case's modules + query with our
 * front end (parse → compile → planQuery) and compares the plan with the
 * golden plan OPA produced (`case.plan`), ignoring locations and pool order.
 *
 *   npx tsx rego-wasm/tools/plan/diff.ts <dir|file.json> [--filter regex] [--show N] [--limit N]
 *
 * Prints per-category counts (same / different / front-end error) and the
 * first differences of up to N cases (default 5).
 */
import { readFileSync } from 'node:fs';
import type { Policy } from '../../src/ir/plan';
import { comparePolicies } from './compare';
import { planRegoQuery } from '../../src/frontend';
import { caseFiles } from './case-files';

interface Case {
  note: string;
  query: string;
  modules?: string[];
  plan?: Policy;
}

type FrontEnd = (modules: string[], query: string) => Policy;

function loadFrontEnd(): FrontEnd {
  return planRegoQuery;
}

function main(argv: string[]): void {
  const args = [...argv];
  let filter: RegExp | undefined;
  let show = 5;
  let limit = 8;
  const paths: string[] = [];
  while (args.length > 0) {
    const a = args.shift()!;
    if (a === '--filter') filter = new RegExp(args.shift() ?? '');
    else if (a === '--show') show = Number(args.shift());
    else if (a === '--limit') limit = Number(args.shift());
    else paths.push(a);
  }
  if (paths.length === 0) {
    process.stderr.write('usage: diff.ts <dir|file.json> [--filter regex] [--show N] [--limit N]\n');
    process.exit(2);
  }
  const frontEnd = loadFrontEnd();
  const stats = new Map<string, { same: number; diff: number; error: number }>();
  const errors = new Map<string, number>();
  let shown = 0;
  for (const f of paths.flatMap((p) => caseFiles(p))) {
    const cases = (JSON.parse(readFileSync(f, 'utf8')) as { cases: Case[] }).cases;
    for (const c of cases) {
      if (filter && !filter.test(c.note)) continue;
      if (!c.plan) continue;
      const cat = c.note.split('/')[0]!;
      const st = stats.get(cat) ?? { same: 0, diff: 0, error: 0 };
      stats.set(cat, st);
      let ours: Policy;
      try {
        ours = frontEnd(c.modules ?? [], c.query);
      } catch (e) {
        st.error++;
        const msg = (e instanceof Error ? e.message : String(e)).replace(/^[^ ]*:\d+:\d+: /, '').slice(0, 90);
        errors.set(msg, (errors.get(msg) ?? 0) + 1);
        if (shown < show) {
          shown++;
          process.stdout.write(`ERROR ${c.note}: ${e instanceof Error ? e.message : String(e)}\n`);
        }
        continue;
      }
      const d = comparePolicies(c.plan, ours, limit);
      if (d.length === 0) st.same++;
      else {
        st.diff++;
        if (shown < show) {
          shown++;
          process.stdout.write(`DIFF ${c.note}\n  ${d.join('\n  ')}\n`);
        }
      }
    }
  }
  let same = 0;
  let diff = 0;
  let error = 0;
  for (const [cat, st] of [...stats.entries()].sort()) {
    process.stdout.write(`${cat.padEnd(40)} same ${String(st.same).padStart(4)}  diff ${String(st.diff).padStart(4)}  error ${String(st.error).padStart(4)}\n`);
    same += st.same;
    diff += st.diff;
    error += st.error;
  }
  process.stdout.write(`TOTAL same ${same} diff ${diff} error ${error}\n`);
  for (const [msg, n] of [...errors.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    process.stdout.write(`  ${String(n).padStart(4)} × ${msg}\n`);
  }
}

if (require.main === module) main(process.argv.slice(2));
