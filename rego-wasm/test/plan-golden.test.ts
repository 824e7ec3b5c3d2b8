/**
 * Our plans vs the plans OPA produced: every OPA conformance case's modules +
 * query go through parse → compile → planQuery and are compared with the
 * case's golden `plan` (locations and pool order ignored). The planner
 * mirrors OPA's, so nearly all must be identical; the remainder are known
 * compiler-rewrite differences that compute the same result.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compileModules, compileQuery } from '../src/compile';
import { parseQuery } from '../src/parse';
import { planQuery } from '../src/plan';
import { comparePolicies } from '../tools/plan/compare';
import type { Policy } from '../src/ir/plan';
import { EXEMPT_CATEGORIES } from '../tools/compliance-case';
import { COMPLIANCE_DIR, describeWithCases } from '../tools/compliance-dir';

const DIR = COMPLIANCE_DIR;

function files(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.json') ? [p] : [];
  });
}

interface Case { note: string; query: string; modules?: string[]; plan?: Policy }

const run = (name: string, fn: () => void): void => describeWithCases(name, () => fn());

run('plans match OPA golden plans', () => {
  test('at least 97% of the in-scope conformance cases plan to exactly OPA\'s plan, and none fails to plan', () => {
    let same = 0;
    let total = 0;
    const failures: string[] = [];
    for (const f of files(DIR)) {
      for (const c of (JSON.parse(readFileSync(f, 'utf8')) as { cases: Case[] }).cases) {
        if (!c.plan || EXEMPT_CATEGORIES.has(c.note.split('/')[0]!)) continue;
        total++;
        try {
          const policy = compileModules((c.modules ?? []).map((text, i) => ({ file: `module-${i}.rego`, text })));
          const ours = planQuery(policy, compileQuery(policy, parseQuery(c.query)));
          if (comparePolicies(c.plan, ours, 1).length === 0) same++;
        } catch (e) {
          failures.push(`${c.note}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(total).toBeGreaterThan(1000);
    expect(same / total).toBeGreaterThanOrEqual(0.97);
  });
});
