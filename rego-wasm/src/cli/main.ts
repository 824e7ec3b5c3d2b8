/**
 * Policy CLI (npm scripts policy:build / policy:eval / policy:test):
 *
 *   build <dir> [--target wasm|plan] [-o out] [-e entrypoint]... [--compiler opa]
 *   eval  <query> [-d data.json|file.rego|dir]... [-i input.json] [--format json|pretty]
 *   test  <dir> [-v] [--run regex]
 *
 * Exit codes: 0 success, 1 failing tests, 2 usage / compile / build errors. Compile errors are
 * printed one per line as `file:row:col: code: message`.
 */
import { RegoError, RegoErrors, UsageError } from '../errors';
import type { BuildTarget } from '../build';
import { runBuild } from './build';
import { formatEval, runEval } from './eval';
import { OpaBinaryError } from './opa-binary';
import { SourceError } from '../sources';
import { formatTestReport, runTests } from './test-runner';

export const USAGE = `usage:
  build <dir> [--target wasm|plan] [-o out] [-e entrypoint]... [--compiler opa]
  eval  <query> [-d data.json|file.rego|dir]... [-i input.json] [--format json|pretty]
  test  <dir> [-v] [--run regex]`;

export type Command =
  | { cmd: 'build'; dir: string; target: BuildTarget; out?: string; entrypoints: string[]; compiler: 'builtin' | 'opa' }
  | { cmd: 'eval'; query: string; data: string[]; input?: string; format: 'json' | 'pretty' }
  | { cmd: 'test'; dir: string; verbose: boolean; run?: RegExp }
  | { cmd: 'help' };

/** Parses argv (without `node script`); throws UsageError. */
export function parseArgs(argv: readonly string[]): Command {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') return { cmd: 'help' };
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const VALUE_FLAGS: Record<string, string> = {
    '-o': 'out', '--output': 'out', '-e': 'entrypoint', '--entrypoint': 'entrypoint', '-t': 'target', '--target': 'target',
    '--compiler': 'compiler', '-d': 'data', '--data': 'data', '-i': 'input', '--input': 'input', '-f': 'format',
    '--format': 'format', '--run': 'run', '-r': 'run',
  };
  const BOOL_FLAGS: Record<string, string> = { '-v': 'verbose', '--verbose': 'verbose' };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (VALUE_FLAGS[flag]) {
      const v = eq > 0 ? a.slice(eq + 1) : rest[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      const key = VALUE_FLAGS[flag];
      flags.set(key, [...(flags.get(key) ?? []), v]);
    } else if (BOOL_FLAGS[flag]) {
      flags.set(BOOL_FLAGS[flag], ['true']);
    } else if (a.startsWith('-') && a !== '-') {
      throw new UsageError(`unknown flag ${a}`);
    } else {
      positional.push(a);
    }
  }
  const one = (k: string): string | undefined => {
    const v = flags.get(k);
    if (v && v.length > 1) throw new UsageError(`${k} given more than once`);
    return v?.[0];
  };
  const allowed = (keys: string[]): void => {
    for (const k of flags.keys()) if (!keys.includes(k)) throw new UsageError(`${cmd} does not take --${k}`);
  };
  switch (cmd) {
    case 'build': {
      allowed(['out', 'entrypoint', 'target', 'compiler']);
      if (positional.length !== 1) throw new UsageError('build needs exactly one <dir>');
      const target = one('target') ?? 'wasm';
      if (target !== 'wasm' && target !== 'plan') throw new UsageError(`--target must be wasm or plan, got ${target}`);
      const compiler = one('compiler') ?? 'builtin';
      if (compiler !== 'opa' && compiler !== 'builtin') throw new UsageError(`--compiler must be opa (or builtin), got ${compiler}`);
      return { cmd, dir: positional[0], target, out: one('out'), entrypoints: flags.get('entrypoint') ?? [], compiler };
    }
    case 'eval': {
      allowed(['data', 'input', 'format']);
      if (positional.length !== 1) throw new UsageError('eval needs exactly one <query>');
      const format = one('format') ?? 'json';
      if (format !== 'json' && format !== 'pretty') throw new UsageError(`--format must be json or pretty, got ${format}`);
      return { cmd, query: positional[0], data: flags.get('data') ?? [], input: one('input'), format };
    }
    case 'test': {
      allowed(['verbose', 'run']);
      if (positional.length !== 1) throw new UsageError('test needs exactly one <dir>');
      const run = one('run');
      let re: RegExp | undefined;
      if (run !== undefined) {
        try {
          re = new RegExp(run);
        } catch (e) {
          throw new UsageError(`--run: ${(e as Error).message}`);
        }
      }
      return { cmd, dir: positional[0], verbose: flags.has('verbose'), run: re };
    }
    default:
      throw new UsageError(`unknown command ${cmd}`);
  }
}

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIO: CliIO = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

/** Lines for an error: each Rego error as `file:row:col: code: message`. */
export function formatError(e: unknown): string[] {
  if (e instanceof RegoErrors) return e.errors.map((x) => x.message);
  if (e instanceof RegoError) return [e.message];
  if (e instanceof UsageError) return [`error: ${e.message}`, USAGE];
  if (e instanceof SourceError || e instanceof OpaBinaryError) return [`error: ${e.message}`];
  if (e instanceof Error) return [`error: ${e.message}`];
  return [`error: ${String(e)}`];
}

/** Runs the CLI; returns the exit code (never calls process.exit). */
export function runCli(argv: readonly string[], io: CliIO = defaultIO): number {
  try {
    const c = parseArgs(argv);
    switch (c.cmd) {
      case 'help':
        io.out(USAGE);
        return 0;
      case 'build': {
        const r = runBuild(c);
        io.out(`wrote ${r.out} (${r.bytes.length} bytes; ${r.files.length} files; entrypoints: ${r.entrypoints.join(', ')})`);
        return 0;
      }
      case 'eval':
        io.out(formatEval(runEval(c), c.format));
        return 0;
      case 'test': {
        const report = runTests(c);
        io.out(formatTestReport(report, c.verbose));
        return report.failed > 0 ? 1 : 0;
      }
    }
  } catch (e) {
    for (const line of formatError(e)) io.err(line);
    return 2;
  }
}

if (require.main === module) {
  process.exitCode = runCli(process.argv.slice(2));
}
