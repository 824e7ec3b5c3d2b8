/**
 * The `rego-wasm` command, shaped like `opa` (npm scripts policy:build / policy:eval /
 * policy:test call it):
 *
 *   build <path>... [-t wasm|plan] [-e entrypoint]... [-o out] [-b] [--ignore glob]...
 *                   [--capabilities file] [--v0-compatible] [--revision rev] [--compiler opa]
 *   eval  <query> [-d data.json|file.rego|dir]... [-b bundle-dir]... [-i input.json]
 *                 [-f json|pretty] [--ignore glob]... [--v0-compatible]
 *   test  <path>... [-v] [--run regex] [--ignore glob]... [--v0-compatible]
 *   check <path>... [-b] [--ignore glob]... [--capabilities file] [--v0-compatible]
 *   sign  <dir|bundle.tar.gz>... --bundle --signing-key K [--signing-alg A] [--claims-file F] [-o dir]
 *   replay --bundle candidate.tar.gz [--verification-key K ...] [--allow-changes] [--max-examples N]
 *          [--format text|json] decisions.jsonl...
 * build takes --signing-key K [--signing-alg A] [--claims-file F] [--verification-key-id ID]
 * [--scope S]; eval -b and build -b take --verification-key K [--verification-key-id ID]
 * [--scope S] [--exclude-files-verify glob]... [--skip-verify] (sign.ts).
 *
 * Exit codes: 0 success, 1 failing tests, a bundle that fails verification, or replayed
 * decisions that changed, 2 usage / compile / build errors. Compile errors are
 * printed one per line as `file:row:col: code: message`.
 */
import { statSync } from 'node:fs';
import { build, type BuildTarget } from '../build';
import { RegoError, RegoErrors, UsageError } from '../errors';
import { SourceError } from '../sources';
import { runCheck } from './check';
import { formatEval, runEval } from './eval';
import { buildWithOpaCommand, OpaBinaryError } from './opa-binary';
import { formatTestReport, runTests } from './test-runner';
import { BundleVerificationError } from '../errors';
import { type CliSigning, type CliVerification, type FlagView, type SignCommand, SIGNING_FLAGS, VERIFICATION_FLAGS, bundleDirFiles, parseSignCommand, runSign, signingFlags, signingOptions, verificationFlags, verifyBundleInput } from './sign';
import { type ReplayCommand, parseReplayCommand, runReplayCommand } from './replay';

export const USAGE = `usage: rego-wasm <command> [flags]
  build <path>... [-t wasm|plan] [-e entrypoint]... [-o bundle.tar.gz|policy.wasm|plan.json]
                  [-b] [--ignore glob]... [--capabilities caps.json] [--v0-compatible]
                  [--revision rev] [--compiler opa]
  eval  <query> [-d data.json|file.rego|dir]... [-b bundle-dir]... [-i input.json]
                [-f json|pretty] [--ignore glob]... [--v0-compatible]
  test  <path>... [-v] [--run regex] [--ignore glob]... [--v0-compatible]
  check <path>... [-b] [--ignore glob]... [--capabilities caps.json] [--v0-compatible]
  sign  <dir|bundle.tar.gz>... --bundle --signing-key key.pem|secret [--signing-alg RS256]
                  [--claims-file claims.json] [-o dir]
  replay --bundle candidate.tar.gz [--verification-key key.pem ...] [--allow-changes]
                  [--max-examples N] [--format text|json] decisions.jsonl...
  signing (build): --signing-key K [--signing-alg A] [--claims-file F] [--verification-key-id ID] [--scope S]
  verification (eval -b, build -b, replay): --verification-key K [--verification-key-id ID] [--scope S]
                  [--exclude-files-verify glob]... [--skip-verify]`;

/** Default output of `build`, as `opa build`. */
export const DEFAULT_BUNDLE = 'bundle.tar.gz';

