/**
 * Robustness: the compiler never crashes on parseable Rego. Mutated conformance modules
 * (lines swapped/deleted/duplicated, tokens swapped or replaced; seeded, so reproducible)
 * either compile or fail with RegoError(s) — never a TypeError or a stack overflow.
 * Skips when the shared conformance cases are absent.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseModules } from '../src/parse';
import { compileModules, compileQuery } from '../src/compile';
import { RegoError, RegoErrors } from '../src/errors';
import { COMPLIANCE_DIR, describeWithCases } from '../tools/compliance-dir';

const DIR = COMPLIANCE_DIR;
const ITERATIONS = 3000;
const REPLACEMENTS = ['x', '_', 'input', 'data', '1', 'f(x)', 'not', ':=', '==', 'some', 'every', 'with', 'p', '[y | y := 1]'];

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else if (p.endsWith('.json')) out.push(p);
  }
  return out.sort();
}

function mutate(src: string, rnd: () => number): string {
  const lines = src.split('\n');
  const pick = (n: number): number => Math.floor(rnd() * n);
  const a = pick(lines.length);
  const b = pick(lines.length);
  switch (pick(5)) {
    case 0:
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      break;
    case 1:
      lines.splice(a, 1);
      break;
    case 2:
      lines.splice(a, 0, lines[b]!);
      break;
    default: {
      const toks = lines[a]!.split(/(\s+)/);
      const i = pick(toks.length);
      if (rnd() < 0.5) {
        const j = pick(toks.length);
        [toks[i], toks[j]] = [toks[j]!, toks[i]!];
      } else toks[i] = REPLACEMENTS[pick(REPLACEMENTS.length)]!;
      lines[a] = toks.join('');
    }
  }
  return lines.join('\n');
}

const run = (name: string, fn: () => void): void => describeWithCases(name, () => test(name, fn));

run('mutated conformance modules compile or fail with RegoErrors, never crash', () => {
  const modules: string[] = [];
  for (const f of files(DIR)) {
    for (const c of (JSON.parse(readFileSync(f, 'utf8')) as { cases: { modules?: string[] }[] }).cases) {
      for (const m of c.modules ?? []) if (m.length < 3000) modules.push(m);
    }
  }
  let seed = 20261123;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  let compiledOrRejected = 0;
  const crashes: string[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const text = mutate(modules[Math.floor(rnd() * modules.length)]!, rnd);
    let parsed;
    try {
      parsed = parseModules([{ file: 'm.rego', text }]);
    } catch {
      continue;
    }
    try {
      compileQuery(compileModules(parsed), 'data.test.p = x');
      compiledOrRejected++;
    } catch (e) {
      if (e instanceof RegoErrors || e instanceof RegoError) compiledOrRejected++;
      else crashes.push(`${(e as Error).message}\n${text}`);
    }
  }
  expect(crashes.slice(0, 3)).toEqual([]);
  expect(compiledOrRejected).toBeGreaterThan(ITERATIONS / 3);
});
