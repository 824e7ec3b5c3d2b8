/**
 * OPA conformance runner.
 *
 *   npm run compliance -- plans <dir> [options]   run OPA's own IR plans on our runtime
 *   npm run compliance -- rego  <dir> [options]   compile the Rego with our front end, then run
 *
 * Every case is built into a policy.wasm, loaded with the unmodified OPA SDK
 * and evaluated; results are compared with the case's expectations. Cases run
 * in child processes (one per core) with a per-case time limit, so a runtime
 * that hangs or crashes fails that case instead of the whole run.
 *
 * Options:
 *   --report                 print everything, exit 0 even when cases fail
 *   --filter <regex>         only cases whose note matches
 *   --category <a,b,...>     only these categories (directory names)
 *   --known-failures <file>  notes (one per line) that may fail without failing the run;
 *                            they still count as failed in the totals
 *   --json <file>            write every outcome as JSON
 *   --jobs <n>               worker processes (default: number of cores, at most 4)
 *   --timeout <ms>           per-case limit (default 10000)
 *   --verbose                print every failure (default: the first 5 per category)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, sep } from 'node:path';
import { categoryOf, runCase, type ComplianceCase, type Mode, type Outcome, type Planner } from './compliance-case';
import { jsonSpans, spanText } from './json-spans';
import { UsageError } from '../src/errors';

interface Task {
  file: string;
  index: number;
  /** Top-level directory under the suite root. */
  category: string;
}

interface TaskResult extends Task {
  note: string;
  category: string;
  outcome: Outcome;
}

interface Options {
  mode: Mode;
  dir: string;
  report: boolean;
  filter?: RegExp;
  categories?: Set<string>;
  knownFailures: Set<string>;
  json?: string;
  jobs: number;
  timeoutMs: number;
  verbose: boolean;
}


function parseArgs(argv: string[]): Options {
  const positional: string[] = [];
  const opts: Partial<Options> & { knownFailures: Set<string> } = { knownFailures: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--report':
        opts.report = true;
        break;
      case '--verbose':
        opts.verbose = true;
        break;
      case '--filter':
        opts.filter = new RegExp(next());
        break;
      case '--category':
        opts.categories = new Set(next().split(',').filter(Boolean));
        break;
      case '--known-failures': {
        const file = next();
        for (const line of readFileSync(file, 'utf8').split('\n')) {
          const note = line.replace(/#.*$/, '').trim();
          if (note) opts.knownFailures.add(note);
        }
        break;
      }
      case '--json':
        opts.json = next();
        break;
      case '--jobs':
        opts.jobs = Math.max(1, Number.parseInt(next(), 10) || 1);
        break;
      case '--timeout':
        opts.timeoutMs = Math.max(100, Number.parseInt(next(), 10) || 10000);
        break;
      default:
        if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
        positional.push(a);
    }
  }
  const [mode, dir] = positional;
  if ((mode !== 'plans' && mode !== 'rego') || !dir || positional.length > 2) {
    throw new UsageError('usage: compliance <plans|rego> <dir> [--report] [--filter re] [--category a,b] [--known-failures file] [--json file] [--jobs n] [--timeout ms] [--verbose]');
  }
  if (!existsSync(dir)) throw new UsageError(`no such directory: ${dir}`);
  return {
    mode,
    dir,
    report: opts.report ?? false,
    filter: opts.filter,
    categories: opts.categories,
    knownFailures: opts.knownFailures,
    json: opts.json,
    jobs: opts.jobs ?? Math.min(4, availableParallelism()),
    timeoutMs: opts.timeoutMs ?? 10000,
    verbose: opts.verbose ?? false,
  };
}

function listJsonFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Reads a case file, keeping the exact text of each case's data and input. */
export function readCases(file: string): ComplianceCase[] {
  const text = readFileSync(file, 'utf8');
  const doc = JSON.parse(text) as { cases?: ComplianceCase[] };
  const cases = doc.cases ?? [];
  const tree = jsonSpans(text);
  const arr = tree.kind === 'object' ? tree.members.get('cases') : undefined;
  cases.forEach((c, i) => {
    const node = arr?.kind === 'array' ? arr.items[i] : undefined;
    if (node?.kind !== 'object') return;
    if ('data' in c) c.dataText = spanText(text, node.members.get('data'));
    if ('input' in c) c.inputText = spanText(text, node.members.get('input'));
  });
  return cases;
}

// ---------------------------------------------------------------- worker side

function loadPlanner(): Planner {
  // The Rego front end is needed in rego mode only; load it only then.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { planRegoQuery } = require('../src/frontend') as typeof import('../src/frontend');
  return (modules, query) => planRegoQuery(modules, query);
}

function workerMain(): void {
  const cache = new Map<string, ComplianceCase[]>();
  let planner: Planner | undefined;
  let plannerError: string | undefined;
  process.on('message', (msg: Task & { mode: Mode }) => {
    let cases = cache.get(msg.file);
    if (!cases) {
      cases = readCases(msg.file);
      cache.clear();
      cache.set(msg.file, cases);
    }
    const c = { ...cases[msg.index], category: msg.category };
    let outcome: Outcome;
    if (msg.mode === 'rego' && !planner && !plannerError) {
      try {
        planner = loadPlanner();
      } catch (e) {
        plannerError = e instanceof Error ? e.message : String(e);
      }
    }
    if (msg.mode === 'rego' && !planner) outcome = { status: 'failed', reason: `Rego front end unavailable: ${plannerError}` };
    else outcome = runCase(c, msg.mode, planner);
    process.send?.({ file: msg.file, index: msg.index, note: c.note, category: categoryOf(c), outcome } satisfies TaskResult);
  });
}

// ---------------------------------------------------------------- main side

