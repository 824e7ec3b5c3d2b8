/**
 * `rego-wasm fmt [path...]`, as `opa fmt` (OPA 1.x `cmd/fmt.go`): prints OPA's canonical format
 * of each `*.rego` file (directories recurse), or of stdin when no path is given.
 *
 *   -w/--write   rewrite changed files (temp file + rename; unchanged files are not touched)
 *   -l/--list    print the names of files that would change (nothing else on stdout)
 *   -d/--diff    print a unified diff of each file that would change
 *   --fail       exit 2 when a file would change (with -l/-d: after printing it)
 *   --v0-compatible  parse and format as Rego v0
 *
 * Exit codes: 0 success; 1 a file does not parse (or cannot be read/written), with
 * `file:row:col: code: message` on stderr; 2 `--fail` and a file would change.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { RegoError, RegoErrors, UsageError } from '../errors';
import { formatSource } from '../format';
import { parseModule } from '../parse';

export interface FmtCommand {
  cmd: 'fmt';
  paths: string[];
  write: boolean;
  list: boolean;
  diff: boolean;
  fail: boolean;
  regoVersion?: 0;
}

const FMT_FLAGS: Readonly<Record<string, keyof Omit<FmtCommand, 'cmd' | 'paths' | 'regoVersion'> | 'v0'>> = {
  '-w': 'write',
  '--write': 'write',
  '-l': 'list',
  '--list': 'list',
  '-d': 'diff',
  '--diff': 'diff',
  '--fail': 'fail',
  '--v0-compatible': 'v0',
};

/** Parses `fmt`'s arguments (its `-d` is `--diff`, not eval's `--data`). */
export function parseFmtArgs(args: readonly string[]): FmtCommand {
  const c: FmtCommand = { cmd: 'fmt', paths: [], write: false, list: false, diff: false, fail: false };
  for (const a of args) {
    const f = FMT_FLAGS[a];
    if (f === 'v0') c.regoVersion = 0;
    else if (f) c[f] = true;
    else if (a.startsWith('-') && a !== '-') {
      if (a.includes('=') && FMT_FLAGS[a.slice(0, a.indexOf('='))]) throw new UsageError(`${a.slice(0, a.indexOf('='))} takes no value`);
      throw new UsageError(`fmt does not take ${a}`);
    } else c.paths.push(a);
  }
  return c;
}

export interface FmtIO {
  /** Writes text to stdout as is (no newline added). */
  stdout: (text: string) => void;
  /** Writes one line to stderr. */
  err: (line: string) => void;
  /** Reads all of stdin. */
  stdin: () => string;
}

/**
 * `*.rego` files under `path` in lexical order (a file argument is taken if it is `*.rego`), as
 * opa's filepath.Walk: symbolic links are not followed into directories.
 */
function regoFiles(path: string): string[] {
  const st = lstatSync(path);
  if (!st.isDirectory()) return extname(path) === '.rego' ? [path] : [];
  const out: string[] = [];
  for (const name of readdirSync(path).sort()) out.push(...regoFiles(join(path, name)));
  return out;
}

/**
 * Replaces `file` with `text` atomically: a temp file in the same directory, then rename. A
 * symbolic link is written through (its target is replaced), as opa writes through it.
 */
function writeAtomic(path: string, text: string): void {
  const file = realpathSync(path);
  const mode = statSync(file).mode & 0o7777;
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, text, { mode, flag: 'wx' });
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file was not created
    }
    throw e;
  }
}

/** A unified diff (`--- file`, `+++ file`, hunks) of the formatting. */
function unifiedDiff(file: string, src: string, out: string): string {
  const patch = createTwoFilesPatch(file, file, src, out, 'original', 'formatted');
  // jsdiff starts with `Index:` and `===` lines that diff(1) and git do not print
  return patch.replace(/^Index: .*\n=+\n/, '');
}

/** The parse errors, and a hint when v1 source is in fact v0 (OPA 1.x parses as v1 by default). */
function parseErrorLines(e: unknown, src: string, file: string, regoVersion: 0 | 1): string[] {
  const lines = errorLines(e);
  if (regoVersion === 1 && (e instanceof RegoErrors || (e instanceof RegoError && e.code === 'rego_parse_error'))) {
    try {
      parseModule(src, file, { regoVersion: 0 });
      lines.push(`${file}: hint: the file parses as Rego v0; format it with --v0-compatible`);
    } catch {
      // not v0 either
    }
  }
  return lines;
}

function errorLines(e: unknown): string[] {
  if (e instanceof RegoErrors) return e.errors.map((x) => x.message);
  if (e instanceof RegoError) return [e.message];
  return [`error: ${e instanceof Error ? e.message : String(e)}`];
}

/** Runs `fmt`; returns the exit code. */
export function runFmt(c: FmtCommand, io: FmtIO): number {
  const opts = { regoVersion: c.regoVersion ?? 1 } as const;
  if (c.paths.length === 0) {
    // opa fmt with stdin: the formatted module on stdout (-w/-l/-d/--fail do not apply)
    let src = '';
    try {
      src = io.stdin();
      io.stdout(formatSource(src, 'stdin', opts));
      return 0;
    } catch (e) {
      for (const l of parseErrorLines(e, src, 'stdin', opts.regoVersion)) io.err(l);
      return 1;
    }
  }
  for (const root of c.paths) {
    let files: string[];
    try {
      files = regoFiles(root);
    } catch (e) {
      io.err(`error: ${(e as Error).message}`);
      return 1;
    }
    for (const file of files) {
      let src = '';
      let out: string;
      try {
        src = readFileSync(file, 'utf8');
        out = formatSource(src, file, opts);
      } catch (e) {
        for (const l of parseErrorLines(e, src, file, opts.regoVersion)) io.err(l);
        return 1;
      }
      const changed = src !== out;
      if (c.list || c.diff) {
        if (!changed) continue;
        if (c.list) io.stdout(`${file}\n`);
        else io.stdout(unifiedDiff(file, src, out));
        if (c.fail) {
          io.err(`${file}: unexpected diff`);
          return 2;
        }
        continue;
      }
      if (c.fail && changed) {
        io.err(`${file}: unexpected diff`);
        return 2;
      }
      if (c.write) {
        if (!changed) continue;
        try {
          writeAtomic(file, out);
        } catch (e) {
          io.err(`error: ${file}: ${(e as Error).message}`);
          return 1;
        }
        continue;
      }
      io.stdout(out);
    }
  }
  return 0;
}
