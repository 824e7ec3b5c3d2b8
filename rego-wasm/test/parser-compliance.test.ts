/**
 * Every module and query of OPA's v1 conformance cases is valid Rego v1 and must parse.
 * The cases are found as `npm test` finds them (../tools/compliance-dir.ts); without them this suite fails in CI.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseModule, parseQuery } from '../src/parse';
import { COMPLIANCE_DIR, describeWithCases } from '../tools/compliance-dir';

const ROOT = COMPLIANCE_DIR;

interface Case {
  note: string;
  query?: string;
  modules?: string[];
  want_error_code?: string;
}

function loadCases(): { file: string; c: Case }[] {
  const out: { file: string; c: Case }[] = [];
  for (const dir of fs.readdirSync(ROOT).sort()) {
    const full = path.join(ROOT, dir);
    if (!fs.statSync(full).isDirectory()) continue;
    for (const f of fs.readdirSync(full).sort()) {
      if (!f.endsWith('.json')) continue;
      const doc = JSON.parse(fs.readFileSync(path.join(full, f), 'utf8')) as { cases?: Case[] };
      for (const c of doc.cases ?? []) out.push({ file: `${dir}/${f}`, c });
    }
  }
  return out;
}

describeWithCases('parser: OPA v1 conformance cases', () => {
  test('every module and query of every case parses (cases expecting a parse error excepted)', () => {
    const cases = loadCases();
    expect(cases.length).toBeGreaterThan(1000);
    const failures: string[] = [];
    let parsedModules = 0;
    for (const { file, c } of cases) {
      if (c.want_error_code === 'rego_parse_error') continue;
      (c.modules ?? []).forEach((text, i) => {
        try {
          parseModule(text, `module-${i}.rego`);
          parsedModules++;
        } catch (e) {
          failures.push(`${file} :: ${c.note} :: ${(e as Error).message}`);
        }
      });
      if (c.query !== undefined) {
        try {
          parseQuery(c.query);
        } catch (e) {
          failures.push(`${file} :: ${c.note} (query) :: ${(e as Error).message}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(parsedModules).toBeGreaterThan(1000);
  });
});
