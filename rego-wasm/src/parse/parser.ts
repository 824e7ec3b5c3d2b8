/**
 * Rego v1 parser: a port of the structure of OPA's `v1/ast/parser.go` (recursive descent with
 * save/restore backtracking and a parsed-term cache) over the token array from `lexer.ts`.
 * Errors use OPA's wording; they are collected in the (restorable) parser state and thrown as
 * RegoError / RegoErrors by the entry points in `index.ts`.
 */
import { RegoError } from '../errors';
import {
  type Body,
  type Comment,
  type Every,
  type Expr,
  type ExprTerms,
  type Head,
  type Import,
  type Location,
  type Module,
  type Package,
  type RegoVersion,
  type Rule,
  type SomeDecl,
  type Term,
  type With,
  booleanTerm,
  isTermExpr,
  operatorName,
  stringTerm,
  term as mkTerm,
  varTerm,
} from './ast';
import { isGround, refToString, termToString, valueName } from './format';
import { KEYWORDS, type Token, type TokenKind, tokenize } from './lexer';
import { type ParseProblem, type Statement, assembleModule } from './module-assembly';
import { type RuleMeta, RuleMetaStore, trueExpr } from './rule-meta';

export { refToString, termToString } from './format';
export type { Statement } from './module-assembly';

type Kind = TokenKind | 'whitespace';

interface State {
  pos: number;
  /** OPA's scanner would be sitting on a Whitespace token before tokens[pos]. */
  wsPending: boolean;
  /** Index of a keyword token that must be read as an identifier (keywords in refs). */
  identPos: number;
  errors: readonly ParseProblem[];
  hints: readonly string[];
  wildcard: number;
}

const ROOT_DOCUMENTS = new Set(['data', 'input']);
const MEMBER = 'internal.member_2';
const MEMBER_WITH_KEY = 'internal.member_3';
const FUTURE_KEYWORDS = ['contains', 'every', 'if', 'in'];
const FUTURE_KEYWORD_SET: ReadonlySet<string> = new Set(FUTURE_KEYWORDS);
const MAX_DECIMAL_EXPONENT = 30103; // ≈ OPA's limit of a binary exponent of 1e5

function cloneDeep<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

export class Parser {
  private readonly toks: Token[];
  readonly comments: Comment[];
  private s: State;
  private readonly cache = new Map<number, { term: Term | null; post: State; newErrors: readonly ParseProblem[] }>();
  private readonly meta = new RuleMetaStore();
  /**
   * Future keywords the scanner knows (OPA's scanner keywords): all four in v1; in v0 only
   * those imported so far (`import future.keywords[.kw]`, `import rego.v1`), so that `if`,
   * `in`, `every` and `contains` are plain identifiers until imported, as in OPA v0.
   */
  private readonly futureKeywords: Set<string>;
  /** `import rego.v1` seen (a v0 module that must follow v1's rules). */
  private importsRegoV1 = false;

  constructor(
    private readonly src: string,
    private readonly file: string,
    private readonly regoVersion: RegoVersion = 1,
  ) {
    this.futureKeywords = new Set(regoVersion === 1 ? FUTURE_KEYWORDS : []);
    const lexed = tokenize(src, file);
    this.toks = lexed.tokens;
    this.comments = lexed.comments;
    this.s = { pos: 0, wsPending: false, identPos: -1, errors: [], hints: [], wildcard: 0 };
    this.checkIllegal();
  }

  get errors(): RegoError[] {
    return this.s.errors.map((p) => new RegoError('rego_parse_error', p.message, p.loc));
  }

  // -------------------------------------------------------------------------------------------
  // token plumbing
  // -------------------------------------------------------------------------------------------

  private get tok(): Token {
    return this.toks[this.s.pos];
  }

  private k(): Kind {
    if (this.s.wsPending) return 'whitespace';
    if (this.s.identPos === this.s.pos) return 'ident';
    const kind = this.tok.kind;
    if (this.regoVersion === 0 && FUTURE_KEYWORD_SET.has(kind) && !this.futureKeywords.has(kind)) return 'ident';
    return kind;
  }

  /** Whether `name` is a keyword for this module at this point (OPA's scanner IsKeyword). */
  private isKeyword(name: string): boolean {
    return KEYWORDS.has(name) && (!FUTURE_KEYWORD_SET.has(name) || this.futureKeywords.has(name));
  }

  private loc(t: Token = this.tok): Location {
    return { file: this.file, row: t.row, col: t.col, text: t.lit, offset: t.offset };
  }

  private get lastEnd(): number {
    return this.s.pos > 0 ? this.toks[this.s.pos - 1].end : 0;
  }

  private text(offset: number, end: number): string {
    return this.src.slice(offset, end);
  }

  private save(): State {
    return { ...this.s };
  }

  private restore(s: State): void {
    // copy: the current state is mutated in place, a saved state may be restored again
    this.s = { ...s };
  }

  private checkIllegal(): void {
    const t = this.tok;
    if (t.kind === 'illegal') this.error(this.loc(t), t.error ?? 'illegal token');
  }

  /** Next token, skipping whitespace (OPA's scan). */
  private scan(): void {
    if (this.s.wsPending) {
      this.s.wsPending = false;
      return;
    }
    this.advance();
  }

  /** Next token, stopping at whitespace (OPA's scanWS). */
  private scanWS(): void {
    if (this.s.wsPending) {
      this.s.wsPending = false;
      return;
    }
    this.advance();
    if (this.tok.ws) this.s.wsPending = true;
  }

  private advance(): void {
    if (this.s.pos < this.toks.length - 1) {
      this.s.pos++;
      this.checkIllegal();
    }
  }

  /** A newline was skipped before the current token. */
  private get skippedNL(): boolean {
    return this.tok.nl;
  }

  private error(loc: Location, reason: string): void {
    let msg = reason;
    if (this.s.hints.length === 1) msg += ` (hint: ${this.s.hints[0]})`;
    else if (this.s.hints.length > 1) msg += ` (hints: ${this.s.hints.join(', ')})`;
    // one scanner error per location is enough (OPA would add "illegal token" as well)
    if (reason === 'illegal token' && this.s.errors.some((e) => e.loc.row === loc.row && e.loc.col === loc.col)) {
      return;
    }
    this.s.errors = [...this.s.errors, { message: msg, loc }];
    this.s.hints = [];
  }

  private hint(h: string): void {
    this.s.hints = [...this.s.hints, h];
  }

  private illegal(note: string): void {
    const k = this.k();
    if (k === 'illegal') {
      this.error(this.loc(), 'illegal token');
      return;
    }
    const name = k === 'ident' ? 'identifier' : k === 'template' ? 'template-string-part' : k;
    const type = this.isKeyword(k) ? 'keyword' : 'token';
    this.error(this.loc(), note ? `unexpected ${name} ${type}: ${note}` : `unexpected ${name} ${type}`);
  }

