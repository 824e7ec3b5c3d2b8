/**
 * `test <path>... [-v] [--run regex]`, like `opa test`: every rule named `test_*` (in any module
 * under the paths, usually `*_test.rego`) is an entrypoint; all of them are compiled into ONE
 * policy.wasm (one compile, one Wasm module), and each test runs in a fresh instance with
 * the paths' data.json files as data, so no test can see another's state or be broken by another's
 * abort. A test passes when its value is `true`; undefined, any other value, or an evaluation
 * error fails it.
 * `todo_test_*` rules are reported as skipped.
 */
import { performance } from 'node:perf_hooks';
import { type Module, type Rule } from '../parse';
import { parseRego, planRego } from '../frontend';
import { compilePlanModule, evaluate, instantiate } from './instance';
import { loadSources } from '../build';

export interface TestCommandOptions {
  /** Directories or files; the data.json files under the directories are the data document. */
  paths: readonly string[];
  verbose?: boolean;
  /** `--run`: only tests whose full name matches. */
  run?: RegExp;
  /** `--ignore` globs. */
  ignore?: readonly string[];
  /** `--v0-compatible` → 0. */
  regoVersion?: 0 | 1;
}

export type TestStatus = 'PASS' | 'FAIL' | 'ERROR' | 'SKIPPED';

export interface TestResult {
  /** Full name `data.pkg.test_name`. */
  name: string;
  file: string;
  row: number;
  status: TestStatus;
  ms: number;
  /** Why a test failed: its value, `undefined`, or the evaluation error. */
  detail?: string;
}

export interface TestReport {
  results: TestResult[];
  passed: number;
  failed: number;
  skipped: number;
}

interface TestRule {
  name: string;
  entrypoint: string;
  file: string;
  row: number;
  todo: boolean;
}

function packageSegments(m: Module): string[] | undefined {
  const segs: string[] = [];
  for (const t of m.package.path.slice(1)) {
    if (t.value.type !== 'string' || t.value.value.includes('/')) return undefined;
    segs.push(t.value.value);
  }
  return segs;
}

function isTestRule(r: Rule): { name: string; todo: boolean } | undefined {
  const name = r.head.name;
  if (!name || r.head.reference.length !== 1 || (r.head.args && r.head.args.length > 0)) return undefined;
  if (name.startsWith('test_')) return { name, todo: false };
  if (name.startsWith('todo_test_')) return { name, todo: true };
  return undefined;
}

/** Test rules in module order, one per name (several bodies of one test are one test, as in OPA's result). */
export function discoverTests(modules: readonly Module[], run?: RegExp): TestRule[] {
  const seen = new Set<string>();
  const tests: TestRule[] = [];
  for (const m of modules) {
    const segs = packageSegments(m);
    if (!segs) continue;
    for (const r of m.rules) {
      const t = isTestRule(r);
      if (!t) continue;
      const full = ['data', ...segs, t.name].join('.');
      if (seen.has(full)) continue;
      seen.add(full);
      if (run && !run.test(full)) continue;
      tests.push({ name: full, entrypoint: [...segs, t.name].join('/'), file: m.file, row: r.location.row, todo: t.todo });
    }
  }
  return tests;
}

export function runTests(opts: TestCommandOptions): TestReport {
  const { sources, data } = loadSources(opts.paths, { ignore: opts.ignore, regoVersion: opts.regoVersion, includeTests: true });
  const modules = parseRego(sources, { regoVersion: opts.regoVersion });
  const tests = discoverTests(modules, opts.run);
  const runnable = tests.filter((t) => !t.todo);
  const results: TestResult[] = [];
  if (runnable.length > 0) {
    const plan = planRego(modules, runnable.map((t) => t.entrypoint), { baseData: data });
    const wasm = compilePlanModule(plan);
    for (const t of tests) {
      if (t.todo) {
        results.push({ name: t.name, file: t.file, row: t.row, status: 'SKIPPED', ms: 0 });
        continue;
      }
      const t0 = performance.now();
      let status: TestStatus;
      let detail: string | undefined;
      try {
        const rows = evaluate(instantiate(wasm), t.entrypoint, undefined, data);
        const value = rows.length > 0 ? (rows[0] as { result?: unknown }).result : undefined;
        status = rows.length === 1 && value === true ? 'PASS' : 'FAIL';
        if (status === 'FAIL') detail = value === undefined ? 'undefined' : JSON.stringify(value);
      } catch (e) {
        status = 'ERROR';
        detail = e instanceof Error ? e.message : String(e);
      }
      results.push({ name: t.name, file: t.file, row: t.row, status, ms: performance.now() - t0, detail });
    }
  } else {
    for (const t of tests) results.push({ name: t.name, file: t.file, row: t.row, status: 'SKIPPED', ms: 0 });
  }
  return {
    results,
    passed: results.filter((r) => r.status === 'PASS').length,
    failed: results.filter((r) => r.status === 'FAIL' || r.status === 'ERROR').length,
    skipped: results.filter((r) => r.status === 'SKIPPED').length,
  };
}

/** Text report: one line per test, then `N passed, N failed` as the last line. */
export function formatTestReport(report: TestReport, verbose: boolean): string {
  const lines: string[] = [];
  let file: string | undefined;
  for (const r of report.results) {
    if (verbose && r.file !== file) {
      file = r.file;
      lines.push(`${file}:`);
    }
    const timing = verbose && r.status !== 'SKIPPED' ? ` (${r.ms.toFixed(1)}ms)` : '';
    const where = verbose ? '' : ` [${r.file}:${r.row}]`;
    const why = r.detail !== undefined && r.status !== 'PASS' ? ` — ${r.status === 'ERROR' ? 'error: ' : 'got '}${r.detail}` : '';
    lines.push(`${r.name}: ${r.status}${timing}${where}${why}`);
  }
  if (report.results.length === 0) lines.push('no tests found');
  lines.push('-'.repeat(80));
  const skipped = report.skipped > 0 ? `, ${report.skipped} skipped` : '';
  lines.push(`${report.passed} passed, ${report.failed} failed${skipped}`);
  return lines.join('\n');
}
