#!/usr/bin/env node
// `npm run mutation [-- name...]`: StrykerJS over the security files
// (stryker.config.mjs SECURITY_FILES), one file at a time against the suites
// that own it (MUTATION_TESTS), every mutant run afresh (--force: an
// incremental result can be stale for a static mutant), then one table of
// scores and the total. Exits 1 when the total is under 90%, or a run fails.
// A name picks files by basename (`npm run mutation -- bearer-token scopes`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SECURITY_FILES } from '../stryker.config.mjs';

const TARGET = 90;
const ROOT = join(import.meta.dirname, '..');
const names = process.argv.slice(2);
const files = Object.entries(SECURITY_FILES).filter(([file]) => names.length === 0 || names.includes(basename(file, '.ts')));
if (files.length === 0) {
  console.error(`no security file is called ${names.join(', ')} (known: ${Object.keys(SECURITY_FILES).map((f) => basename(f, '.ts')).join(', ')})`);
  process.exit(2);
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);
const rows = [];
for (const [file, suites] of files) {
  const name = basename(file, '.ts');
  const out = join('reports', 'mutation', name);
  mkdirSync(join(ROOT, out), { recursive: true });
  const started = Date.now();
  console.log(`== ${file} (${suites.join(', ')})`);
  const run = spawnSync('npx', ['stryker', 'run', '--mutate', file, '--force'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, MUTATION_OUT: out, MUTATION_TESTS: suites.map((s) => `test/functions/${s}.test.ts`).join(',') },
  });
  const report = join(ROOT, out, 'mutation.json');
  if (run.status !== 0 || !existsSync(report)) {
    console.error(`stryker failed on ${file} (exit ${run.status})`);
    process.exit(1);
  }
  const mutants = Object.values(JSON.parse(readFileSync(report, 'utf8')).files).flatMap((f) => f.mutants);
  const count = (set) => mutants.filter((m) => set.has(m.status)).length;
  const detected = count(DETECTED);
  const undetected = count(UNDETECTED);
  rows.push({
    file,
    mutants: detected + undetected,
    detected,
    survived: mutants.filter((m) => m.status === 'Survived').length,
    noCoverage: mutants.filter((m) => m.status === 'NoCoverage').length,
    static: mutants.filter((m) => m.static).length,
    errors: mutants.filter((m) => m.status === 'RuntimeError' || m.status === 'CompileError').length,
    score: detected + undetected === 0 ? 100 : (100 * detected) / (detected + undetected),
    seconds: Math.round((Date.now() - started) / 1000),
  });
}

const total = rows.reduce((a, r) => ({ mutants: a.mutants + r.mutants, detected: a.detected + r.detected }), { mutants: 0, detected: 0 });
const totalScore = total.mutants === 0 ? 100 : (100 * total.detected) / total.mutants;
console.log('\nfile                                      mutants  detected  survived  no cov  static  errors   score   time');
for (const r of rows) {
  console.log(
    `${r.file.padEnd(42)}${String(r.mutants).padStart(7)}${String(r.detected).padStart(10)}${String(r.survived).padStart(10)}${String(r.noCoverage).padStart(8)}${String(r.static).padStart(8)}${String(r.errors).padStart(8)}${r.score.toFixed(1).padStart(7)}%${String(r.seconds).padStart(6)}s`,
  );
}
console.log(`${'total'.padEnd(42)}${String(total.mutants).padStart(7)}${String(total.detected).padStart(10)}${' '.repeat(42)}${totalScore.toFixed(1).padStart(7)}%  (target ≥ ${TARGET}%)`);
writeFileSync(join(ROOT, 'reports', 'mutation', 'summary.json'), `${JSON.stringify({ rows, total: { ...total, score: totalScore } }, null, 2)}\n`);
if (totalScore < TARGET) process.exit(1);
