/**
 * The layout engine of `rego-wasm fmt`: OPA 1.x's `v1/format/format.go` writer, rule by rule,
 * over this toolchain's AST. OPA's layout is driven by source positions (it never wraps by
 * width): a composite or call is multi-line when its elements were on several rows, blank
 * lines between body expressions are kept (one at most), comments are placed by row. The
 * names below follow format.go's so the two can be read side by side.
 *
 * Control flow: format.go threads the pending comments through every call and returns
 * `unexpectedCommentError` when a comment sits inside a composite it would print on one line;
 * the nearest `writeTerm` then prints that term's source text unformatted. Here the error is
 * an exception carrying the comments format.go would have returned with it.
 */
import { RegoError } from '../errors';
import {
  type Body,
  type Comment,
  type Every,
  type Expr,
  type Head,
  type Import,
  type Location,
  type Module,
  type Rule,
  type SomeDecl,
  type Term,
  type With,
  isCallExpr,
  isEvery,
  isSomeDecl,
  isWildcard,
  operatorName,
} from '../parse/ast';
import { formatTerm, isGround } from '../parse/format';

/** A comment as the writer uses it: `#` + text with trailing whitespace trimmed (OPA's Comment.String()). */
export interface WComment {
  row: number;
  col: number;
  /** `#` + the text, trailing whitespace trimmed. */
  str: string;
  /** The source text of the comment (what `writeUnformatted` copies). */
  raw: string;
  metadata: boolean;
}

/** What the writer knows about the target syntax (format.go's fmtOpts). */
export interface FmtOpts {
  /** Format for Rego v1 (`opa fmt` without `--v0-compatible`): `:=` for rule values, `if`/`contains`. */
  regoV1: boolean;
  /** Use `if` before rule bodies. */
  ifs: boolean;
  /** Use `contains` for multi-value rules. */
  contains: boolean;
  /** Some rule head needs ref-head syntax, so all heads print as refs. */
  refHeads: boolean;
  /** Keywords imported from `future.keywords.*` (v0). */
  futureKeywords: string[];
}

