/**
 * Conformance run of the whole toolchain in one process: each case's Rego goes
 * through our front end (parse → compile → plan), is packaged into
 * policy.wasm, loaded with the OPA SDK and evaluated (the lead's `runCase`).
 * Equivalent to `npm run compliance -- rego <dir>` once `src/frontend.ts`
 * re-exports `planQueryForCompliance`; this one runs sequentially.
 *
 *   npx tsx rego-wasm/src/plan/run-compliance.ts [dir] [--filter regex]
 */
import { readFileSync } from 'node:fs';
import { categoryOf, runCase, type ComplianceCase } from '../cli/compliance-case';
import { planQueryForCompliance } from './pipeline';
import { caseDirAndFilter, caseFiles } from './case-files';

function main(argv: string[]): void {
  const { dir, filter } = caseDirAndFilter(argv);
  const stats = new Map<string, { passed: number; failed: number; skipped: number }>();
  const failures: string[] = [];
  for (const f of caseFiles(dir)) {
    for (const c of (JSON.parse(readFileSync(f, 'utf8')) as { cases?: ComplianceCase[] }).cases ?? []) {
      if (filter && !filter.test(c.note)) continue;
      const withText: ComplianceCase = {
        ...c,
        dataText: c.data === undefined ? undefined : JSON.stringify(c.data),
        inputText: c.input === undefined ? undefined : JSON.stringify(c.input),
      };
      const o = runCase(withText, 'rego', planQueryForCompliance);
      const st = stats.get(categoryOf(c)) ?? { passed: 0, failed: 0, skipped: 0 };
      st[o.status]++;
      stats.set(categoryOf(c), st);
      if (o.status === 'failed') failures.push(`FAIL ${c.note}: ${o.reason.replace(/\n/g, ' ')}`);
    }
  }
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const [cat, st] of [...stats.entries()].sort()) {
    process.stdout.write(`${cat.padEnd(40)} ${String(st.passed).padStart(4)} passed ${String(st.failed).padStart(4)} failed ${String(st.skipped).padStart(4)} skipped\n`);
    total.passed += st.passed;
    total.failed += st.failed;
    total.skipped += st.skipped;
  }
  process.stdout.write(`${failures.join('\n')}\nTOTAL ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
}

if (require.main === module) main(process.argv.slice(2));
