/**
 * Compiler figures (issue #3): time to build policies/ into policy.wasm
 * (parse → compile → plan → package; target ≤ 2 s) and to build the largest
 * OPA conformance case. "cold" is the first build in this process (includes
 * JIT warm-up and engine loading); "warm" is the median of later builds.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build as buildRego, buildPolicyWasm, planRegoQuery } from 'rego-wasm';

const POLICY_DIR = join(__dirname, '..', 'policies');
const COMPLIANCE_DIR = process.env.OPA_COMPLIANCE_DIR ?? join(__dirname, '..', '..', 'shared', 'opa-compliance', 'v1');

function ms(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Case {
  note: string;
  query: string;
  modules?: string[];
}

function largestCase(): { c: Case; bytes: number } | undefined {
  if (!existsSync(COMPLIANCE_DIR)) return undefined;
  let best: { c: Case; bytes: number } | undefined;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) {
        for (const c of (JSON.parse(readFileSync(p, 'utf8')) as { cases?: Case[] }).cases ?? []) {
          const bytes = (c.modules ?? []).reduce((n, m) => n + Buffer.byteLength(m), 0);
          if (!best || bytes > best.bytes) {
            try {
              planRegoQuery(c.modules ?? [], c.query); // only cases we compile
              best = { c, bytes };
            } catch {
              /* out-of-scope case */
            }
          }
        }
      }
    }
  };
  walk(COMPLIANCE_DIR);
  return best;
}

export async function benchCompiler(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const build = (): void => {
    buildRego({ paths: [POLICY_DIR], outfile: join(POLICY_DIR, 'build', 'policy.wasm') });
  };
  out.policies_build_cold_ms = ms(build);
  out.policies_build_warm_ms = median(Array.from({ length: 9 }, () => ms(build)));
  const rego = readdirSync(POLICY_DIR).filter((f) => f.endsWith('.rego') && !f.endsWith('_test.rego'));
  out.policies_rego_bytes = rego.reduce((n, f) => n + statSync(join(POLICY_DIR, f)).size, 0);

  const big = largestCase();
  if (big) {
    const buildCase = (): void => {
      buildPolicyWasm(planRegoQuery(big.c.modules ?? [], big.c.query));
    };
    out.largest_case = big.c.note;
    out.largest_case_rego_bytes = big.bytes;
    out.largest_case_build_warm_ms = median(Array.from({ length: 9 }, () => ms(buildCase)));
  } else {
    out.largest_case = `not measured: ${COMPLIANCE_DIR} not found`;
  }
  return out;
}