const KEYWORDS_V0 = ['not', 'package', 'import', 'as', 'default', 'else', 'with', 'null', 'true', 'false', 'some'];
const KEYWORDS_V1 = [...KEYWORDS_V0, 'if', 'contains', 'in', 'every'];
const VAR_COMPATIBLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Infix builtins and their declared arity (OPA's BuiltinMap entries with an Infix). */
const INFIX: Readonly<Record<string, { infix: string; arity: number }>> = {
  eq: { infix: '=', arity: 2 },
  assign: { infix: ':=', arity: 2 },
  equal: { infix: '==', arity: 2 },
  neq: { infix: '!=', arity: 2 },
  lt: { infix: '<', arity: 2 },
  lte: { infix: '<=', arity: 2 },
  gt: { infix: '>', arity: 2 },
  gte: { infix: '>=', arity: 2 },
  plus: { infix: '+', arity: 2 },
  minus: { infix: '-', arity: 2 },
  mul: { infix: '*', arity: 2 },
  div: { infix: '/', arity: 2 },
  rem: { infix: '%', arity: 2 },
  and: { infix: '&', arity: 2 },
  or: { infix: '|', arity: 2 },
  'internal.member_2': { infix: 'in', arity: 2 },
  'internal.member_3': { infix: 'in', arity: 3 },
};

/** format.go's unexpectedCommentError, with the comments its Go return would have carried. */
class UnexpectedComment extends Error {
  constructor(
    message: string,
    public comments: WComment[] | null,
  ) {
    super(message);
  }
}

function isUnexpected(e: unknown): e is UnexpectedComment {
  return e instanceof UnexpectedComment;
}

function countNewlines(s: string | undefined): number {
  let n = 0;
  for (const c of s ?? '') if (c === '\n') n++;
  return n;
}

/** Go's Term.String() for the few places format.go prints a term without layout. */
function termString(t: Term): string {
  return formatTerm(t, { closureBody: bodyString, templateString: 'source' });
}

function exprString(e: Expr): string {
  let s = e.negated ? 'not ' : '';
  if (isSomeDecl(e)) {
    s += `some ${e.terms.symbols.map(termString).join(', ')}`;
  } else if (isEvery(e)) {
    const ev = e.terms;
    s += `every ${ev.key ? `${termString(ev.key)}, ` : ''}${termString(ev.value)} in ${termString(ev.domain)} { ${bodyString(ev.body)} }`;
  } else if (isCallExpr(e)) {
    const op = operatorName(e.terms[0]);
    const inf = op ? INFIX[op] : undefined;
    if (inf && e.terms.length === 3) s += `${termString(e.terms[1])} ${inf.infix} ${termString(e.terms[2])}`;
    else s += `${termString(e.terms[0])}(${e.terms.slice(1).map(termString).join(', ')})`;
  } else {
    s += termString(e.terms as Term);
  }
  for (const w of e.with) s += ` with ${termString(w.target)} as ${termString(w.value)}`;
  return s;
}

function bodyString(b: Body): string {
  return b.map(exprString).join('; ');
}

function isTrueTerm(t: Term | undefined): boolean {
  return !!t && t.value.type === 'boolean' && t.value.value === true;
}

function sameLoc(a: Location, b: Location): boolean {
  return a.row === b.row && a.col === b.col;
}

/** OPA's Head.HasDynamicRef: a non-constant element after the first. */
function hasDynamicRef(ref: Term[]): boolean {
  if (ref[0]?.value.type === 'call') return false;
  for (let i = 1; i < ref.length; i++) if (!isGround(ref[i])) return true;
  return false;
}

/** OPA's Ref.GroundPrefix. */
function groundPrefix(ref: Term[]): Term[] {
  const out: Term[] = [];
  for (let i = 0; i < ref.length; i++) {
    if (i > 0 && !isGround(ref[i])) break;
    out.push(ref[i]);
  }
  return out;
}

/** The body `true` that OPA generates for `p := 1` (format.go's expandedConst). */
function isExpandedConstBody(body: Body): boolean {
  if (body.length !== 1) return false;
  const e = body[0];
  return !e.negated && e.with.length === 0 && !Array.isArray(e.terms) && !('type' in e.terms) && isTrueTerm(e.terms as Term);
}

function isSetTerm(e: Expr): boolean {
  if (e.negated || Array.isArray(e.terms) || 'type' in e.terms) return false;
  return (e.terms as Term).value.type === 'set';
}

function isUnionCall(t: Term): boolean {
  return t.value.type === 'call' && operatorName(t.value.value[0]) === 'or';
}

/** A location whose row is -1 (format.go's negativeRow): nothing is "before" it. */
const NEGATIVE_ROW: Location = { file: '', row: -1, col: 0 };

function skipPast(open: string, close: string, text: string): [number, number] {
  let i = 0;
  for (; i < text.length; i++) if (text[i] === open) break;
  let state = 1;
  let offset = 0;
  while (state > 0) {
    i++;
    if (i >= text.length) return [i, offset];
    const c = text[i];
    if (c === open) state++;
    else if (c === close) state--;
    else if (c === '\n') offset++;
  }
  return [i, offset];
}

/** format.go's closingLoc: the row of the bracket closing the first `open` in `loc.text`. */
function closingLoc(skipOpen: string, skipClose: string, open: string, close: string, loc: Location): Location {
  const text = loc.text ?? '';
  let i = 0;
  let offset = 0;
  if (skipOpen) [i, offset] = skipPast(skipOpen, skipClose, text);
  for (; i < text.length; i++) if (text[i] === open) break;
  if (i >= text.length) return NEGATIVE_ROW;
  let state = 1;
  while (state > 0) {
    i++;
    if (i >= text.length) return NEGATIVE_ROW;
    const c = text[i];
    if (c === open) state++;
    else if (c === close) state--;
    else if (c === '\n') offset++;
  }
  return { file: loc.file, row: loc.row + offset, col: 0 };
}

function partitionComments(comments: WComment[], loc: Location): [WComment[], WComment | null, WComment[]] {
  if (comments.length === 0) return [[], null, []];
  const before: WComment[] = [];
  const after: WComment[] = [];
  let at: WComment | null = null;
  for (const c of comments) {
    if (c.row < loc.row) before.push(c);
    else if (c.row > loc.row) after.push(c);
    else at = c;
  }
  return [before, at, after];
}

type Element = Term | [Term, Term] | Expr;

function elementLoc(x: Element): Location {
  if (Array.isArray(x)) return x[0].location;
  return x.location;
}

function locCmp(a: Location, b: Location): number {
  return a.row - b.row || a.col - b.col;
}

/** Go's Term.Compare order of value types, for sorting imports. */
const TYPE_ORDER: Record<string, number> = {
  null: 0, boolean: 1, number: 2, string: 3, var: 4, ref: 5, array: 6, object: 7, set: 8,
  arraycomprehension: 9, objectcomprehension: 10, setcomprehension: 11, call: 12, templatestring: 13,
};

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareTerms(a: Term, b: Term): number {
  const ta = TYPE_ORDER[a.value.type] ?? 99;
  const tb = TYPE_ORDER[b.value.type] ?? 99;
  if (ta !== tb) return ta - tb;
  const av = a.value;
  const bv = b.value;
  if ((av.type === 'ref' && bv.type === 'ref') || (av.type === 'array' && bv.type === 'array')) {
    const n = Math.min(av.value.length, bv.value.length);
    for (let i = 0; i < n; i++) {
      const c = compareTerms(av.value[i], bv.value[i]);
      if (c !== 0) return c;
    }
    return av.value.length - bv.value.length;
  }
  if ((av.type === 'string' || av.type === 'var') && av.type === bv.type) return cmpStr(av.value, bv.value as string);
  return cmpStr(termString(a), termString(b));
}

/** OPA's Import.Compare: path, then alias. */
export function compareImports(a: Import, b: Import): number {
  return compareTerms(a.path, b.path) || cmpStr(a.alias ?? '', b.alias ?? '');
}

function isFutureKeywordsImport(imp: Import): string | true | false {
  const p = imp.path.value.type === 'ref' ? imp.path.value.value : [];
  if (p.length < 2 || p[0].value.type !== 'var' || p[0].value.value !== 'future') return false;
  if (p[1].value.type !== 'string' || p[1].value.value !== 'keywords') return false;
  if (p.length === 2) return true;
  return p.length === 3 && p[2].value.type === 'string' ? p[2].value.value : false;
}

export function isRegoV1Import(imp: Import): boolean {
  const p = imp.path.value.type === 'ref' ? imp.path.value.value : [];
  return p.length === 2 && p[0].value.type === 'var' && p[0].value.value === 'rego' && p[1].value.type === 'string' && p[1].value.value === 'v1';
}

export class Writer {
  private buf = '';
  private readonly indent = '\t';
  private level = 0;
  private inline = false;
  private beforeEnd: WComment | null = null;
  private delay = false;
  private writeCommentOnFinalLine = false;
  /** An expression / term to wrap in parentheses when written (format.go's parenExpr / parenTerm). */
  private parenExpr: Expr | null = null;
  private parenTerm: Term | null = null;
  readonly errors: RegoError[] = [];

  constructor(
    private readonly opts: FmtOpts,
    private readonly file: string,
  ) {}

  output(): string {
    return this.buf;
  }

  private keywords(): readonly string[] {
    return this.opts.regoV1 ? KEYWORDS_V1 : [...KEYWORDS_V0, ...this.opts.futureKeywords];
  }

  private formatError(msg: string, loc?: Location): void {
    this.errors.push(new RegoError('rego_format_error', msg, loc ?? { file: this.file, row: 0, col: 0 }));
  }

  // ------------------------------------------------------------------------------- module

  writeModule(mod: Module, comments: WComment[]): void {
    type Other = { kind: 'import'; imp: Import } | { kind: 'rule'; rule: Rule };
    const others: Other[] = [
      ...mod.imports.map((imp): Other => ({ kind: 'import', imp })),
      ...mod.rules.map((rule): Other => ({ kind: 'rule', rule })),
    ];
    const locOf = (o: Other): Location => (o.kind === 'import' ? o.imp.location : o.rule.location);
    others.sort((a, b) => locCmp(locOf(a), locOf(b)));
    comments = this.writePackage(mod, comments);
    let i = 0;
    while (i < others.length) {
      const imports: Import[] = [];
      while (i < others.length && others[i].kind === 'import') imports.push((others[i++] as { imp: Import }).imp);
      comments = this.writeImports(imports, comments);
      const rules: Rule[] = [];
      while (i < others.length && others[i].kind === 'rule') rules.push((others[i++] as { rule: Rule }).rule);
      comments = this.writeRules(rules, comments);
    }
    comments.forEach((c, idx) => {
      this.writeLine(c.str);
      if (idx === comments.length - 1) this.write('\n');
    });
  }

  private writePackage(mod: Module, comments: WComment[]): WComment[] {
    const pkg = mod.package;
    comments = this.insertComments(comments, pkg.location);
    this.startLine();
    if (pkg.path.length < 2 || pkg.path[1].value.type !== 'string') {
      this.formatError('invalid package path', pkg.location);
      return comments;
    }
    const first = pkg.path[1];
    const path: Term[] = [{ value: { type: 'var', value: (first.value as { value: string }).value }, location: first.location }, ...pkg.path.slice(2)];
    this.write('package ');
    comments = this.writeRef(path, comments);
    this.blankLine();
    return comments;
  }

  private writeComments(comments: WComment[]): void {
    let inMetadataBlock = false;
    comments.forEach((c, i) => {
      if (i > 0) {
        const l = c.row - comments[i - 1].row || c.col - comments[i - 1].col;
        if (l > 1) {
          this.blankLine();
          inMetadataBlock = false;
        } else if (l === 1 && inMetadataBlock && c.metadata) {
          this.blankLine();
        }
      }
      if (c.metadata) inMetadataBlock = true;
      this.writeLine(c.str);
    });
  }

  private writeRules(rules: Rule[], comments: WComment[]): WComment[] {
    rules.forEach((rule, i) => {
      try {
        comments = this.insertComments(comments, rule.location);
      } catch (e) {
        if (!isUnexpected(e)) throw e;
        comments = e.comments ?? [];
      }
      try {
        comments = this.writeRule(rule, false, comments);
      } catch (e) {
        if (!isUnexpected(e)) throw e;
        comments = e.comments ?? [];
      }
      if (i < rules.length - 1 && this.groupableOneLiner(rule)) {
        const next = rules[i + 1];
        if (this.groupableOneLiner(next) && next.location.row === rule.location.row + 1) return;
      }
      this.blankLine();
    });
    return comments;
  }

  private groupableOneLiner(rule: Rule): boolean {
    if (rule.body.length > 1 || rule.default) return false;
    const partialSetException = this.opts.contains || rule.head.value !== undefined;
    return (this.opts.regoV1 || this.opts.ifs) && partialSetException;
  }

  // ------------------------------------------------------------------------------- rules

  private writeRule(rule: Rule, isElse: boolean, comments: WComment[]): WComment[] {
    if (!isElse) this.startLine();
    if (rule.default) this.write('default ');
    const isExpandedConst = isExpandedConstBody(rule.body) && !rule.else;
    this.writeCommentOnFinalLine = isExpandedConst;
    try {
      comments = this.writeHead(rule.head, rule.default, isExpandedConst, comments);
    } catch (e) {
      if (!isUnexpected(e)) throw e;
      comments = e.comments ?? [];
    }
    if (rule.body.length === 0 || isExpandedConst) {
      this.endLine();
      return comments;
    }
    this.writeCommentOnFinalLine = true;
    const partialSetException = this.opts.contains || rule.head.value !== undefined;
    if ((this.opts.regoV1 || this.opts.ifs) && partialSetException) {
      this.write(' if');
      if (rule.body.length === 1) {
        const headEndRow = rule.head.location.row + countNewlines(rule.head.location.text);
        if (rule.body[0].location.row === headEndRow && !isSetTerm(rule.body[0])) {
          this.write(' ');
          comments = this.writeExpr(rule.body[0], comments);
          this.endLine();
          if (rule.else) comments = this.writeElse(rule, comments);
          return comments;
        }
      }
    }
    // format.go writes ` { ` and the body's first line after it when the head fell back to its
    // source text and comments remain (`if { \tx`), which its next run lays out differently;
    // the body starts on its own line here (see the README's list of differences)
    this.write(' {');
    this.endLine();
    // A leading set union `x | y` right after the brace of a `p if {` body would read as a
    // comprehension: it is parenthesised (format.go's markUnionLead; an else body has no such
    // ambiguity).
    if ((this.opts.regoV1 || this.opts.ifs) && partialSetException && !isElse) this.markUnionLead(rule.body[0]);
    this.up();
    try {
      comments = this.writeBody(rule.body, comments);
    } catch (e) {
      if (!isUnexpected(e)) throw e;
      comments = e.comments ?? [];
    }
    let closeLoc: Location;
    if (rule.head.args && rule.head.args.length > 0) closeLoc = closingLoc('(', ')', '{', '}', rule.location);
    else if (rule.head.key) closeLoc = closingLoc('[', ']', '{', '}', rule.location);
    else closeLoc = closingLoc('', '', '{', '}', rule.location);
    comments = this.insertComments(comments, closeLoc);
    this.down();
    this.startLine();
    this.write('}');
    if (rule.else) comments = this.writeElse(rule, comments);
    return comments;
  }

  private writeElse(rule: Rule, comments: WComment[]): WComment[] {
    const els = rule.else!;
    let wasInline = false;
    const ruleLines = (rule.location.text ?? '').split('\n');
    const relativeElseRow = els.location.row - rule.location.row;
    if (relativeElseRow > 0 && relativeElseRow < ruleLines.length) {
      if (!ruleLines[relativeElseRow].trim().startsWith('else')) wasInline = true;
    }
    const hasCommentAbove = (comments.length > 0 && comments[0].row - els.head.location.row < 0) || this.beforeEnd !== null;
    if (!hasCommentAbove && wasInline) {
      this.write(' ');
    } else {
      this.blankLine();
      this.startLine();
    }
    els.head.name = 'else';
    els.head.reference = [{ value: { type: 'var', value: 'else' }, location: els.head.location }];
    delete els.head.args;
    comments = this.insertComments(comments, els.head.location);
    if (hasCommentAbove && !wasInline) this.startLine();
    if (els.head.value) els.head.value.location = els.head.location;
    return this.writeRule(els, true, comments);
  }

  private writeHead(head: Head, isDefault: boolean, isExpandedConst: boolean, comments: WComment[]): WComment[] {
    let ref = head.reference;
    if (head.key && !head.value && !hasDynamicRef(ref)) ref = groundPrefix(ref);
    if (this.opts.refHeads || ref.length === 1) {
      comments = this.writeRef(ref, comments);
    } else {
      if (comments.length > 0 && ref[1].location.row === comments[0].row) {
        return this.writeUnformatted(head.location, comments);
      }
      this.write(termString(ref[0]));
      this.write('[');
      this.write(ref[1].value.type === 'var' ? formatVar(ref[1].value.value) : termString(ref[1]));
      this.write(']');
    }
    if (head.args && head.args.length > 0) {
      this.write('(');
      try {
        comments = this.writeIterable(head.args, head.location, closingLoc('', '', '(', ')', head.location), comments, this.listWriter(false));
      } finally {
        this.write(')');
      }
    }
    if (head.key) {
      if (this.opts.contains && !head.value) {
        this.write(' contains ');
        comments = this.writeTerm(head.key, comments);
      } else if (!head.value) {
        this.write('[');
        comments = this.writeTerm(head.key, comments);
        this.write(']');
      }
    }
    if (head.value && (head.key || !isTrueTerm(head.value) || isExpandedConst || isDefault)) {
      const isRegoV1RefConst = this.opts.regoV1 && isExpandedConst && !head.key && !(head.args && head.args.length > 0);
      if (sameLoc(head.location, head.value.location) && head.name !== 'else' && isTrueTerm(head.value) && !isRegoV1RefConst) {
        // a generated value (`f(1)`, `p if …`): the `= true` is implied
        return comments;
      }
      this.write(head.assign || this.opts.regoV1 ? ' := ' : ' = ');
      comments = this.writeTerm(head.value, comments);
    }
    return comments;
  }

  private insertComments(comments: WComment[], loc: Location): WComment[] {
    const [before, at, after] = partitionComments(comments, loc);
    this.writeComments(before);
    if (before.length > 0 && loc.row - before[before.length - 1].row > 1) this.blankLine();
    this.beforeLineEnd(at, after);
    return after;
  }

  private writeBody(body: Body, comments: WComment[]): WComment[] {
    comments = this.insertComments(comments, body[0].location);
    body.forEach((expr, i) => {
      if (i > 0) {
        const prev = body[i - 1];
        const lastRow = prev.location.row + countNewlines(prev.location.text);
        if (expr.location.row > lastRow + 1) this.blankLine();
      }
      this.startLine();
      try {
        comments = this.writeExpr(expr, comments);
      } catch (e) {
        if (!isUnexpected(e)) throw e;
        comments = e.comments ?? [];
      }
      this.endLine();
    });
    return comments;
  }

  // ------------------------------------------------------------------------------- expressions

  private markUnionLead(expr: Expr): void {
    if (expr.negated || !isCallExpr(expr)) return;
    const terms = expr.terms;
    if (terms.length === 3 && operatorName(terms[0]) === 'or') {
      this.parenExpr = expr;
      return;
    }
    const bi = INFIX[operatorName(terms[0]) ?? ''];
    if (!bi) return;
    const lead = terms.length === bi.arity + 1 ? terms[1] : terms.length === bi.arity + 2 ? terms[terms.length - 1] : undefined;
    if (lead && isUnionCall(lead)) this.parenTerm = lead;
  }

  private writeExpr(expr: Expr, comments: WComment[]): WComment[] {
    if (this.parenExpr === expr) {
      this.parenExpr = null;
      this.write('(');
      try {
        return this.writeExprInner(expr, comments);
      } finally {
        this.write(')');
      }
    }
    return this.writeExprInner(expr, comments);
  }

  private writeExprInner(expr: Expr, comments: WComment[]): WComment[] {
    comments = this.insertComments(comments, expr.location);
    if (!this.inline) this.startLine();
    if (expr.negated) this.write('not ');
    if (isSomeDecl(expr) || isEvery(expr) || isCallExpr(expr)) comments = this.writeExprTerms(expr, comments);
    else comments = this.writeTerm(expr.terms as Term, comments);
    if (expr.with.length === 0) return comments;

    let withs = expr.with;
    let lastRow = exprTermsEndRow(expr);
    if (withs[0].location.row === lastRow) {
      comments = this.writeWith(withs[0], comments, false);
      lastRow = withs[0].location.row;
      withs = withs.slice(1);
    }
    if (withs.length > 0) {
      let indented = false;
      try {
        for (const w of withs) {
          const indent = w.location.row > lastRow;
          if (indent) {
            if (!indented) {
              this.up();
              indented = true;
            }
            this.endLine();
            this.startLine();
            lastRow = w.location.row;
          }
          comments = this.writeWith(w, comments, indent);
        }
      } finally {
        if (indented) this.down();
      }
    }
    return comments;
  }

  /**
   * The terms of a call, `some` or `every` expression. Where a term inside falls back to its
   * source text (a comment inside a one-line composite), format.go abandons the rest of the
   * expression (`a == b` loses `== b`); here the expression's terms are written as in the
   * source instead, so nothing is lost (see the README's list of differences).
   */
  private writeExprTerms(expr: Expr, comments: WComment[]): WComment[] {
    const start = this.buf.length;
    const level = this.level;
    const saved = [...comments];
    try {
      if (isSomeDecl(expr)) return this.writeSomeDecl(expr.terms, comments);
      if (isEvery(expr)) return this.writeEvery(expr.terms, expr.location, comments);
      return this.writeFunctionCall(expr.terms as Term[], comments);
    } catch (e) {
      if (!isUnexpected(e)) throw e;
      this.buf = this.buf.slice(0, start);
      this.level = level;
      const loc = exprTermsLocation(expr);
      if (this.beforeEnd && this.beforeEnd.row >= loc.row && this.beforeEnd.row <= loc.row + countNewlines(loc.text)) this.beforeEnd = null;
      return this.writeUnformatted(loc, saved);
    }
  }

  private writeSomeDecl(decl: SomeDecl, comments: WComment[]): WComment[] {
    comments = this.insertComments(comments, decl.location);
    this.write('some ');
    let row = decl.location.row;
    decl.symbols.forEach((t, i) => {
      if (t.value.type === 'var') {
        if (t.location.row > row) {
          this.endLine();
          this.startLine();
          this.write(this.indent);
          row = t.location.row;
        } else if (i > 0) {
          this.write(' ');
        }
        comments = this.writeTerm(t, comments);
        if (i < decl.symbols.length - 1) this.write(',');
      } else if (t.value.type === 'call') {
        const op = operatorName(t.value.value[0]) ?? '';
        comments = this.writeInOperator(false, t.value.value.slice(1), comments, decl.location, INFIX[op]?.arity ?? 2);
      }
    });
    return comments;
  }

  private writeEvery(every: Every, loc: Location, comments: WComment[]): WComment[] {
    comments = this.insertComments(comments, loc);
    this.write('every ');
    if (every.key) {
      comments = this.writeTerm(every.key, comments);
      this.write(', ');
    }
    comments = this.writeTerm(every.value, comments);
    this.write(' in ');
    comments = this.writeTerm(every.domain, comments);
    this.write(' {');
    try {
      comments = this.writeComprehensionBody('{', '}', every.body, loc, loc, comments);
    } catch (e) {
      if (!isUnexpected(e)) throw e;
      comments = e.comments ?? [];
    }
    if (every.body.length === 1 && every.body[0].location.row === every.location.row) this.write(' ');
    this.write('}');
    return comments;
  }

  private writeFunctionCall(terms: Term[], comments: WComment[]): WComment[] {
    const op = operatorName(terms[0]) ?? '';
    if (op === 'internal.member_2' || op === 'internal.member_3') {
      return this.writeInOperator(false, terms.slice(1), comments, terms[0].location, INFIX[op].arity);
    }
    const bi = INFIX[op];
    if (!bi) return this.writeFunctionCallPlain(terms, comments);
    const numCallArgs = terms.length - 1;
    if (numCallArgs === bi.arity) {
      comments = this.writeTerm(terms[1], comments);
      this.write(` ${bi.infix} `);
      return this.writeTerm(terms[2], comments);
    }
    if (numCallArgs === bi.arity + 1) {
      comments = this.writeTerm(terms[3], comments);
      this.write(' = ');
      comments = this.writeTerm(terms[1], comments);
      this.write(` ${bi.infix} `);
      return this.writeTerm(terms[2], comments);
    }
    this.formatError(`${op}: arity mismatch`, terms[0].location);
    return this.writeFunctionCallPlain(terms, comments);
  }

  private writeFunctionCallPlain(terms: Term[], comments: WComment[]): WComment[] {
    const op = terms[0];
    if (op.value.type === 'ref') comments = this.writeRef(op.value.value, comments);
    else this.write(termString(op));
    this.write('(');
    try {
      return this.writeIterable(terms.slice(1), op.location, closingLoc('', '', '(', ')', op.location), comments, this.listWriter(false));
    } finally {
      this.write(')');
    }
  }

  private writeWith(w: With, comments: WComment[], indented: boolean): WComment[] {
    comments = this.insertComments(comments, w.location);
    if (!indented) this.write(' ');
    this.write('with ');
    comments = this.writeTerm(w.target, comments);
    this.write(' as ');
    try {
      comments = this.writeTerm(w.value, comments);
    } catch (e) {
      if (!isUnexpected(e)) throw e;
      comments = e.comments ?? [];
    }
    return comments;
  }

  // ------------------------------------------------------------------------------- terms

  private writeTerm(term: Term, comments: WComment[]): WComment[] {
    if (this.parenTerm === term) {
      this.parenTerm = null;
      this.write('(');
      try {
        return this.writeTermInner(term, comments);
      } finally {
        this.write(')');
      }
    }
    return this.writeTermInner(term, comments);
  }

  private writeTermInner(term: Term, comments: WComment[]): WComment[] {
    if (comments.length === 0) return this.writeTermParens(false, term, comments);
    const currentLen = this.buf.length;
    const currentLevel = this.level;
    const saved = [...comments];
    try {
      return this.writeTermParens(false, term, comments);
    } catch (e) {
      if (!isUnexpected(e)) throw e;
      this.buf = this.buf.slice(0, currentLen);
      this.level = currentLevel;
      const text = term.location.text ?? '';
      if (this.beforeEnd && text.length > 0) {
        const endRow = term.location.row + countNewlines(text);
        if (this.beforeEnd.row >= term.location.row && this.beforeEnd.row <= endRow) this.beforeEnd = null;
      }
      e.comments = this.writeUnformatted(term.location, saved);
      throw e;
    }
  }

  /** Writes a node's source text as it is (format.go's writeUnformatted). */
  private writeUnformatted(loc: Location, current: WComment[]): WComment[] {
    const text = loc.text ?? '';
    if (text.length === 0) throw new RegoError('rego_format_error', 'original unformatted text is empty', loc);
    const rowNum = countNewlines(text) + 1;
    this.write(text);
    const out: WComment[] = [];
    for (const c of current) {
      if (this.writeCommentOnFinalLine && c.row === loc.row + rowNum - 1) {
        this.write(` ${c.raw}`);
        continue;
      }
      if (c.row < loc.row + rowNum - 1) continue;
      out.push(c);
    }
    return out;
  }

  private writeTermParens(parens: boolean, term: Term, comments: WComment[]): WComment[] {
    comments = this.insertComments(comments, term.location);
    if (!this.inline) this.startLine();
    const v = term.value;
    switch (v.type) {
      case 'ref':
        comments = this.writeRef(v.value, comments);
        break;
      case 'object':
        comments = this.writeObject(v.value, term.location, comments);
        break;
      case 'array':
        comments = this.writeArray(v.value, term.location, comments);
        break;
      case 'set':
        comments = this.writeSet(v.value, term.location, comments);
        break;
      case 'arraycomprehension':
        this.write('[');
        try {
          comments = this.writeComprehension('[', ']', v.term, v.body, term.location, comments);
        } finally {
          this.write(']');
        }
        break;
      case 'setcomprehension':
        this.write('{');
        try {
          comments = this.writeComprehension('{', '}', v.term, v.body, term.location, comments);
        } finally {
          this.write('}');
        }
        break;
      case 'objectcomprehension':
        this.write('{');
        try {
          comments = this.writeObjectComprehension(v.key, v.value, v.body, term.location, comments);
        } finally {
          this.write('}');
        }
        break;
      case 'string':
        this.writeString(v.value, term.location);
        break;
      case 'templatestring':
        // The source text as written (see the README: template strings are not re-laid out).
        this.write(term.location.text ?? termString(term));
        break;
      case 'var':
        this.write(formatVar(v.value));
        break;
      case 'call':
        comments = this.writeCall(parens, v.value, term.location, comments);
        break;
      default:
        this.write(termString(term));
    }
    if (!this.inline) this.startLine();
    return comments;
  }

  /** Strings keep their source spelling (escapes, raw strings), as format.go does. */
  private writeString(value: string, loc: Location): void {
    const text = loc.text ?? '';
    if (text[0] === '`') {
      this.write(text);
      return;
    }
    const last = text[text.length - 1];
    if (last === '"' || last === '`') {
      const cut = text.indexOf(last);
      if (cut >= 0) {
        this.write(last + text.slice(cut + 1));
        return;
      }
    }
    this.write(JSON.stringify(value));
  }

  private writeRef(ref: Term[], comments: WComment[]): WComment[] {
    if (ref.length === 0) return comments;
    const head = ref[0];
    const parens = head.value.type === 'call' && (head.location.text ?? '')[0] === '(';
    comments = this.writeTermParens(parens, head, comments);
    for (const t of ref.slice(1)) {
      const v = t.value;
      if (v.type === 'string') this.writeRefStringPath(v.value, t.location);
      else if (v.type === 'var') this.write(`[${formatVar(v.value)}]`);
      else {
        this.write('[');
        try {
          comments = this.writeTerm(t, comments);
        } catch (e) {
          if (!isUnexpected(e)) throw e;
          comments = e.comments ?? [];
          this.write('\n');
        }
        this.write(']');
      }
    }
    return comments;
  }

  private writeRefStringPath(s: string, loc: Location): void {
    if (this.shouldBracketRefTerm(s, loc)) this.write(`[${JSON.stringify(s)}]`);
    else this.write(`.${s}`);
  }

  private shouldBracketRefTerm(s: string, loc: Location): boolean {
    if (!VAR_COMPATIBLE.test(s)) return true;
    // keywords in refs are a feature of OPA 1.x's capabilities, so only a quoted key stays bracketed
    if (this.keywords().includes(s)) return (loc.text ?? '')[0] === '"';
    return false;
  }

  private writeCall(parens: boolean, call: Term[], loc: Location, comments: WComment[]): WComment[] {
    const op = operatorName(call[0]) ?? '';
    const bi = INFIX[op];
    if (!bi) return this.writeFunctionCallPlain(call, comments);
    if (bi.infix === 'in') return this.writeInOperator(true, call.slice(1), comments, loc, bi.arity);
    if (parens) this.write('(');
    if (bi.arity !== call.length - 1) {
      this.formatError(`${op}: arity mismatch`, loc);
      return comments;
    }
    comments = this.writeTermParens(true, call[1], comments);
    this.write(` ${bi.infix} `);
    comments = this.writeTermParens(true, call[2], comments);
    if (parens) this.write(')');
    return comments;
  }

  private writeInOperator(parens: boolean, operands: Term[], comments: WComment[], loc: Location, arity: number): WComment[] {
    if (operands.length !== arity) {
      this.formatError(`${arity === 3 ? 'internal.member_3' : 'internal.member_2'}: arity mismatch`, loc);
      return comments;
    }
    if (operands.length === 2) {
      comments = this.writeTermParens(true, operands[0], comments);
      this.write(' in ');
      return this.writeTermParens(true, operands[1], comments);
    }
    if (parens) this.write('(');
    try {
      comments = this.writeTermParens(true, operands[0], comments);
      this.write(', ');
      comments = this.writeTermParens(true, operands[1], comments);
      this.write(' in ');
      return this.writeTermParens(true, operands[2], comments);
    } finally {
      if (parens) this.write(')');
    }
  }

  private writeObject(items: [Term, Term][], loc: Location, comments: WComment[]): WComment[] {
    this.write('{');
    try {
      return this.writeIterable(items, loc, closingLoc('', '', '{', '}', loc), comments, this.objectWriter());
    } finally {
      this.write('}');
    }
  }

  private writeArray(items: Term[], loc: Location, comments: WComment[]): WComment[] {
    this.write('[');
    try {
      return this.writeIterable(items, loc, closingLoc('', '', '[', ']', loc), comments, this.listWriter(true));
    } finally {
      this.write(']');
    }
  }

  private writeSet(items: Term[], loc: Location, comments: WComment[]): WComment[] {
    if (items.length === 0) {
      this.write('set()');
      return this.insertComments(comments, closingLoc('', '', '(', ')', loc));
    }
    this.write('{');
    try {
      return this.writeIterable(items, loc, closingLoc('', '', '{', '}', loc), comments, this.listWriter(true));
    } finally {
      this.write('}');
    }
  }

  private writeObjectComprehension(key: Term, value: Term, body: Body, loc: Location, comments: WComment[]): WComment[] {
    // the value takes the key's row so it stays on the key's line, as format.go does (its own
    // text is kept: strings and template strings print from their source text)
    value.location = { ...key.location, text: value.location.text };
    if (key.location.row - loc.row > 1) {
      this.endLine();
      this.startLine();
    }
    const paren = isUnionCall(key);
    if (paren) this.write('(');
    comments = this.writeTerm(key, comments);
    if (paren) this.write(')');
    this.write(': ');
    return this.writeComprehension('{', '}', value, body, loc, comments);
  }

  private writeComprehension(open: string, close: string, term: Term, body: Body, loc: Location, comments: WComment[]): WComment[] {
    if (term.location.row - loc.row >= 1) {
      this.endLine();
      this.startLine();
    }
    const parens = term.value.type === 'call' && (isUnionCall(term) || (term.location.text ?? '')[0] === '(');
    comments = this.writeTermParens(parens, term, comments);
    this.write(' |');
    return this.writeComprehensionBody(open, close, body, term.location, loc, comments);
  }

  private writeComprehensionBody(open: string, close: string, body: Body, term: Location, compr: Location, comments: WComment[]): WComment[] {
    const lines = this.groupIterable(body, term);
    const closeLoc = closingLoc('', '', open, close, compr);
    if (body[0].location.row - term.row > 0 || lines.length > 1) {
      // comments before the closing bracket stay indented with the body (format.go's deferred down)
      this.endLine();
      this.up();
      try {
        comments = this.writeBody(body, comments);
        return this.insertComments(comments, closeLoc);
      } finally {
        this.down();
        this.startLine();
      }
    }
    this.write(' ');
    let i = 0;
    for (; i < body.length - 1; i++) {
      comments = this.writeExpr(body[i], comments);
      this.write('; ');
    }
    comments = this.writeExpr(body[i], comments);
    return this.insertComments(comments, closeLoc);
  }

  // ------------------------------------------------------------------------------- imports

  private writeImports(imports: Import[], comments: WComment[]): WComment[] {
    const trailing = new Map<Import, WComment>();
    const leftovers: WComment[] = [];
    for (const c of comments) {
      const imp = imports.find((i) => i.location.row === c.row);
      if (imp) trailing.set(imp, c);
      else leftovers.push(c);
    }
    comments = leftovers;
    for (const group of groupImports(imports)) {
      comments = this.insertComments(comments, group[0].location);
      group.sort(compareImports);
      for (const imp of group) {
        this.startLine();
        this.writeImport(imp);
        const c = trailing.get(imp);
        if (c) this.write(` ${c.str}`);
        this.endLine();
      }
      this.blankLine();
    }
    return comments;
  }

  private writeImport(imp: Import): void {
    const path = imp.path.value.type === 'ref' ? imp.path.value.value : [imp.path];
    this.write('import ');
    if (typeof isFutureKeywordsImport(imp) === 'string') {
      // future.keywords.in: keywords print as plain ref keys
      this.write(path.map((t, i) => (i === 0 ? termString(t) : t.value.type === 'string' && VAR_COMPATIBLE.test(t.value.value) ? `.${t.value.value}` : `[${termString(t)}]`)).join(''));
    } else {
      this.writeRef(path, []);
    }
    if (imp.alias) this.write(` as ${imp.alias}`);
  }

  // ------------------------------------------------------------------------------- iterables

  private writeIterable(
    elements: Element[],
    last: Location,
    close: Location,
    comments: WComment[],
    fn: (x: Element, c: WComment[]) => WComment[],
  ): WComment[] {
    const lines = this.groupIterable(elements, last);
    let newlinePrecedesItem = false;
    if (lines.length === 1) {
      for (const c of comments) {
        if (c.row > last.row && c.row < close.row) {
          throw new UnexpectedComment(`unexpected new comment (${c.str}) on line ${c.row}`, comments);
        }
      }
      if (elements.length > 0) {
        const first = Array.isArray(elements[0]) ? elements[0][0] : elements[0];
        const lastText = last.text ?? '';
        const cut = first.location.text ? lastText.indexOf(first.location.text) : -1;
        if (cut > 0) newlinePrecedesItem = lastText.slice(0, cut).indexOf('\n') > 0;
      }
    }
    const isMultiline = lines.length > 1 || (lines.length === 1 && newlinePrecedesItem);
    if (isMultiline) {
      this.delay = true;
      this.startMultilineSeq();
    }
    let i = 0;
    for (; i < lines.length - 1; i++) {
      comments = this.writeIterableLine(lines[i], comments, fn);
      this.write(',');
      this.endLine();
      this.startLine();
    }
    comments = this.writeIterableLine(lines[i] ?? [], comments, fn);
    if (isMultiline) {
      this.write(',');
      this.endLine();
      comments = this.insertComments(comments, close);
      this.down();
      this.startLine();
    }
    return comments;
  }

  private writeIterableLine(elements: Element[], comments: WComment[], fn: (x: Element, c: WComment[]) => WComment[]): WComment[] {
    if (elements.length === 0) return comments;
    let i = 0;
    for (; i < elements.length - 1; i++) {
      comments = rethrowWithoutComments(() => fn(elements[i], comments));
      this.write(', ');
    }
    return rethrowWithoutComments(() => fn(elements[i], comments));
  }

  private objectWriter(): (x: Element, c: WComment[]) => WComment[] {
    return (x, comments) => {
      const [k, v] = x as [Term, Term];
      const paren = isUnionCall(k);
      if (paren) this.write('(');
      comments = this.writeTerm(k, comments);
      if (paren) this.write(')');
      this.write(': ');
      const vparen = isUnionCall(v);
      if (vparen) this.write('(');
      try {
        return this.writeTerm(v, comments);
      } finally {
        if (vparen) this.write(')');
      }
    };
  }

  private listWriter(parenUnionCalls: boolean): (x: Element, c: WComment[]) => WComment[] {
    return (x, comments) => {
      const t = x as Term;
      const paren = isUnionCall(t) && (parenUnionCalls || (t.location.text ?? '')[0] === '(');
      if (paren) this.write('(');
      try {
        return this.writeTerm(t, comments);
      } finally {
        if (paren) this.write(')');
      }
    };
  }

  /** Groups elements by source row: the elements of one output line (format.go's groupIterable). */
  private groupIterable<E extends Element>(elements: E[], last: Location): E[][] {
    const sorted = [...elements].sort((a, b) => locCmp(elementLoc(a), elementLoc(b)));
    const lines: E[][] = [];
    let cur: E[] = [];
    sorted.forEach((elem, i) => {
      const loc = elementLoc(elem);
      if (loc.row - last.row > 0 && i > 0) {
        lines.push(cur);
        cur = [];
      }
      last = loc;
      cur.push(elem);
    });
    lines.push(cur);
    return lines;
  }

  // ------------------------------------------------------------------------------- output

  private startLine(): void {
    this.inline = true;
    for (let i = 0; i < this.level; i++) this.write(this.indent);
  }

  private endLine(): void {
    this.inline = false;
    if (this.beforeEnd && !this.delay) {
      this.write(` ${this.beforeEnd.str}`);
      this.beforeEnd = null;
    }
    this.delay = false;
    this.write('\n');
  }

  private beforeLineEnd(c: WComment | null, after: WComment[]): void {
    if (this.beforeEnd) {
      if (!c) return;
      const existing = this.beforeEnd;
      this.beforeEnd = null;
      throw new UnexpectedComment(
        `unexpected new comment (${c.str}) on line ${c.row} because there is already a comment (${existing.str}) registered for line ${existing.row}`,
        after,
      );
    }
    this.beforeEnd = c;
  }

  private blankLine(): void {
    if (this.inline) this.endLine();
    this.write('\n');
  }

  private write(s: string): void {
    this.buf += s;
  }

  private writeLine(s: string): void {
    if (!this.inline) this.startLine();
    this.write(s);
    this.endLine();
  }

  private startMultilineSeq(): void {
    this.endLine();
    this.up();
    this.startLine();
  }

  private up(): void {
    this.level++;
  }

  private down(): void {
    if (this.level === 0) throw new RegoError('rego_format_error', 'negative indentation level', { file: this.file, row: 0, col: 0 });
    this.level--;
  }
}

/** format.go returns `nil, err` from an iterable line: the comments are dropped with the error. */
function rethrowWithoutComments(f: () => WComment[]): WComment[] {
  try {
    return f();
  } catch (e) {
    if (isUnexpected(e)) e.comments = null;
    throw e;
  }
}

function formatVar(name: string): string {
  return isWildcard(name) ? '_' : name;
}

/**
 * The row where an expression's own terms end, before any `with` (format.go's exprTermsEndRow).
 */
function exprTermsEndRow(expr: Expr): number {
  const loc = expr.location;
  let text = loc.text ?? '';
  const w0 = expr.with[0]?.location;
  if (w0 && w0.offset !== undefined && loc.offset !== undefined) {
    const off = w0.offset - loc.offset;
    if (off > 0 && off <= text.length) text = text.slice(0, off);
  }
  text = text.replace(/[ \t\r\n]+$/, '');
  return loc.row + countNewlines(text);
}

/** The source of an expression without a leading `not` and without its `with` modifiers. */
function exprTermsLocation(expr: Expr): Location {
  const loc = expr.location;
  let text = loc.text ?? '';
  const w0 = expr.with[0]?.location;
  if (w0 && w0.offset !== undefined && loc.offset !== undefined) {
    const off = w0.offset - loc.offset;
    if (off > 0 && off <= text.length) text = text.slice(0, off);
  }
  let row = loc.row;
  if (expr.negated) {
    const m = /^not\s+/.exec(text);
    if (m) {
      row += countNewlines(m[0]);
      text = text.slice(m[0].length);
    }
  }
  return { ...loc, row, text: text.replace(/[ \t\r\n]+$/, '') };
}

function groupImports(imports: Import[]): Import[][] {
  if (imports.length === 0) return [];
  const groups: Import[][] = [];
  let group: Import[] = [imports[0]];
  for (const imp of imports.slice(1)) {
    const last = group[group.length - 1];
    if (imp.location.row - last.location.row > 1) {
      groups.push(group);
      group = [];
    }
    group.push(imp);
  }
  groups.push(group);
  return groups;
}

export { isFutureKeywordsImport, UnexpectedComment };
export type { Comment };
