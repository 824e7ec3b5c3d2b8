/**
 * Reading policy sources and data from disk (the CLI and `build`): `.rego` files (sorted, so builds are
 * deterministic), `data.json` documents (mounted at their directory's path, as `opa` does),
 * and `manifest.json` entrypoints.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';

export interface SourceFile {
  /** Name used in locations and plans: the path relative to the loaded root, with `/`. */
  file: string;
  /** Absolute (or cwd-relative) path on disk. */
  path: string;
  text: string;
}

import type { JsonValue } from './builtins/host/types';

export type { JsonValue };

/** A problem with files on disk or their contents (CLI exit code 2). */
export class SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceError';
  }
}

const SKIP_DIRS = new Set(['node_modules', 'build', '.git']);

function walk(dir: string, out: string[], ignored: (name: string) => boolean = () => false): void {
  for (const name of readdirSync(dir).sort()) {
    if (ignored(name)) continue;
    const full = join(dir, name);
    const st = statSync(full);
    if (st.isDirectory()) {
      if (!SKIP_DIRS.has(name) && !name.startsWith('.')) walk(full, out, ignored);
    } else out.push(full);
  }
}

function toPosix(p: string): string {
  return p.split(sep).join('/');
}

/** OPA's `--ignore` patterns: shell globs (`*`, `?`, `[...]`) matched against file and directory names. */
export function ignoreMatcher(patterns: readonly string[] = []): (name: string) => boolean {
  const res = patterns.map((p) => {
    let re = '';
    for (let i = 0; i < p.length; i++) {
      const c = p[i];
      if (c === '*') re += '[^/]*';
      else if (c === '?') re += '[^/]';
      else if (c === '[') {
        const end = p.indexOf(']', i + 1);
        if (end < 0) throw new SourceError(`--ignore ${p}: unterminated [`);
        re += `[${p.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
    }
    return new RegExp(`^${re}$`);
  });
  return (name) => res.some((r) => r.test(name));
}

export interface FindOptions {
  /** Include `*_test.rego` files (default false). */
  includeTests?: boolean;
  /** Only `*_test.rego` files. */
  onlyTests?: boolean;
  /** `--ignore` globs: files and directories whose name matches are skipped. */
  ignore?: readonly string[];
}

/**
 * `.rego` files under `root` (a directory or a single file), sorted by relative path. File names
 * are relative to `root` so the same sources give the same plan wherever they are built from.
 */
export function findRegoFiles(root: string, opts: FindOptions = {}): SourceFile[] {
  if (!existsSync(root)) throw new SourceError(`${root}: no such file or directory`);
  const files: string[] = [];
  const isDir = statSync(root).isDirectory();
  if (isDir) walk(root, files, ignoreMatcher(opts.ignore));
  else files.push(root);
  const base = isDir ? root : dirname(root);
  return files
    .filter((f) => f.endsWith('.rego'))
    .filter((f) => {
      const test = f.endsWith('_test.rego');
      if (opts.onlyTests) return test;
      return opts.includeTests === true || !test;
    })
    .map((path) => ({ file: toPosix(relative(base, path)) || basename(path), path, text: readFileSync(path, 'utf8') }));
}

export function readJsonFile(path: string): JsonValue {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SourceError(`${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (e) {
    throw new SourceError(`${path}: invalid JSON: ${(e as Error).message}`);
  }
}

function isObject(v: JsonValue | undefined): v is { [k: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep-merges `src` into `dst` at `path`; conflicting non-object values are an error (as OPA). */
export function mergeAt(dst: { [k: string]: JsonValue }, path: string[], src: JsonValue, origin: string): void {
  let node = dst;
  for (const key of path) {
    const next = node[key];
    if (next === undefined) node[key] = {};
    else if (!isObject(next)) throw new SourceError(`${origin}: merge error: ${path.join('.')} conflicts with existing data`);
    node = node[key] as { [k: string]: JsonValue };
  }
  if (!isObject(src)) {
    if (path.length === 0) throw new SourceError(`${origin}: root data document must be an object`);
    const parentPath = path.slice(0, -1);
    let parent = dst;
    for (const key of parentPath) parent = parent[key] as { [k: string]: JsonValue };
    parent[path[path.length - 1]] = src;
    return;
  }
  for (const [k, v] of Object.entries(src)) {
    const cur = node[k];
    if (cur === undefined) node[k] = v;
    else if (isObject(cur) && isObject(v)) mergeAt(node, [k], v, origin);
    else throw new SourceError(`${origin}: merge error: ${[...path, k].join('.')} is defined twice`);
  }
}

/** Data files in a directory: `data.json` anywhere below, mounted at its relative directory path. */
export function loadDataDir(root: string, ignore: readonly string[] = []): { [k: string]: JsonValue } {
  const data: { [k: string]: JsonValue } = {};
  const files: string[] = [];
  walk(root, files, ignoreMatcher(ignore));
  for (const f of files) {
    if (basename(f) !== 'data.json') continue;
    const rel = toPosix(relative(root, dirname(f)));
    const path = rel === '' ? [] : rel.split('/');
    mergeAt(data, path, readJsonFile(f), f);
  }
  return data;
}

/** Entrypoints from `<dir>/manifest.json` (`{"entrypoints": ["a/b/p", ...]}`). */
export function readManifestEntrypoints(dir: string): string[] {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) throw new SourceError(`${path}: not found (give entrypoints with -e)`);
  const m = readJsonFile(path);
  const eps = isObject(m) ? m.entrypoints : undefined;
  if (!Array.isArray(eps) || eps.length === 0 || !eps.every((e) => typeof e === 'string' && e.length > 0)) {
    throw new SourceError(`${path}: "entrypoints" must be a non-empty array of strings like "acme/authz/decision"`);
  }
  return eps as string[];
}

/** Normalises `data.a.b.c`, `a.b.c` or `/a/b/c` to the entrypoint form `a/b/c`. */
export function normaliseEntrypoint(e: string): string {
  let s = e.trim();
  if (s.startsWith('data.')) s = s.slice(5).split('.').join('/');
  return s.replace(/^\/+/, '').replace(/\/+$/, '');
}