export type Command =
  | {
      cmd: 'build';
      paths: string[];
      target: BuildTarget;
      out: string;
      entrypoints: string[];
      bundle: boolean;
      ignore: string[];
      capabilities?: string;
      regoVersion?: 0;
      revision?: string;
      compiler: 'builtin' | 'opa';
      signing?: CliSigning;
      verification?: CliVerification;
    }
  | { cmd: 'eval'; query: string; data: string[]; bundles: string[]; input?: string; format: 'json' | 'pretty'; ignore: string[]; regoVersion?: 0; verification?: CliVerification }
  | { cmd: 'test'; paths: string[]; verbose: boolean; run?: RegExp; ignore: string[]; regoVersion?: 0 }
  | { cmd: 'check'; paths: string[]; bundle: boolean; ignore: string[]; capabilities?: string; regoVersion?: 0 }
  | SignCommand
  | ReplayCommand
  | { cmd: 'help' };

const VALUE_FLAGS: Readonly<Record<string, string>> = {
  '-o': 'output', '--output': 'output', '-e': 'entrypoint', '--entrypoint': 'entrypoint', '-t': 'target', '--target': 'target',
  '--compiler': 'compiler', '-d': 'data', '--data': 'data', '-i': 'input', '--input': 'input', '-f': 'format',
  '--format': 'format', '--run': 'run', '-r': 'run', '--ignore': 'ignore', '--capabilities': 'capabilities',
  '--revision': 'revision',
  '--signing-key': 'signing-key', '--signing-alg': 'signing-alg', '--claims-file': 'claims-file', '--signing-plugin': 'signing-plugin',
  '--verification-key': 'verification-key', '--verification-key-id': 'verification-key-id', '--scope': 'scope',
  '--exclude-files-verify': 'exclude-files-verify', '--max-examples': 'max-examples',
};
const BOOL_FLAGS: Readonly<Record<string, string>> = {
  '-v': 'verbose', '--verbose': 'verbose', '--v0-compatible': 'v0-compatible', '--skip-verify': 'skip-verify', '--allow-changes': 'allow-changes',
};
/** `-b` takes a value for eval and replay (a bundle to load) and none for build/check/sign (paths are bundles), as in opa. */
const BUNDLE_FLAGS = new Set(['-b', '--bundle']);