  private illegalToken(): void {
    this.illegal('');
  }

  private isAllowedRefKeyword(k: Kind): boolean {
    return this.isKeyword(k);
  }

  /** Kind of the token after the current one (whitespace included), without consuming anything. */
  private peekKindWS(): Kind {
    const s = this.save();
    this.scanWS();
    const k = this.k();
    this.restore(s);
    return k;
  }

  /** If the current token is a keyword directly followed by `.` or `[`, read it as an identifier. */
  private scanAheadRef(): boolean {
    if (this.isAllowedRefKeyword(this.k())) {
      const k = this.peekKindWS();
      if (k === '.' || k === '[') {
        this.s.identPos = this.s.pos;
        return true;
      }
    }
    return false;
  }

  private isIdentOrAllowedRefKeyword(): boolean {
    if (this.k() === 'ident') return true;
    if (this.isAllowedRefKeyword(this.k())) {
      this.s.identPos = this.s.pos;
      return true;
    }
    return false;
  }

  private setLoc<T extends Term | null>(t: T, loc: Location, offset: number, end: number): T {
    if (t) t.location = { ...loc, offset, text: this.text(offset, end) };
    return t;
  }

  private genWildcard(): string {
    const name = `$${this.s.wildcard}`;
    this.s.wildcard++;
    return name;
  }

  private withMeta(rule: Rule, m: Partial<RuleMeta>): Rule {
    return this.meta.set(rule, m);
  }

  // -------------------------------------------------------------------------------------------
  // statements
  // -------------------------------------------------------------------------------------------

  /** Parses a whole file into statements (OPA's Parser.Parse). */
  parseStatements(skipRules: boolean): Statement[] {
    const stmts: Statement[] = [];
    while (this.k() !== 'eof') {
      // statements never backtrack into earlier ones: keep the term cache small
      this.cache.clear();
      let s = this.save();
      if (!skipRules) {
        const pkg = this.parsePackage();
        if (pkg) {
          stmts.push({ kind: 'package', pkg });
          continue;
        } else if (this.s.errors.length > 0) break;
        this.restore(s);
        s = this.save();
        const imp = this.parseImport();
        if (imp) {
          this.checkImport(imp);
          stmts.push({ kind: 'import', imp });
          continue;
        } else if (this.s.errors.length > 0) break;
        this.restore(s);
        s = this.save();
        const rules = this.parseRules();
        if (rules) {
          for (const rule of rules) stmts.push({ kind: 'rule', rule });
          continue;
        } else if (this.s.errors.length > 0) break;
        this.restore(s);
      }
      const body = this.parseQuery(true, 'eof');
      if (body) {
        stmts.push({ kind: 'body', body });
        continue;
      }
      break;
    }
    return stmts;
  }

  /**
   * After `package` or `import`: the path term (null if it failed to parse), or null when the
   * keyword is not a statement here (`package.x`) or no path starts after it.
   */
  private parseStatementPath(): { term: Term | null } | null {
    this.scanWS();
    if (this.k() === '.' || this.k() === '[') return null;
    if (this.k() === 'whitespace') this.scan();
    if (!this.isIdentOrAllowedRefKeyword()) {
      this.illegalToken();
      return null;
    }
    return { term: this.parseTerm() };
  }

  private parsePackage(): Package | null {
    if (this.k() !== 'package') return null;
    const loc = this.loc();
    const read = this.parseStatementPath();
    if (!read) return null;
    const t = read.term;
    let path: Term[] | undefined;
    if (t) {
      const v = t.value;
      if (v.type === 'var') {
        path = [varTerm('data', t.location), stringTerm(v.value, t.location)];
      } else if (v.type === 'ref') {
        const first = v.value[0];
        if (first.value.type !== 'var') {
          this.error(first.location, `unexpected ${valueName(first.value)} token: expecting var`);
          return null;
        }
        path = [varTerm('data', first.location), stringTerm(first.value.value, first.location)];
        for (const part of v.value.slice(1)) {
          if (part.value.type !== 'string') {
            this.error(part.location, `unexpected ${valueName(part.value)} token: expecting string`);
            return null;
          }
          path.push(part);
        }
      } else {
        this.illegalToken();
        return null;
      }
    }
    if (!path) {
      if (this.s.errors.length === 0) this.error(this.loc(), 'expected path');
      return null;
    }
    return { path, location: { ...loc, text: this.text(loc.offset ?? 0, this.lastEnd) } };
  }

  private parseImport(): Import | null {
    if (this.k() !== 'import') return null;
    const loc = this.loc();
    const read = this.parseStatementPath();
    if (!read) return null;
    const t = read.term;
    let path: Term | undefined;
    if (t) {
      if (t.value.type === 'var') path = mkTerm({ type: 'ref', value: [t] }, t.location);
      else if (t.value.type === 'ref') {
        for (const part of t.value.value.slice(1)) {
          if (part.value.type !== 'string') {
            this.error(part.location, `unexpected ${valueName(part.value)} token: expecting string`);
            return null;
          }
        }
        path = t;
      }
    }
    if (!path || path.value.type !== 'ref') {
      this.error(this.loc(), 'expected path');
      return null;
    }
    const ref = path.value.value;
    const root = ref[0].value.type === 'var' ? ref[0].value.value : '';
    if (!['data', 'input', 'future', 'rego'].includes(root)) {
      this.hint('if this is unexpected, try updating OPA');
      this.error(
        path.location,
        `unexpected import path, must begin with one of: {data, future, input, rego}, got: ${termToString(ref[0])}`,
      );
      return null;
    }
    const imp: Import = { path, location: loc };
    if (this.k() === 'as') {
      this.scan();
      if (this.k() !== 'ident') {
        this.illegal('expected var');
        return null;
      }
      const alias = this.parseTerm();
      if (alias && alias.value.type === 'var') {
        imp.alias = alias.value.value;
        imp.location = { ...loc, text: this.text(loc.offset ?? 0, this.lastEnd) };
        return imp;
      }
      this.illegal('expected var');
      return null;
    }
    const last = ref[ref.length - 1];
    const lastName = last.value.type === 'var' || last.value.type === 'string' ? last.value.value : '';
    if ((ref.length === 1 || root !== 'future') && this.isKeyword(lastName)) {
      this.hint('import a different path or use an alias');
      this.error(last.location, `unexpected import path, must not end with a keyword, got: ${lastName}`);
    }
    imp.location = { ...loc, text: this.text(loc.offset ?? 0, this.lastEnd) };
    return imp;
  }

