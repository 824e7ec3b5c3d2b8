/**
 * `rego-wasm fmt` figures: formatting the repository's policies (each result verified:
 * re-parsed, same AST, every comment) and every module of OPA's v1 conformance cases.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatSource } from 'rego-wasm';

const COMPLIANCE_DIR = process.env.OPA_COMPLIANCE_DIR ?? join(__dirname, '..', '..', 'shared', 'opa-compliance', 'v1');
const POLICIES = join(__dirname, '..', 'policies');

function conformanceModules(): string[] {
  const out: string[] = [];
  for (const dir of readdirSync(COMPLIANCE_DIR).sort()) {
    const full = join(COMPLIANCE_DIR, dir);
    if (!statSync(full).isDirectory()) continue;
    for (const f of readdirSync(full).sort()) {
      if (!f.endsWith('.json')) continue;
      const doc = JSON.parse(readFileSync(join(full, f), 'utf8')) as { cases?: { modules?: string[] }[] };
      for (const c of doc.cases ?? []) out.push(...(c.modules ?? []));
    }
  }
  return out;
}

export async function benchFmt(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const policies = readdirSync(POLICIES)
    .filter((f) => f.endsWith('.rego'))
    .map((f) => ({ f, text: readFileSync(join(POLICIES, f), 'utf8') }));
  for (const p of policies) formatSource(p.text, p.f); // warm-up
  const rounds = 20;
  let t = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) for (const p of policies) formatSource(p.text, p.f);
  out.policies_ms = Number(process.hrtime.bigint() - t) / 1e6 / rounds;
  out.policies_bytes = policies.reduce((n, p) => n + p.text.length, 0);
  if (!existsSync(COMPLIANCE_DIR)) {
    out.conformance = `not measured: ${COMPLIANCE_DIR} not found`;
    return out;
  }
  const modules = conformanceModules();
  let formatted = 0;
  let failed = 0;
  t = process.hrtime.bigint();
  for (const m of modules) {
    try {
      formatSource(m, 'case.rego');
      formatted++;
    } catch {
      failed++; // modules that do not parse (cases expecting a parse error) or are refused
    }
  }
  out.conformance_ms = Number(process.hrtime.bigint() - t) / 1e6;
  out.conformance_modules = formatted;
  out.conformance_not_formatted = failed;
  return out;
}