async function runAll(opts: Options, tasks: Task[], notes: Map<string, string>): Promise<TaskResult[]> {
  const results: TaskResult[] = [];
  let next = 0;
  const total = tasks.length;
  let done = 0;
  const started = Date.now();

  await new Promise<void>((resolveAll) => {
    let active = 0;
    const startWorker = (): void => {
      if (next >= tasks.length) {
        if (active === 0) resolveAll();
        return;
      }
      active++;
      const child: ChildProcess = fork(__filename, ['--worker'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      let current: Task | undefined;
      let timer: NodeJS.Timeout | undefined;
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        if (timer) clearTimeout(timer);
        active--;
        child.removeAllListeners();
        if (child.connected) child.disconnect();
        child.kill('SIGKILL');
        if (next < tasks.length) startWorker();
        else if (active === 0) resolveAll();
      };
      const record = (r: TaskResult): void => {
        results.push(r);
        done++;
        if (process.stderr.isTTY && done % 50 === 0) process.stderr.write(`\r${done}/${total} cases`);
      };
      const fail = (reason: string): void => {
        if (!current) return;
        const note = notes.get(`${current.file}#${current.index}`) ?? `${current.file}#${current.index}`;
        record({ ...current, note, outcome: { status: 'failed', reason } });
        current = undefined;
      };
      const sendNext = (): void => {
        if (next >= tasks.length) {
          finish();
          return;
        }
        current = tasks[next++];
        timer = setTimeout(() => {
          fail(`timed out after ${opts.timeoutMs} ms`);
          finish();
        }, opts.timeoutMs);
        child.send({ ...current, mode: opts.mode });
      };
      child.on('message', (r: TaskResult) => {
        if (timer) clearTimeout(timer);
        current = undefined;
        record(r);
        sendNext();
      });
      child.on('exit', (code, signal) => {
        if (finished) return;
        fail(`worker died (${signal ?? `exit ${code}`})`);
        finish();
      });
      sendNext();
    };
    const n = Math.min(opts.jobs, tasks.length);
    if (n === 0) resolveAll();
    for (let i = 0; i < n; i++) startWorker();
  });
  if (process.stderr.isTTY) process.stderr.write('\r');
  console.log(`ran ${total} cases in ${((Date.now() - started) / 1000).toFixed(1)} s with ${opts.jobs} worker(s)`);
  return results;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function report(opts: Options, results: TaskResult[]): number {
  results.sort((a, b) => (a.file === b.file ? a.index - b.index : a.file < b.file ? -1 : 1));
  const byCat = new Map<string, TaskResult[]>();
  for (const r of results) {
    const list = byCat.get(r.category) ?? [];
    list.push(r);
    byCat.set(r.category, list);
  }
  console.log(`\n${pad('category', 40)} passed failed skipped`);
  for (const [cat, list] of [...byCat.entries()].sort()) {
    const p = list.filter((r) => r.outcome.status === 'passed').length;
    const f = list.filter((r) => r.outcome.status === 'failed').length;
    const s = list.filter((r) => r.outcome.status === 'skipped').length;
    console.log(`${pad(cat, 40)} ${pad(String(p), 6)} ${pad(String(f), 6)} ${s}${f > 0 ? '  ✗' : ''}`);
  }

  const failures = results.filter((r) => r.outcome.status === 'failed');
  if (failures.length > 0) {
    console.log('\nfailures:');
    const shownPerCategory = new Map<string, number>();
    let hidden = 0;
    for (const r of failures) {
      const n = shownPerCategory.get(r.category) ?? 0;
      if (!opts.verbose && n >= 5) {
        hidden++;
        continue;
      }
      shownPerCategory.set(r.category, n + 1);
      const known = opts.knownFailures.has(r.note) ? ' (known)' : '';
      const reason = r.outcome.status === 'failed' ? r.outcome.reason : '';
      console.log(`  ✗ ${r.note}${known}\n      ${reason}`);
    }
    if (hidden > 0) console.log(`  … ${hidden} more (use --verbose)`);
  }

  const skipReasons = new Map<string, number>();
  for (const r of results) {
    if (r.outcome.status === 'skipped') skipReasons.set(r.outcome.reason, (skipReasons.get(r.outcome.reason) ?? 0) + 1);
  }
  if (skipReasons.size > 0) {
    console.log('\nskipped:');
    for (const [reason, n] of [...skipReasons.entries()].sort((a, b) => b[1] - a[1])) console.log(`  ${pad(String(n), 5)} ${reason}`);
  }

  const unexpected = failures.filter((r) => !opts.knownFailures.has(r.note));
  const nowPassing = results.filter((r) => r.outcome.status === 'passed' && opts.knownFailures.has(r.note));
  if (opts.knownFailures.size > 0) {
    console.log(`\nknown failures: ${failures.length - unexpected.length} still failing, ${nowPassing.length} now passing (remove them from the list)`);
    for (const r of nowPassing) console.log(`  ✓ ${r.note}`);
  }
  if (opts.json) writeFileSync(opts.json, JSON.stringify(results, null, 1));

  const passed = results.filter((r) => r.outcome.status === 'passed').length;
  const skipped = results.filter((r) => r.outcome.status === 'skipped').length;
  console.log(`\n${passed} passed, ${failures.length} failed, ${skipped} skipped`);
  if (opts.report) return 0;
  return unexpected.length > 0 ? 1 : 0;
}

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  const tasks: Task[] = [];
  const notes = new Map<string, string>();
  for (const file of listJsonFiles(opts.dir)) {
    const category = relative(opts.dir, file).split(sep)[0];
    if (opts.categories && !opts.categories.has(category)) continue;
    const cases = (JSON.parse(readFileSync(file, 'utf8')) as { cases?: ComplianceCase[] }).cases ?? [];
    cases.forEach((c, index) => {
      if (opts.filter && !opts.filter.test(c.note)) return;
      tasks.push({ file, index, category });
      notes.set(`${file}#${index}`, c.note);
    });
  }
  if (tasks.length === 0) {
    console.error('no cases matched');
    return 2;
  }
  const results = await runAll(opts, tasks, notes);
  return report(opts, results);
}

if (process.argv.includes('--worker')) {
  workerMain();
} else if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(2);
    },
  );
}