  /** `rego.v1` / `future.keywords[.kw]` are accepted (all four keywords are always on in v1). */
  private checkImport(imp: Import): void {
    if (imp.path.value.type !== 'ref') return;
    const ref = imp.path.value.value;
    const root = ref[0].value.type === 'var' ? ref[0].value.value : '';
    const str = (i: number): string | undefined => {
      const v = ref[i]?.value;
      return v && v.type === 'string' ? v.value : undefined;
    };
    if (root === 'rego') {
      if (ref.length !== 2 || str(1) !== 'v1') {
        this.error(imp.path.location, `invalid import \`${refToString(ref)}\`, must be \`rego.v1\``);
      } else if (this.regoVersion === 0 && imp.alias) {
        // in v1 the import is a no-op (OPA returns before this check)
        this.error(imp.path.location, '`rego` imports cannot be aliased');
      } else {
        this.importsRegoV1 = true;
        FUTURE_KEYWORDS.forEach((kw) => this.futureKeywords.add(kw));
      }
    } else if (root === 'future') {
      if (ref.length === 1 || str(1) !== 'keywords') {
        this.error(imp.path.location, 'invalid import, must be `future.keywords`');
      } else if (imp.alias) {
        this.error(imp.path.location, '`future` imports cannot be aliased');
      } else if (ref.length === 3) {
        const kw = str(2);
        if (kw === undefined) {
          this.error(imp.path.location, 'invalid import, must be `future.keywords.x`, e.g. `import future.keywords.in`');
        } else if (!FUTURE_KEYWORDS.includes(kw)) {
          this.error(imp.path.location, `unexpected keyword, must be one of [${FUTURE_KEYWORDS.join(' ')}]`);
        } else this.futureKeywords.add(kw);
      } else if (ref.length > 3) {
        this.error(imp.path.location, 'invalid import, must be `future.keywords.x`, e.g. `import future.keywords.in`');
      } else FUTURE_KEYWORDS.forEach((kw) => this.futureKeywords.add(kw));
    }
  }

  // -------------------------------------------------------------------------------------------
  // rules
  // -------------------------------------------------------------------------------------------

  private parseRules(): Rule[] | null {
    const ruleLoc = this.loc();
    let isDefault = false;
    this.scanAheadRef();
    if (this.k() === 'default') {
      this.scan();
      isDefault = true;
      this.scanAheadRef();
    }
    if (this.k() !== 'ident') return null;

    const parsed = this.parseHead(isDefault);
    if (!parsed) return null;
    const { head, usesContains } = parsed;
    const keywords = new Set<string>(usesContains ? ['contains'] : []);
    let generatedValue = parsed.generatedValue;
    const rule: Rule = { head, body: [], default: isDefault, location: ruleLoc };

    if (isDefault) {
      if (!this.validateDefaultRuleValue(rule)) return null;
      if (head.args && head.args.length > 0 && !this.validateDefaultRuleArgs(rule)) return null;
      rule.body = [trueExpr(ruleLoc)];
      rule.location = { ...ruleLoc, text: this.text(ruleLoc.offset ?? 0, this.lastEnd) };
      this.withMeta(rule, { keywords, generatedValue });
      return [rule];
    }

    const hasIf = this.k() === 'if';
    const ref = head.reference;
    if (hasIf && !usesContains && ref.length === 2) {
      const v = ref[1];
      if ((!isGround(v) || v.value.type === 'ref') && !(head.args && head.args.length > 0)) head.key = v;
      if (!head.value) {
        generatedValue = true;
        head.value = booleanTerm(true, head.location);
      } else {
        if (ref[0].value.type !== 'var') return null;
        head.name = ref[0].value.value;
      }
    }
    if (!hasIf && !usesContains && !(head.args && head.args.length > 0) && ref.length === 2) {
      // v0 partial set `p[x] { ... }`: rejected by the v1 checks below
      if (ref[0].value.type !== 'var') return null;
      head.name = ref[0].value.value;
      head.key = ref[1];
      if (!head.value) head.reference = ref.slice(0, 1);
    }

    if (hasIf) {
      keywords.add('if');
      this.scan();
      const s = this.save();
      const expr = this.parseLiteral();
      let done = false;
      if (expr) {
        const isSetLiteral = isTermExpr(expr) && expr.terms.value.type === 'set';
        if (!isSetLiteral) {
          rule.body = this.appendExpr([], expr);
          done = true;
        }
      }
      if (!done) {
        this.restore(s);
        if (this.k() !== '{') {
          // report the literal's own error rather than a confusing one about braces
          this.parseLiteral();
          if (this.s.errors.length === 0) this.illegal('expected rule body');
          return null;
        }
        this.scan();
        const body = this.parseBody('}');
        if (!body) return null;
        rule.body = body;
        this.scan();
      }
    } else if (this.k() === '{') {
      this.scan();
      const body = this.parseBody('}');
      if (!body) return null;
      rule.body = body;
      this.scan();
    } else if (usesContains) {
      rule.body = [trueExpr(ruleLoc)];
      rule.location = { ...head.location };
      this.withMeta(rule, { keywords, generatedBody: true, generatedValue });
      return [rule];
    } else {
      return null;
    }
    this.withMeta(rule, { keywords, generatedValue });

    if (this.k() === 'else' && !this.scanAheadRef()) {
      const r = head.reference;
      if (r.length > 1 && !r.slice(1).every(isGround)) {
        this.error(this.loc(), 'else keyword cannot be used on rules with variables in head');
        return null;
      }
      if (head.key) {
        this.error(this.loc(), 'else keyword cannot be used on multi-value rules');
        return null;
      }
      const els = this.parseElse(head);
      if (!els) return null;
      rule.else = els;
    }
    rule.location = { ...ruleLoc, text: this.text(ruleLoc.offset ?? 0, this.lastEnd) };

    const rules = [rule];
    while (this.k() === '{') {
      if (rule.else) {
        this.error(this.loc(), 'expected else keyword');
        return null;
      }
      const loc = this.loc();
      this.scan();
      const body = this.parseBody('}');
      if (!body) return null;
      this.scan();
      const next: Rule = {
        head: cloneDeep(head),
        body,
        default: false,
        location: { ...loc, text: this.text(loc.offset ?? 0, this.lastEnd) },
      };
      for (const a of next.head.args ?? []) {
        if (a.value.type === 'var' && a.value.value.startsWith('$')) a.value = { type: 'var', value: this.genWildcard() };
      }
      setLocRecursive(next.head, next.location);
      this.withMeta(next, { keywords, generatedValue });
      rules.push(next);
    }
    return rules;
  }

