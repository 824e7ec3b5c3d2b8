/**
 * Public parse API. Every function throws a RegoError (one problem) or RegoErrors (several),
 * all with code `rego_parse_error` and a file:row:col location.
 */
import { RegoError, RegoErrors } from '../errors';
import type { Body, Module, RegoVersion, Term } from './ast';
import { Parser } from './parser';

export * from './ast';
export { tokenize } from './lexer';
export { termToString, refToString } from './parser';

function fail(errors: readonly RegoError[]): never {
  if (errors.length === 1) throw errors[0];
  throw new RegoErrors([...errors]);
}

function guard<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError) {
      throw new RegoError('rego_parse_error', 'max parsing recursion depth exceeded', { file, row: 1, col: 1 });
    }
    throw e;
  }
}

export interface ParseOptions {
  /**
   * Rego syntax of the module: 1 (OPA 1.x, the default) or 0 (OPA 0.x: rule heads without
   * `if`/`contains`, future keywords only when imported; `import rego.v1` makes it v1).
   */
  regoVersion?: RegoVersion;
}

/** A module's source text, optionally with its own Rego version (a bundle's `file_rego_versions`). */
export interface ModuleSourceText {
  file: string;
  text: string;
  regoVersion?: RegoVersion;
}

/** Parses one Rego module (v1 unless `opts.regoVersion` is 0). */
export function parseModule(text: string, file = '<module>', opts: ParseOptions = {}): Module {
  return guard(file, () => {
    const p = new Parser(text, file, opts.regoVersion ?? 1);
    const stmts = p.parseStatements(false);
    if (p.errors.length > 0) fail(p.errors);
    const mod = p.buildModule(stmts);
    if (!mod || p.errors.length > 0) fail(p.errors);
    return mod;
  });
}

/**
 * Parses several modules, collecting the errors of all of them. A source's own
 * `regoVersion` wins over `opts.regoVersion`.
 */
export function parseModules(sources: readonly ModuleSourceText[], opts: ParseOptions = {}): Module[] {
  const modules: Module[] = [];
  const errors: RegoError[] = [];
  for (const src of sources) {
    try {
      modules.push(parseModule(src.text, src.file, { regoVersion: src.regoVersion ?? opts.regoVersion }));
    } catch (e) {
      if (e instanceof RegoErrors) errors.push(...e.errors);
      else if (e instanceof RegoError) errors.push(e);
      else throw e;
    }
  }
  if (errors.length > 0) fail(errors);
  return modules;
}

/** Parses a query such as `data.test.p = x` (newline- or `;`-separated expressions). */
export function parseQuery(text: string, file = '<query>'): Body {
  return guard(file, () => {
    const p = new Parser(text, file);
    const stmts = p.parseStatements(true);
    if (p.errors.length > 0) fail(p.errors);
    const body: Body = [];
    for (const st of stmts) {
      if (st.kind !== 'body') continue;
      for (const e of st.body) {
        e.index = body.length;
        body.push(e);
      }
    }
    if (body.length === 0) fail([new RegoError('rego_parse_error', 'empty query', { file, row: 1, col: 1 })]);
    return body;
  });
}

/** Parses a single term such as `{"a": [1, 2]}` or `data.x.y`. */
export function parseTerm(text: string, file = '<term>'): Term {
  const body = parseQuery(text, file);
  const e = body[0];
  if (body.length !== 1 || Array.isArray(e.terms) || 'type' in e.terms || e.negated || e.with.length > 0) {
    throw new RegoError('rego_parse_error', 'expected exactly one term', e.location);
  }
  return e.terms;
}
