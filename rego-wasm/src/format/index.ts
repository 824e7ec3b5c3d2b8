/**
 * `rego-wasm fmt`: OPA 1.x's canonical Rego format (`opa fmt`, `v1/format/format.go`).
 *
 * `formatSource` parses with the toolchain's parser (v1, or v0 with `regoVersion: 0` as
 * `opa fmt --v0-compatible`), lays the module out with `Writer` (format.go's rules), and then
 * refuses — with a `rego_format_error` — any output it cannot vouch for: output that does not
 * parse, parses to a different AST (modulo locations and the spellings OPA normalises), or
 * lost a comment. A formatter that silently changed a policy would rewrite users' files.
 */
import { RegoError, RegoErrors } from '../errors';
import { type Comment, type Import, type Module, type RegoVersion, type Rule, type Term, operatorName, operatorTerm, tokenize } from '../parse';
import { parseModule } from '../parse';
import { type FmtOpts, type WComment, Writer, isFutureKeywordsImport, isRegoV1Import } from './writer';

export interface FormatOptions {
  /** 1 (default, `opa fmt`) or 0 (`opa fmt --v0-compatible`: parse and format as Rego v0). */
  regoVersion?: RegoVersion;
}

/** Formats one Rego module's source; throws RegoError(s) (parse errors, or a refused result). */
export function formatSource(text: string, file = '<stdin>', opts: FormatOptions = {}): string {
  const regoVersion = opts.regoVersion ?? 1;
  const mod = parseModule(text, file, { regoVersion });
  const out = formatModule(mod, regoVersion);
  verifyFormatted(mod, text, out, file, regoVersion);
  return out;
}

/** Lays out a parsed module (the module is not modified). */
export function formatModule(parsed: Module, regoVersion: RegoVersion = 1): string {
  const mod = structuredClone(parsed);
  const opts = fmtOptions(mod, regoVersion);
  if (regoVersion === 1 || mod.imports.some(isRegoV1Import)) {
    // format.go: with `rego.v1` imported, `future.keywords` imports are redundant and dropped
    if (mod.imports.some(isRegoV1Import)) mod.imports = mod.imports.filter((i) => isFutureKeywordsImport(i) === false);
  }
  const w = new Writer(opts, mod.file);
  w.writeModule(mod, writerComments(mod.comments));
  if (w.errors.length === 1) throw w.errors[0];
  if (w.errors.length > 1) throw new RegoErrors(w.errors);
  return squashTrailingNewlines(w.output());
}

function fmtOptions(mod: Module, regoVersion: RegoVersion): FmtOpts {
  const v1 = regoVersion === 1;
  const o: FmtOpts = { regoV1: v1, ifs: v1, contains: v1, refHeads: false, futureKeywords: [] };
  for (const imp of mod.imports) {
    const kw = isFutureKeywordsImport(imp);
    if (typeof kw === 'string') o.futureKeywords.push(kw);
    if (isRegoV1Import(imp) || kw === true) {
      o.contains = true;
      o.ifs = true;
    } else if (kw === 'contains') o.contains = true;
    else if (kw === 'if') o.ifs = true;
  }
  const visit = (r: Rule): void => {
    const len = r.head.reference.length;
    if (len > 2 || (len === 2 && r.head.key && !r.head.value)) o.refHeads = true;
    if (r.else) visit(r.else);
  };
  mod.rules.forEach(visit);
  return o;
}

function writerComments(comments: readonly Comment[]): WComment[] {
  return [...comments]
    .sort((a, b) => a.location.row - b.location.row || a.location.col - b.location.col)
    .map((c) => ({
      row: c.location.row,
      col: c.location.col,
      str: `#${c.text.replace(/\s+$/u, '')}`,
      raw: c.location.text ?? `#${c.text}`,
      metadata: c.text.trim().startsWith('METADATA'),
    }));
}

function squashTrailingNewlines(s: string): string {
  return s.endsWith('\n') ? `${s.replace(/\n+$/, '')}\n` : s;
}

// ---------------------------------------------------------------------------------------------
// Verification of a result
// ---------------------------------------------------------------------------------------------

function refuse(file: string, message: string): never {
  throw new RegoError('rego_format_error', `${message}; the file is left as it is (please report this input)`, { file, row: 1, col: 1 });
}