  private parseElse(head: Head): Rule | null {
    const loc = this.loc();
    const h: Head = cloneDeep(head);
    for (const a of h.args ?? []) {
      if (a.value.type === 'var' && a.value.value.startsWith('$')) a.value = { type: 'var', value: this.genWildcard() };
    }
    h.location = loc;
    h.assign = false;
    const rule: Rule = { head: h, body: [], default: false, location: loc };
    const keywords = new Set<string>();
    let generatedValue = false;
    this.scan();
    switch (this.k()) {
      case '{':
      case 'if':
        generatedValue = true;
        h.value = booleanTerm(true, loc);
        break;
      case 'assign':
      case 'eq': {
        h.assign = this.k() === 'assign';
        this.scan();
        const v = this.parseTermInfixCall();
        if (!v) return null;
        h.value = v;
        h.location = { ...loc, text: this.text(loc.offset ?? 0, this.lastEnd) };
        break;
      }
      default:
        this.illegal('expected else value term or rule body');
        return null;
    }
    const hasIf = this.k() === 'if';
    const hasBrace = this.k() === '{';
    if (!hasIf && !hasBrace) {
      rule.body = [trueExpr(loc)];
      rule.location = { ...loc, text: this.text(loc.offset ?? 0, this.lastEnd) };
      this.withMeta(rule, { keywords, generatedValue, generatedBody: true });
      return rule;
    }
    if (hasIf) {
      keywords.add('if');
      this.scan();
    }
    if (this.k() === '{') {
      this.scan();
      const body = this.parseBody('}');
      if (!body) return null;
      rule.body = body;
      this.scan();
    } else if (this.k() !== 'eof') {
      const expr = this.parseLiteral();
      if (!expr) return null;
      rule.body = this.appendExpr([], expr);
    } else {
      this.illegal('rule body expected');
      return null;
    }
    rule.location = { ...loc, text: this.text(loc.offset ?? 0, this.lastEnd) };
    this.withMeta(rule, { keywords, generatedValue });
    if (this.k() === 'else') {
      const els = this.parseElse(head);
      if (!els) return null;
      rule.else = els;
    }
    return rule;
  }

  private parseHead(isDefault: boolean): { head: Head; usesContains: boolean; generatedValue: boolean } | null {
    const loc = this.loc();
    const v = this.parseVar();
    const t = this.parseHeadFinish(v);
    if (!t) {
      this.illegal('expected rule head name');
      return null;
    }
    let head: Head;
    switch (t.value.type) {
      case 'var':
        head = { name: t.value.value, reference: [t], assign: false, location: loc };
        break;
      case 'ref':
        head = { reference: t.value.value, assign: false, location: loc };
        if (t.value.value.length === 1 && t.value.value[0].value.type === 'var') head.name = t.value.value[0].value.value;
        break;
      case 'call': {
        const [op, ...args] = t.value.value;
        let ref: Term[];
        if (op.value.type === 'var') ref = [op];
        else if (op.value.type === 'ref') {
          if (op.value.value[0].value.type !== 'var') {
            this.illegal(`rule head ref ${termToString(op)} invalid`);
            return null;
          }
          ref = op.value.value;
        } else return null;
        head = { reference: ref, args, assign: false, location: loc };
        if (ref.length === 1 && ref[0].value.type === 'var') head.name = ref[0].value.value;
        break;
      }
      default:
        return null;
    }
    const name = refToString(head.reference);
    const finish = (): void => {
      head.location = { ...loc, text: this.text(loc.offset ?? 0, this.lastEnd) };
    };
    switch (this.k()) {
      case 'contains': {
        if (head.args) {
          this.illegal(
            `the contains keyword can only be used with multi-value rule definitions (e.g., ${name} contains <VALUE> { ... })`,
          );
        }
        this.scan();
        const before = this.s.errors.length;
        const key = this.parseTermInfixCall();
        if (!key && this.s.errors.length === before) this.illegal(`expected rule key term (e.g., ${name} contains <VALUE> { ... })`);
        else if (key) head.key = key;
        finish();
        return { head, usesContains: true, generatedValue: false };
      }
      case 'eq': {
        this.scan();
        const before = this.s.errors.length;
        const val = this.parseTermInfixCall();
        if (!val && this.s.errors.length === before) this.illegal(`expected rule value term (e.g., ${name}[${head.key ? termToString(head.key) : '<nil>'}] = <VALUE> { ... })`);
        else if (val) head.value = val;
        break;
      }
      case 'assign': {
        this.scan();
        head.assign = true;
        const before = this.s.errors.length;
        const val = this.parseTermInfixCall();
        if (!val && this.s.errors.length > before) {
          // the value's own error says it all
        } else if (!val) {
          if (head.args && head.args.length > 0) this.illegal(`expected function value term (e.g., ${name}(...) := <VALUE> { ... })`);
          else if (head.key) this.illegal(`expected partial rule value term (e.g., ${name}[...] := <VALUE> { ... })`);
          else if (isDefault) this.illegal(`expected default rule value term (e.g., default ${name} := <VALUE>)`);
          else this.illegal(`expected rule value term (e.g., ${name} := <VALUE> { ... })`);
        } else head.value = val;
        break;
      }
    }
    let generatedValue = false;
    if (!head.value && !head.key) {
      if (head.reference.length !== 2 || (head.args && head.args.length > 0)) {
        generatedValue = true;
        head.value = booleanTerm(true, { ...loc });
      }
    }
    finish();
    return { head, usesContains: false, generatedValue };
  }

  private parseHeadFinish(head: Term): Term | null {
    const offset = head.location.offset ?? 0;
    this.scanWS();
    switch (this.k()) {
      case 'plus':
      case 'minus':
      case 'mul':
      case 'div':
      case 'rem':
      case 'and':
      case 'or':
      case 'equal':
      case 'neq':
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        this.illegalToken();
        break;
      case 'whitespace':
        this.scan();
        break;
    }
    switch (this.k()) {
      case '(':
      case '.':
      case '[':
        return this.parseRef(head, offset);
    }
    if (head.value.type === 'var' && ROOT_DOCUMENTS.has(head.value.value)) {
      return mkTerm({ type: 'ref', value: [head] }, head.location);
    }
    return head;
  }

  private validateDefaultRuleValue(rule: Rule): boolean {
    const v = rule.head.value;
    if (!v) {
      this.error(rule.location, 'illegal default rule (must have a value)');
      return false;
    }
    let valid = true;
    const walk = (t: Term): void => {
      const x = t.value;
      switch (x.type) {
        case 'ref':
        case 'var':
        case 'call':
          this.error(rule.location, `illegal default rule (value cannot contain ${x.type})`);
          valid = false;
          return;
        case 'array':
        case 'set':
          x.value.forEach(walk);
          return;
        case 'object':
          x.value.forEach(([k, y]) => {
            walk(k);
            walk(y);
          });
          return;
        case 'templatestring':
          for (const p of x.parts) if ('value' in p && !('terms' in p)) walk(p);
          else {
            this.error(rule.location, 'illegal default rule (value cannot contain expr)');
            valid = false;
          }
          return;
        default:
          return;
      }
    };
    walk(v);
    return valid;
  }