/** Parses argv (without `node script`); throws UsageError. */
export function parseArgs(argv: readonly string[]): Command {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') return { cmd: 'help' };
  if (rest.includes('-h') || rest.includes('--help')) return { cmd: 'help' };
  // Refused rather than approximated: a formatter that differs from opa fmt would rewrite files.
  if (cmd === 'fmt') throw new UsageError('fmt is not implemented yet (use opa fmt)');
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (key: string, v: string): void => void flags.set(key, [...(flags.get(key) ?? []), v]);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (VALUE_FLAGS[flag] || (BUNDLE_FLAGS.has(flag) && (cmd === 'eval' || cmd === 'replay'))) {
      const v = eq > 0 ? a.slice(eq + 1) : rest[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      add(VALUE_FLAGS[flag] ?? 'bundle', v);
    } else if (BOOL_FLAGS[flag] || BUNDLE_FLAGS.has(flag)) {
      if (eq > 0) throw new UsageError(`${flag} takes no value`);
      add(BOOL_FLAGS[flag] ?? 'bundle', 'true');
    } else if (a.startsWith('-') && a !== '-') {
      throw new UsageError(`unknown flag ${a}`);
    } else {
      positional.push(a);
    }
  }
  /** A repeated single-valued flag: the last one wins (as with opa's flags). */
  const last = (k: string): string | undefined => flags.get(k)?.at(-1);
  const all = (k: string): string[] => flags.get(k) ?? [];
  const allowed = (keys: string[]): void => {
    for (const k of flags.keys()) if (!keys.includes(k)) throw new UsageError(`${cmd} does not take --${k}`);
  };
  /** Only the flag sets it: without it a bundle's .manifest may still say rego_version 0. */
  const regoVersion: 0 | undefined = flags.has('v0-compatible') ? 0 : undefined;
  const needPaths = (): void => {
    if (positional.length === 0) throw new UsageError(`${cmd} needs at least one <path>`);
  };
  const view: FlagView = { last, all, has: (k) => flags.has(k) };
  switch (cmd) {
    case 'build': {
      allowed(['output', 'entrypoint', 'target', 'compiler', 'bundle', 'ignore', 'capabilities', 'v0-compatible', 'revision', ...SIGNING_FLAGS, ...VERIFICATION_FLAGS]);
      needPaths();
      const target = last('target') ?? 'wasm';
      if (target !== 'wasm' && target !== 'plan') throw new UsageError(`--target must be wasm or plan, got ${target}`);
      const compiler = last('compiler') ?? 'builtin';
      if (compiler !== 'opa' && compiler !== 'builtin') throw new UsageError(`--compiler must be opa (or builtin), got ${compiler}`);
      return {
        cmd,
        paths: positional,
        target,
        out: last('output') ?? DEFAULT_BUNDLE,
        entrypoints: all('entrypoint'),
        bundle: flags.has('bundle'),
        ignore: all('ignore'),
        capabilities: last('capabilities'),
        regoVersion,
        revision: last('revision'),
        compiler,
        signing: signingFlags(view, 'default'),
        verification: verificationFlags(view, flags.has('signing-key')),
      };
    }
    case 'eval': {
      allowed(['data', 'bundle', 'input', 'format', 'ignore', 'v0-compatible', ...VERIFICATION_FLAGS]);
      if (positional.length !== 1) throw new UsageError('eval needs exactly one <query>');
      const format = last('format') ?? 'json';
      if (format !== 'json' && format !== 'pretty') throw new UsageError(`--format must be json or pretty, got ${format}`);
      return { cmd, query: positional[0], data: all('data'), bundles: all('bundle'), input: last('input'), format, ignore: all('ignore'), regoVersion, verification: verificationFlags(view, false) };
    }
    case 'test': {
      allowed(['verbose', 'run', 'ignore', 'v0-compatible']);
      needPaths();
      const run = last('run');
      let re: RegExp | undefined;
      if (run !== undefined) {
        try {
          re = new RegExp(run);
        } catch (e) {
          throw new UsageError(`--run: ${(e as Error).message}`);
        }
      }
      return { cmd, paths: positional, verbose: flags.has('verbose'), run: re, ignore: all('ignore'), regoVersion };
    }
    case 'check': {
      allowed(['bundle', 'ignore', 'capabilities', 'v0-compatible']);
      needPaths();
      return { cmd, paths: positional, bundle: flags.has('bundle'), ignore: all('ignore'), capabilities: last('capabilities'), regoVersion };
    }
    case 'sign':
      allowed(['bundle', 'output', ...SIGNING_FLAGS]);
      return parseSignCommand(positional, view);
    case 'replay':
      allowed(['bundle', 'format', 'max-examples', 'allow-changes', ...VERIFICATION_FLAGS]);
      return parseReplayCommand(positional, view);
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
        if (c.compiler === 'opa' && (c.signing || c.verification?.key !== undefined)) {
          throw new UsageError('--compiler opa does not sign or verify here; build, then run rego-wasm sign');
        }
        if (c.bundle) for (const p of c.paths) if (statSync(p, { throwIfNoEntry: false })?.isDirectory()) verifyBundleInput(p, bundleDirFiles(p, c.ignore), c.verification);
        if (c.compiler === 'opa') {
          const r = buildWithOpaCommand(c);
          io.out(`wrote ${c.out} (${r.length} bytes; built by opa)`);
          return 0;
        }
        const r = build({
          target: c.target,
          paths: c.paths,
          entrypoints: c.entrypoints,
          outfile: c.out,
          bundle: c.bundle,
          ignore: c.ignore,
          capabilities: c.capabilities,
          regoVersion: c.regoVersion,
          revision: c.revision,
          signing: c.signing ? signingOptions(c.signing) : undefined,
        });
        io.out(`wrote ${c.out} (${r.files.length} files; entrypoints: ${r.entrypoints.join(', ')})`);
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
      case 'check':
        runCheck(c);
        return 0;
      case 'sign': {
        const r = runSign(c);
        io.out(`wrote ${r.path} (${r.files.length} files signed)`);
        return 0;
      }
      case 'replay':
        return runReplayCommand(c, io);
    }
  } catch (e) {
    for (const line of formatError(e)) io.err(line);
    return e instanceof BundleVerificationError ? 1 : 2;
  }
}

if (require.main === module) {
  process.exitCode = runCli(process.argv.slice(2));
}