/** Checks `out` against `src`: parses, same AST modulo layout, every comment kept. */
export function verifyFormatted(mod: Module, src: string, out: string, file: string, regoVersion: RegoVersion): void {
  let again: Module;
  try {
    again = parseModule(out, file, { regoVersion });
  } catch (e) {
    const first = e instanceof RegoErrors ? e.errors[0] : e instanceof RegoError ? e : undefined;
    refuse(file, `the formatted result does not parse (${first?.detail ?? String(e)})`);
  }
  if (canonicalAst(mod) !== canonicalAst(again)) refuse(file, 'the formatted result would change the module');
  const lost = lostComments(src, out, mod);
  if (lost) refuse(file, `the formatted result would lose or reorder the comment at row ${lost.location.row}`);
}

/**
 * The module as JSON without what formatting may change: locations, comments, the head's
 * `=`/`:=` spelling (v1 prints `:=`) and back-compat `name` (`p["a"] := true if …` prints as
 * `p["a"] if …`; the head's reference is compared), the `key` of a head with a value (also in
 * its reference), `plus(x, 1, y)` vs `y = x + 1`, wildcard numbering, the order of imports (sorted) and
 * `future.keywords` imports next to `rego.v1` (dropped, as format.go does).
 */
export function canonicalAst(mod: Module): string {
  const m = structuredClone(mod) as Partial<Module>;
  delete m.comments;
  let imports: Import[] = m.imports ?? [];
  if (imports.some(isRegoV1Import)) imports = imports.filter((i) => isFutureKeywordsImport(i) === false);
  const stripped = strip({ ...m, imports: [] }) as Record<string, unknown>;
  stripped.imports = imports.map((i) => JSON.stringify(strip(i))).sort();
  return JSON.stringify(stripped);
}

/** Infix builtins and their arity, for `plus(x, 1, y)` ≡ `y = x + 1` (format.go prints the latter). */
const INFIX_ARITY: Readonly<Record<string, number>> = {
  equal: 2, neq: 2, lt: 2, lte: 2, gt: 2, gte: 2, plus: 2, minus: 2, mul: 2, div: 2, rem: 2, and: 2, or: 2,
};

function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip);
  if (x && typeof x === 'object' && 'terms' in x && Array.isArray(x.terms)) {
    // an expression `op(a, b, out)` of an infix builtin is written `out = a op b`
    const terms = x.terms as Term[];
    const arity = INFIX_ARITY[operatorName(terms[0]) ?? ''];
    if (arity !== undefined && terms.length === arity + 2) {
      const out = terms[terms.length - 1];
      const call: Term = { value: { type: 'call', value: terms.slice(0, -1) }, location: terms[0].location };
      return strip({ ...x, terms: [operatorTerm('eq', terms[0].location), out, call] });
    }
  }
  if (x && typeof x === 'object') {
    const o: Record<string, unknown> = {};
    // a head with a value has its key in its reference too (`q[1] = y if true` prints as `q[1] := y`)
    const headWithValue = 'reference' in x && 'value' in x;
    for (const [k, v] of Object.entries(x)) {
      if (k === 'location' || k === 'assign' || k === 'name' || (headWithValue && k === 'key')) continue;
      o[k] = strip(v);
    }
    return o;
  }
  if (typeof x === 'string' && /^\$\d+$/.test(x)) return '$';
  return x;
}

/**
 * The first input comment missing from the output, or out of order. Comments trailing an
 * import line move with the import when format.go sorts imports, so those only need to be
 * present; all others must appear in the same order.
 */
function lostComments(src: string, out: string, mod: Module): Comment | undefined {
  const norm = (c: Comment): string => c.text.replace(/\s+$/u, '');
  const outComments = tokenize(out, mod.file).comments.map(norm);
  const importRows = new Set(mod.imports.map((i) => i.location.row));
  const remaining = new Map<string, number>();
  for (const c of outComments) remaining.set(c, (remaining.get(c) ?? 0) + 1);
  const srcComments = tokenize(src, mod.file).comments;
  for (const c of srcComments) {
    const n = remaining.get(norm(c)) ?? 0;
    if (n === 0) return c;
    remaining.set(norm(c), n - 1);
  }
  const ordered = srcComments.filter((c) => !importRows.has(c.location.row)).map(norm);
  let j = 0;
  for (const c of outComments) if (j < ordered.length && c === ordered[j]) j++;
  if (j < ordered.length) return srcComments.filter((c) => !importRows.has(c.location.row))[j];
  return undefined;
}