  private validateDefaultRuleArgs(rule: Rule): boolean {
    const seen = new Set<string>();
    for (const a of rule.head.args ?? []) {
      if (a.value.type !== 'var') {
        this.error(rule.location, `illegal default rule (arguments cannot contain ${valueName(a.value)})`);
        return false;
      }
      if (seen.has(a.value.value)) {
        this.error(rule.location, `illegal default rule (arguments cannot be repeated ${a.value.value})`);
        return false;
      }
      seen.add(a.value.value);
    }
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // bodies and expressions
  // -------------------------------------------------------------------------------------------

  private appendExpr(body: Body, expr: Expr): Body {
    expr.index = body.length;
    body.push(expr);
    return body;
  }

  private parseBody(end: Kind): Body | null {
    return this.parseQuery(false, end);
  }

  parseQuery(requireSemi: boolean, end: Kind): Body | null {
    const body: Body = [];
    if (this.k() === end) {
      this.error(this.loc(), 'found empty body');
      return null;
    }
    for (;;) {
      const expr = this.parseLiteral();
      if (!expr) return null;
      this.appendExpr(body, expr);
      if (this.k() === ';') {
        this.scan();
        continue;
      }
      if (this.k() === end || requireSemi) return body;
      if (!this.skippedNL) {
        if (this.s.errors.length === 0) this.illegal(`expected \\n or ; or ${end}`);
        return null;
      }
    }
  }

  private parseLiteral(): Expr | null {
    const startTok = this.tok;
    const loc = this.loc();
    const finish = (e: Expr | null): Expr | null => {
      if (e) e.location = { ...loc, text: this.text(startTok.offset, this.lastEnd) };
      return e;
    };
    if (this.scanAheadRef()) return finish(this.parseLiteralExpr(false));
    let negated = false;
    if (this.k() === 'not') {
      const k = this.peekKindWS();
      if (k !== '.' && k !== '[') {
        this.scan();
        negated = true;
      }
    }
    switch (this.k()) {
      case 'some':
        if (negated) {
          this.illegal("illegal negation of 'some'");
          return null;
        }
        return finish(this.parseSome());
      case 'every':
        if (negated) {
          this.illegal("illegal negation of 'every'");
          return null;
        }
        return finish(this.parseEvery());
      default:
        return finish(this.parseLiteralExpr(negated));
    }
  }

  private parseLiteralExpr(negated: boolean): Expr | null {
    const expr = this.parseExpr();
    if (!expr) return null;
    expr.negated = negated;
    return this.parseOptionalWith(expr);
  }

  /** Reads the `with` modifiers that may follow an expression into `expr.with`. */
  private parseOptionalWith(expr: Expr): Expr | null {
    if (this.k() === 'with') {
      const withs = this.parseWith();
      if (!withs) return null;
      expr.with = withs;
    }
    return expr;
  }

  private parseWith(): With[] | null {
    const withs: With[] = [];
    for (;;) {
      const loc = this.loc();
      this.scan();
      if (this.k() !== 'ident') {
        this.illegal('expected ident');
        return null;
      }
      const target = this.parseTerm();
      if (!target) return null;
      if (target.value.type !== 'ref' && target.value.type !== 'var') this.illegal('expected with target path');
      if (this.k() !== 'as') {
        this.illegal('expected as keyword');
        return null;
      }
      this.scan();
      const value = this.parseTermInfixCall();
      if (!value) return null;
      withs.push({ target, value, location: { ...loc, text: this.text(loc.offset ?? 0, this.lastEnd) } });
      if (this.k() !== 'with') break;
    }
    return withs;
  }

  private newExpr(terms: ExprTerms, loc: Location): Expr {
    return { index: 0, negated: false, terms, with: [], location: loc };
  }

  private parseSome(): Expr | null {
    const loc = this.loc();
    const s = this.save();
    this.scan();
    const t = this.parseTermInfixCall();
    if (t && t.value.type === 'call') {
      const call = t.value.value;
      const op = operatorName(call[0]);
      if (op === MEMBER) {
        if (call.length !== 3) {
          this.illegal('illegal domain');
          return null;
        }
      } else if (op === MEMBER_WITH_KEY) {
        if (call.length !== 4) {
          this.illegal('illegal domain');
          return null;
        }
      } else {
        this.illegal('expected `x in xs` or `x, y in xs` expression');
        return null;
      }
      const decl: SomeDecl = { type: 'somedecl', symbols: [t], location: loc };
      return this.parseOptionalWith(this.newExpr(decl, loc));
    }
    this.restore(s);
    const symbols: Term[] = [];
    for (;;) {
      this.scan();
      if (this.k() !== 'ident') {
        this.illegal('expected var');
        return null;
      }
      symbols.push(this.parseVar());
      this.scan();
      if (this.k() !== ',') break;
    }
    return this.newExpr({ type: 'somedecl', symbols, location: loc }, loc);
  }

  private parseEvery(): Expr | null {
    const loc = this.loc();
    this.scan();
    const t = this.parseTermInfixCall();
    if (!t) return null;
    if (t.value.type !== 'call') {
      this.illegal('expected `x[, y] in xs { ... }` expression');
      return null;
    }
    const call = t.value.value;
    const op = operatorName(call[0]);
    let key: Term | undefined;
    let value: Term;
    let domain: Term;
    if (op === MEMBER) {
      if (call.length !== 3) {
        this.illegal('illegal domain');
        return null;
      }
      [, value, domain] = call;
    } else if (op === MEMBER_WITH_KEY) {
      if (call.length !== 4) {
        this.illegal('illegal domain');
        return null;
      }
      [, key, value, domain] = call;
      if (key.value.type !== 'var') {
        this.illegal('expected key to be a variable');
        return null;
      }
    } else {
      this.illegal('expected `x[, y] in xs { ... }` expression');
      return null;
    }
    if (value.value.type !== 'var') {
      this.illegal('expected value to be a variable');
      return null;
    }
    if (this.k() === '{') {
      this.scan();
      const body = this.parseBody('}');
      if (!body) return null;
      this.scan();
      const every: Every = { type: 'every', value, domain, body, location: loc };
      if (key) every.key = key;
      return this.parseOptionalWith(this.newExpr(every, loc));
    }
    this.illegal('missing body');
    return null;
  }

  private parseExpr(): Expr | null {
    const lhs = this.parseTermInfixCall();
    if (!lhs) return null;
    const op = this.parseTermOp('assign', 'eq');
    if (op) {
      const rhs = this.parseTermInfixCall();
      if (!rhs) return null;
      return this.newExpr([op, lhs, rhs], lhs.location);
    }
    if (lhs.value.type === 'call') return this.newExpr(lhs.value.value, lhs.location);
    return this.newExpr(lhs, lhs.location);
  }

  parseTermInfixCall(): Term | null {
    return this.parseTermIn(null, true, this.tok.offset);
  }

  private parseTermInfixCallInList(): Term | null {
    return this.parseTermIn(null, false, this.tok.offset);
  }

  private callTerm(parts: Term[], loc: Location, offset: number): Term {
    return this.setLoc(mkTerm({ type: 'call', value: parts }, loc), loc, offset, this.lastEnd);
  }

  private parseTermIn(lhsIn: Term | null, keyVal: boolean, offset: number): Term | null {
    const lhs = lhsIn ?? this.parseTermRelation(null, offset);
    if (!lhs) return null;
    if (keyVal && this.k() === ',') {
      const s = this.save();
      this.scan();
      const mhs = this.parseTermRelation(null, offset);
      if (mhs) {
        const op = this.parseTermOpName(MEMBER_WITH_KEY, 'in');
        if (op) {
          const rhs = this.parseTermRelation(null, this.tok.offset);
          if (rhs) {
            const call = this.callTerm([op, lhs, mhs, rhs], lhs.location, offset);
            return this.k() === 'in' ? this.parseTermIn(call, keyVal, offset) : call;
          }
        }
      }
      this.restore(s);
    }
    this.scanAheadRef();
    const op = this.parseTermOpName(MEMBER, 'in');
    if (op) {
      const rhs = this.parseTermRelation(null, this.tok.offset);
      if (rhs) {
        const call = this.callTerm([op, lhs, rhs], lhs.location, offset);
        return this.k() === 'in' ? this.parseTermIn(call, keyVal, offset) : call;
      }
    }
    return lhs;
  }

  private parseBinary(
    lhsIn: Term | null,
    offset: number,
    ops: Kind[],
    operand: (offset: number) => Term | null,
  ): Term | null {
    let lhs = lhsIn ?? operand(offset);
    while (lhs) {
      const op = this.parseTermOp(...ops);
      if (!op) return lhs;
      const rhs = operand(this.tok.offset);
      if (!rhs) return lhs;
      lhs = this.callTerm([op, lhs, rhs], lhs.location, offset);
    }
    return lhs;
  }

  private parseTermRelation(lhs: Term | null, offset: number): Term | null {
    return this.parseBinary(lhs, offset, ['equal', 'neq', 'lt', 'gt', 'lte', 'gte'], (o) => this.parseTermOr(null, o));
  }

  private parseTermOr(lhs: Term | null, offset: number): Term | null {
    return this.parseBinary(lhs, offset, ['or'], (o) => this.parseTermAnd(null, o));
  }

  private parseTermAnd(lhs: Term | null, offset: number): Term | null {
    return this.parseBinary(lhs, offset, ['and'], (o) => this.parseTermArith(null, o));
  }

  private parseTermArith(lhs: Term | null, offset: number): Term | null {
    return this.parseBinary(lhs, offset, ['plus', 'minus'], (o) => this.parseTermFactor(null, o));
  }

  private parseTermFactor(lhs: Term | null, offset: number): Term | null {
    return this.parseBinary(lhs, offset, ['mul', 'div', 'rem'], () => this.parseTerm());
  }

  private parseTermOp(...kinds: Kind[]): Term | null {
    const k = this.k();
    if (!kinds.includes(k)) return null;
    const loc = this.loc();
    const r = mkTerm({ type: 'ref', value: [varTerm(k, loc)] }, loc);
    this.scan();
    return r;
  }

  private parseTermOpName(name: string, kind: Kind): Term | null {
    if (this.k() !== kind) return null;
    const loc = this.loc();
    const [head, ...rest] = name.split('.');
    const r = mkTerm({ type: 'ref', value: [varTerm(head, loc), ...rest.map((x) => stringTerm(x, { ...loc }))] }, loc);
    this.scan();
    return r;
  }

  // -------------------------------------------------------------------------------------------
  // terms
  // -------------------------------------------------------------------------------------------

  parseTerm(): Term | null {
    const key = this.s.pos * 4 + (this.s.wsPending ? 2 : 0) + (this.s.identPos === this.s.pos ? 1 : 0);
    const hit = this.cache.get(key);
    if (hit) {
      // replay only the errors the cached parse itself produced
      this.restore({ ...hit.post, errors: [...this.s.errors, ...hit.newErrors] });
      return hit.term ? cloneDeep(hit.term) : null;
    }
    const errorsBefore = this.s.errors.length;
    let t: Term | null = null;
    switch (this.k()) {
      case 'null':
        t = mkTerm({ type: 'null' }, this.loc());
        break;
      case 'true':
        t = booleanTerm(true, this.loc());
        break;
      case 'false':
        t = booleanTerm(false, this.loc());
        break;
      case 'minus':
      case '.':
      case 'number':
        t = this.parseNumber();
        break;
      case 'string':
        t = stringTerm(this.tok.value ?? '', this.loc());
        break;
      case 'template':
        t = this.parseTemplateString(this.tok.raw === true);
        break;
      case 'ident':
      case 'contains':
        t = this.parseVar();
        break;
      case '[':
        t = this.parseArray();
        break;
      case '{':
        t = this.parseSetOrObject();
        break;
      case '(': {
        const offset = this.tok.offset;
        this.scan();
        const r = this.parseTermInfixCall();
        if (r) {
          if (this.k() === ')') {
            r.location = { ...r.location, text: this.text(offset, this.tok.end) };
            t = r;
          } else {
            this.error(this.loc(), 'non-terminated expression');
          }
        }
        break;
      }
      default:
        this.illegalToken();
        break;
    }
    t = this.parseTermFinish(t);
    this.cache.set(key, { term: t, post: this.save(), newErrors: this.s.errors.slice(errorsBefore) });
    return t;
  }

  private parseTermFinish(head: Term | null): Term | null {
    if (!head) return null;
    const offset = head.location.offset ?? this.tok.offset;
    this.scanWS();
    switch (this.k()) {
      case '(':
      case '.':
      case '[':
        return this.parseRef(head, offset);
      case 'whitespace':
        this.scan();
        break;
    }
    if (head.value.type === 'var' && ROOT_DOCUMENTS.has(head.value.value)) {
      return mkTerm({ type: 'ref', value: [head] }, { ...head.location });
    }
    return head;
  }

  private parseVar(): Term {
    const lit = this.tok.lit;
    if (lit === '_') return varTerm(this.genWildcard(), this.loc());
    return varTerm(lit, this.loc());
  }

  private parseNumber(): Term | null {
    let prefix = '';
    const loc = this.loc();
    if (this.k() === 'minus') {
      prefix = '-';
      this.scan();
      if (this.k() !== 'number' && this.k() !== '.') {
        this.illegal('expected number');
        return null;
      }
    }
    if (this.k() === '.') {
      prefix += '.';
      this.scan();
      if (this.k() !== 'number') {
        this.illegal('expected number');
        return null;
      }
    }
    const lit = this.tok.lit;
    if (!prefix.endsWith('.') && lit.length > 1 && lit[0] === '0') {
      const isDecimal = lit[1] === '.';
      const isScientific = lit.length > 2 && (lit[1] === 'e' || lit[1] === 'E');
      if (!isDecimal && !isScientific) {
        this.illegal('expected number without leading zero');
        return null;
      }
    }
    const text = prefix + lit;
    if (decimalExponent(text) > MAX_DECIMAL_EXPONENT) {
      this.error(this.loc(), 'number too big');
      return null;
    }
    return mkTerm({ type: 'number', value: text }, { ...loc, text: this.text(loc.offset ?? 0, this.tok.end) });
  }

  private parseTemplateString(raw: boolean): Term | null {
    const loc = this.loc();
    const parts: (Term | Expr)[] = [];
    for (;;) {
      const tok = this.tok;
      if (this.k() !== 'template') {
        this.illegal('expected template-string part');
        return null;
      }
      if (tok.value) parts.push(stringTerm(tok.value, this.loc()));
      if (tok.tmplEnd) break;
      const exprStart = tok.end;
      this.scan();
      const expr = this.parseLiteral();
      if (!expr) {
        this.error(this.loc(), 'invalid template-string expression');
        return null;
      }
      if (expr.negated) {
        this.error(expr.location, "unexpected negation ('not') in template-string expression");
        return null;
      }
      const op = Array.isArray(expr.terms) ? operatorName(expr.terms[0]) : undefined;
      if (op === 'eq' && Array.isArray(expr.terms) && expr.terms.length === 3) {
        this.error(expr.location, "unexpected unification ('=') in template-string expression");
        return null;
      }
      if (op === 'assign' && Array.isArray(expr.terms) && expr.terms.length === 3) {
        this.error(expr.location, "unexpected assignment (':=') in template-string expression");
        return null;
      }
      if (!Array.isArray(expr.terms) && 'type' in expr.terms) {
        this.error(expr.location, `unexpected '${expr.terms.type === 'every' ? 'every' : 'some'}' in template-string expression`);
        return null;
      }
      const hasComment = this.comments.some((c) => (c.location.offset ?? -1) >= exprStart && (c.location.offset ?? -1) < this.tok.offset);
      const terms = expr.terms;
      if (!Array.isArray(terms) && !('type' in terms) && !hasComment && ['string', 'number', 'boolean', 'null'].includes(terms.value.type)) {
        parts.push(terms);
      } else {
        parts.push(expr);
      }
      if (this.k() !== '}') {
        this.error(this.loc(), 'expected } to end template string expression');
        return null;
      }
      this.scan(); // to the template-string continuation (lexed right after the closing brace)
    }
    return mkTerm({ type: 'templatestring', parts, multiLine: raw }, { ...loc, text: this.text(loc.offset ?? 0, this.tok.end) });
  }

  private parseCall(operator: Term, offset: number): Term | null {
    const loc = operator.location;
    this.scan(); // over '('
    if (this.k() === ')') {
      const end = this.tok.end;
      this.scanWS();
      const isSet =
        operator.value.type === 'ref' &&
        operator.value.value.length === 1 &&
        operator.value.value[0].value.type === 'var' &&
        operator.value.value[0].value.value === 'set';
      const t: Term = isSet ? mkTerm({ type: 'set', value: [] }, loc) : mkTerm({ type: 'call', value: [operator] }, loc);
      return this.setLoc(t, loc, offset, end);
    }
    const r = this.parseTermList(')', [operator]);
    if (r) {
      const end = this.tok.end;
      this.scanWS();
      return this.setLoc(mkTerm({ type: 'call', value: r }, loc), loc, offset, end);
    }
    return null;
  }

  private parseRef(head: Term, offset: number): Term | null {
    const loc = head.location;
    switch (head.value.type) {
      case 'var':
      case 'array':
      case 'object':
      case 'set':
      case 'arraycomprehension':
      case 'objectcomprehension':
      case 'setcomprehension':
      case 'call':
        break;
      default:
        this.error(loc, `illegal ref (head cannot be ${valueName(head.value)})`);
    }
    const ref: Term[] = [head];
    for (;;) {
      switch (this.k()) {
        case '.': {
          this.scanWS();
          if (this.k() !== 'ident' && !this.isAllowedRefKeyword(this.k())) {
            this.illegal('expected identifier');
            return null;
          }
          ref.push(stringTerm(this.tok.lit, this.loc()));
          this.scanWS();
          break;
        }
        case '(': {
          const opTerm = this.setLoc(mkTerm({ type: 'ref', value: ref }, loc), loc, offset, this.tok.offset);
          let t = this.parseCall(opTerm, offset);
          if (t) {
            if (this.k() === 'whitespace') {
              this.scan();
              return t;
            }
            if (this.k() === '.' || this.k() === '[') t = this.parseRef(t, offset);
          }
          return t;
        }
        case '[': {
          this.scan();
          const t = this.parseTermInfixCall();
          if (!t) return null;
          if (this.k() !== ']') {
            this.illegal('expected ]');
            return null;
          }
          ref.push(t);
          this.scanWS();
          break;
        }
        case 'whitespace': {
          const end = this.lastEnd;
          this.scan();
          return this.setLoc(mkTerm({ type: 'ref', value: ref }, loc), loc, offset, end);
        }
        default:
          return this.setLoc(mkTerm({ type: 'ref', value: ref }, loc), loc, offset, this.lastEnd);
      }
    }
  }

  private parseArray(): Term | null {
    const loc = this.loc();
    const offset = this.tok.offset;
    const done = (t: Term | null): Term | null => this.setLoc(t, loc, offset, this.tok.end);
    this.scan();
    if (this.k() === ']') return done(mkTerm({ type: 'array', value: [] }, loc));
    let potentialComprehension = true;
    if (this.k() === ',') {
      potentialComprehension = false;
      this.scan();
    }
    const s = this.save();
    const head = this.parseTerm();
    if (!head) return null;
    switch (this.k()) {
      case ']':
        return done(mkTerm({ type: 'array', value: [head] }, loc));
      case ',': {
        this.scan();
        const terms = this.parseTermList(']', [head]);
        return terms ? done(mkTerm({ type: 'array', value: terms }, loc)) : null;
      }
      case 'or':
        if (potentialComprehension) {
          this.scan();
          const body = this.parseBody(']');
          if (body) return done(mkTerm({ type: 'arraycomprehension', term: head, body }, loc));
          if (this.k() !== ',') return null;
        }
        break;
    }
    this.restore(s);
    const terms = this.parseTermList(']', []);
    return terms ? done(mkTerm({ type: 'array', value: terms }, loc)) : null;
  }

  private parseSetOrObject(): Term | null {
    const loc = this.loc();
    const offset = this.tok.offset;
    const done = (t: Term | null): Term | null => this.setLoc(t, loc, offset, this.tok.end);
    this.scan();
    if (this.k() === '}') return done(mkTerm({ type: 'object', value: [] }, loc));
    let potentialComprehension = true;
    if (this.k() === ',') {
      potentialComprehension = false;
      this.scan();
    }
    const s = this.save();
    let head = this.parseTerm();
    if (!head) return null;
    switch (this.k()) {
      case 'or':
        if (potentialComprehension) return done(this.parseSet(s, head, potentialComprehension, loc));
        break;
      case '}':
      case ',':
        return done(this.parseSet(s, head, potentialComprehension, loc));
      case ':':
        return done(this.parseObject(head, potentialComprehension, loc));
    }
    this.restore(s);
    head = this.parseTermInfixCallInList();
    if (!head) return null;
    switch (this.k()) {
      case '}':
      case ',':
        return done(this.parseSet(s, head, false, loc));
      case ':':
        return done(this.parseObject(head, potentialComprehension, loc));
    }
    this.illegal('non-terminated set');
    return null;
  }

  private parseSet(s: State, head: Term, potentialComprehension: boolean, loc: Location): Term | null {
    switch (this.k()) {
      case '}':
        return mkTerm({ type: 'set', value: [head] }, loc);
      case ',': {
        this.scan();
        const terms = this.parseTermList('}', [head]);
        return terms ? mkTerm({ type: 'set', value: terms }, loc) : null;
      }
      case 'or': {
        if (potentialComprehension) {
          this.scan();
          const body = this.parseBody('}');
          if (body) return mkTerm({ type: 'setcomprehension', term: head, body }, loc);
          if (this.k() !== ',') return null;
        }
        this.restore(s);
        const terms = this.parseTermList('}', []);
        return terms ? mkTerm({ type: 'set', value: terms }, loc) : null;
      }
    }
    return null;
  }

  private parseObject(k: Term, potentialComprehension: boolean, loc: Location): Term | null {
    this.scan(); // over ':'
    const s = this.save();
    const v = this.parseTerm();
    if (!v) return null;
    let potentialRelation = true;
    if (potentialComprehension) {
      const kk = this.k();
      if (kk === '}' || kk === ',' || kk === 'or') {
        if (kk !== 'or') potentialRelation = false;
        const t = this.parseObjectFinish(k, v, true, loc);
        if (t) return t;
      }
    }
    this.restore(s);
    if (potentialRelation) {
      const v2 = this.parseTermInfixCallInList();
      if (!v2) return null;
      if (this.k() === '}' || this.k() === ',') return this.parseObjectFinish(k, v2, false, loc);
    }
    this.illegal('non-terminated object');
    return null;
  }

  private parseObjectFinish(key: Term, val: Term, potentialComprehension: boolean, loc: Location): Term | null {
    switch (this.k()) {
      case '}':
        return mkTerm({ type: 'object', value: [[key, val]] }, loc);
      case 'or':
        if (potentialComprehension) {
          this.scan();
          const body = this.parseBody('}');
          if (body) return mkTerm({ type: 'objectcomprehension', key, value: val, body }, loc);
        } else {
          this.illegal('non-terminated object');
        }
        return null;
      case ',': {
        this.scan();
        const r = this.parseTermPairList('}', [[key, val]]);
        return r ? mkTerm({ type: 'object', value: r }, loc) : null;
      }
    }
    return null;
  }

  private parseTermList(end: Kind, r: Term[]): Term[] | null {
    return this.parseList(end, r, () => this.parseTermInfixCallInList());
  }

  private parseTermPairList(end: Kind, r: [Term, Term][]): [Term, Term][] | null {
    return this.parseList(end, r, (): [Term, Term] | null => {
      const key = this.parseTermInfixCallInList();
      if (!key) return null;
      if (this.k() !== ':') {
        this.illegal('expected ":"');
        return null;
      }
      this.scan();
      const val = this.parseTermInfixCallInList();
      return val ? [key, val] : null;
    });
  }

  /** Comma-separated items up to (not consuming) `end`, trailing comma allowed, appended to `r`. */
  private parseList<T>(end: Kind, r: T[], item: () => T | null): T[] | null {
    if (this.k() === end) return r;
    for (;;) {
      const x = item();
      if (!x) return null;
      r.push(x);
      if (this.k() === end) return r;
      if (this.k() === ',') {
        this.scan();
        if (this.k() === end) return r;
        continue;
      }
      this.illegal(`expected "," or "${end}"`);
      return null;
    }
  }

  // -------------------------------------------------------------------------------------------
  // module assembly
  // -------------------------------------------------------------------------------------------

  buildModule(stmts: Statement[]): Module | null {
    const version: RegoVersion = this.regoVersion === 1 || this.importsRegoV1 ? 1 : 0;
    const { module, problems } = assembleModule(this.file, stmts, this.comments, this.meta, version);
    if (problems.length > 0) this.s.errors = [...this.s.errors, ...problems];
    return module;
  }
}

/** Sets `location` of every node under `x` (OPA's setLocRecursive for chained rule heads). */
function setLocRecursive(x: unknown, loc: Location): void {
  if (Array.isArray(x)) {
    x.forEach((y) => setLocRecursive(y, loc));
    return;
  }
  if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    for (const [k, v] of Object.entries(o)) {
      if (k === 'location') o[k] = { ...loc };
      else setLocRecursive(v, loc);
    }
  }
}

/** Approximate |decimal exponent| of a number literal (to reject absurd sizes as OPA does). */
function decimalExponent(text: string): number {
  const m = /^-?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return 0;
  const intPart = (m[1] ?? '').replace(/^0+/, '');
  const frac = m[2] ?? '';
  const exp = Number(m[3] ?? '0');
  let mag: number;
  if (intPart.length > 0) mag = intPart.length - 1;
  else {
    const lead = frac.search(/[1-9]/);
    if (lead < 0) return 0; // zero
    mag = -(lead + 1);
  }
  return Math.abs(mag + exp);
}
