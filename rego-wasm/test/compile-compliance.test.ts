/**
 * Every OPA conformance case's modules + query compile (they are valid v1 Rego), except
 * cases that expect a compile error (those must fail with that code) and the documented
 * unsupported constructs. Skips when the shared cases are absent.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileModules, compileQuery } from '../src/compile';
import { RegoError, RegoErrors } from '../src/errors';
import { COMPLIANCE_DIR, describeWithCases } from '../tools/compliance-dir';

const DIR = COMPLIANCE_DIR;

interface Case {
  note: string;
  query: string;
  modules?: string[];
  want_error_code?: string;
}

/** Cases that call rego.metadata.* (annotations are not parsed): a loud rego_unsupported_error. */
const UNSUPPORTED = /^regometadata(chain|rule)\//;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else if (p.endsWith('.json')) out.push(p);
  }
  return out.sort();
}

function codes(e: unknown): string[] {
  if (e instanceof RegoErrors) return e.errors.map((x) => x.code);
  if (e instanceof RegoError) return [e.code];
  throw e;
}

const run = (name: string, fn: () => void): void => describeWithCases(name, () => test(name, fn));

run(`every compliance case compiles (cases under ${DIR})`, () => {
  let total = 0;
  const failures: string[] = [];
  for (const f of files(DIR)) {
    for (const c of (JSON.parse(readFileSync(f, 'utf8')) as { cases: Case[] }).cases) {
      total++;
      const wantCompileError = c.want_error_code?.startsWith('rego_') === true;
      try {
        const policy = compileModules((c.modules ?? []).map((text, i) => ({ file: `module-${i}.rego`, text })));
        compileQuery(policy, c.query);
        if (wantCompileError) failures.push(`${c.note}: expected ${c.want_error_code}, compiled`);
      } catch (e) {
        const got = codes(e);
        if (wantCompileError && got.includes(c.want_error_code!)) continue;
        if (UNSUPPORTED.test(c.note) && got.every((x) => x === 'rego_unsupported_error')) continue;
        failures.push(`${c.note}: ${(e as Error).message.split('\n').slice(0, 2).join(' ')}`);
      }
    }
  }
  expect(total).toBeGreaterThan(1700);
  expect(failures).toEqual([]);
});
