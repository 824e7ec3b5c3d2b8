/**
 * Small helpers over the AST used by every compiler pass: var collection (OPA's VarVisitor
 * with its skip params), canonical keys, OPA-style ref printing, term walking and equality
 * factories for generated `__localN__ = term` expressions.
 */
import type { ArrayComprehension, Body, Expr, Location, ObjectComprehension, Ref, Rule, SetComprehension, Term, Value, With } from '../parse/ast';
import { isCallExpr, isEvery, isSomeDecl, isTermExpr, operatorName, operatorTerm } from '../parse/ast';
import { formatRef, formatTerm, type TermFormat } from '../parse/format';

export interface VarVisitorParams {
  skipRefHead?: boolean;
  skipRefCallHead?: boolean;
  skipClosures?: boolean;
  skipObjectKeys?: boolean;
  skipSets?: boolean;
  skipWithTarget?: boolean;
}

/** OPA's SafetyCheckVisitorParams. */
export const SAFETY_PARAMS: VarVisitorParams = { skipRefCallHead: true, skipClosures: true };

/** Vars of a term, expression or body, honouring OPA's VarVisitor params. */
export class VarCollector {
  readonly vars = new Set<string>();
  constructor(private readonly p: VarVisitorParams = {}) {}

  term(t: Term): this {
    const v = t.value;
    switch (v.type) {
      case 'var':
        this.vars.add(v.value);
        break;
      case 'ref': {
        const [head, ...rest] = v.value;
        if (head && !(this.p.skipRefHead && head.value.type === 'var')) this.term(head);
        for (const x of rest) this.term(x);
        break;
      }
      case 'array':
        v.value.forEach((x) => this.term(x));
        break;
      case 'set':
        if (!this.p.skipSets) v.value.forEach((x) => this.term(x));
        break;
      case 'object':
        for (const [k, x] of v.value) {
          if (!this.p.skipObjectKeys) this.term(k);
          this.term(x);
        }
        break;
      case 'call': {
        const [op, ...args] = v.value;
        if (op) this.operator(op);
        args.forEach((x) => this.term(x));
        break;
      }
      case 'arraycomprehension':
      case 'setcomprehension':
        if (!this.p.skipClosures) {
          this.term(v.term);
          this.body(v.body);
        }
        break;
      case 'objectcomprehension':
        if (!this.p.skipClosures) {
          this.term(v.key);
          this.term(v.value);
          this.body(v.body);
        }
        break;
      case 'templatestring':
        for (const part of v.parts) {
          if ('terms' in part) this.expr(part);
          else this.term(part);
        }
        break;
      default:
        break;
    }
    return this;
  }

  private operator(op: Term): void {
    if (this.p.skipRefCallHead && op.value.type === 'ref') {
      op.value.value.slice(1).forEach((x) => this.term(x));
    } else if (this.p.skipRefCallHead && op.value.type === 'var') {
      // operator var skipped
    } else {
      this.term(op);
    }
  }

  expr(e: Expr): this {
    if (isCallExpr(e)) {
      const [op, ...args] = e.terms;
      if (op) this.operator(op);
      args.forEach((x) => this.term(x));
    } else if (isTermExpr(e)) {
      this.term(e.terms);
    } else if (isSomeDecl(e)) {
      e.terms.symbols.forEach((x) => this.term(x));
    } else if (isEvery(e)) {
      const ev = e.terms;
      if (this.p.skipClosures) {
        this.term(ev.domain);
        return this;
      }
      if (ev.key) this.term(ev.key);
      this.term(ev.value);
      this.term(ev.domain);
      this.body(ev.body);
    }
    for (const w of e.with) this.with(w);
    return this;
  }

  with(w: With): this {
    if (this.p.skipWithTarget) {
      this.term(w.value);
      return this;
    }
    if (this.p.skipRefCallHead) {
      // OPA: with targets and ref values are function/document names, not variables.
      if (w.target.value.type === 'ref') w.target.value.value.slice(1).forEach((x) => this.term(x));
      if (w.value.value.type === 'ref') w.value.value.value.slice(1).forEach((x) => this.term(x));
      else this.term(w.value);
      return this;
    }
    this.term(w.target);
    this.term(w.value);
    return this;
  }

  body(b: Body): this {
    b.forEach((e) => this.expr(e));
    return this;
  }
}

export function termVars(t: Term, p: VarVisitorParams = {}): Set<string> {
  return new VarCollector(p).term(t).vars;
}
export function exprVars(e: Expr, p: VarVisitorParams = {}): Set<string> {
  return new VarCollector(p).expr(e).vars;
}
export function bodyVars(b: Body, p: VarVisitorParams = {}): Set<string> {
  return new VarCollector(p).body(b).vars;
}

/** Canonical text of a value, ignoring locations (for equality and map keys). */
export function valueKey(v: Value): string {
  switch (v.type) {
    case 'null':
      return 'null';
    case 'boolean':
      return String(v.value);
    case 'number':
      return `n:${v.value}`;
    case 'string':
      return JSON.stringify(v.value);
    case 'var':
      return `v:${v.value}`;
    case 'ref':
      return `r(${v.value.map((t) => valueKey(t.value)).join(',')})`;
    case 'call':
      return `c(${v.value.map((t) => valueKey(t.value)).join(',')})`;
    case 'array':
      return `[${v.value.map((t) => valueKey(t.value)).join(',')}]`;
    case 'set':
      return `s{${v.value.map((t) => valueKey(t.value)).sort().join(',')}}`;
    case 'object':
      return `o{${v.value.map(([k, x]) => `${valueKey(k.value)}:${valueKey(x.value)}`).sort().join(',')}}`;
    default:
      return `${v.type}:${JSON.stringify(stripLocations(v))}`;
  }
}

export function termKey(t: Term): string {
  return valueKey(t.value);
}

/** Copy of AST data without its `location` fields (for structural comparison). */
export function stripLocations(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(stripLocations);
  if (x && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (k !== 'location') out[k] = stripLocations(v);
    return out;
  }
  return x;
}

/**
 * How the compiler prints terms in names and messages: `parse/format`'s printer, except that a
 * template string is always `$"..."` (compiled terms may carry a location without source text).
 */
const COMPILED_TERM_FORMAT: TermFormat = { templateString: 'placeholder' };

/** Rego text of a term (OPA's Term.String, good enough for names and messages). */
export function termString(t: Term): string {
  return formatTerm(t, COMPILED_TERM_FORMAT);
}

/** OPA's Ref.String(): `data.a["b c"][x]`. */
export function refString(ref: Ref): string {
  return formatRef(ref, COMPILED_TERM_FORMAT);
}

export function isScalar(v: Value): boolean {
  return v.type === 'null' || v.type === 'boolean' || v.type === 'number' || v.type === 'string';
}

export function isGroundTerm(t: Term): boolean {
  return termVars(t).size === 0 && !containsClosures(t);
}

/** OPA's Ref.GroundPrefix: terms up to (excluding) the first non-ground one. */
export function groundPrefix(ref: Ref): Ref {
  const out: Ref = [];
  for (let i = 0; i < ref.length; i++) {
    const t = ref[i]!;
    if (i > 0 && !isGroundTerm(t)) break;
    out.push(t);
  }
  return out;
}

export function containsRefsOrClosures(t: Term): boolean {
  return someTerm(t, (x) => {
    const ty = x.value.type;
    return ty === 'ref' || ty === 'arraycomprehension' || ty === 'setcomprehension' || ty === 'objectcomprehension';
  });
}

export function containsClosures(t: Term): boolean {
  return someTerm(t, (x) => {
    const ty = x.value.type;
    return ty === 'arraycomprehension' || ty === 'setcomprehension' || ty === 'objectcomprehension';
  });
}

/** True if `f` holds for `t` or any nested term (not descending into closures' bodies). */
export function someTerm(t: Term, f: (t: Term) => boolean): boolean {
  if (f(t)) return true;
  const v = t.value;
  switch (v.type) {
    case 'ref':
    case 'call':
    case 'array':
    case 'set':
      return v.value.some((x) => someTerm(x, f));
    case 'object':
      return v.value.some(([k, x]) => someTerm(k, f) || someTerm(x, f));
    default:
      return false;
  }
}

export type ClosureValue = ArrayComprehension | SetComprehension | ObjectComprehension;

/** Calls `f` with every comprehension term in `t` (outermost only: not those nested in a comprehension). */
export function forEachClosure(t: Term, f: (closure: Term<ClosureValue>) => void): void {
  const v = t.value;
  switch (v.type) {
    case 'arraycomprehension':
    case 'setcomprehension':
    case 'objectcomprehension':
      f(t as Term<ClosureValue>);
      return;
    case 'ref':
    case 'array':
    case 'set':
    case 'call':
      v.value.forEach((x) => forEachClosure(x, f));
      return;
    case 'object':
      v.value.forEach(([k, x]) => {
        forEachClosure(k, f);
        forEachClosure(x, f);
      });
      return;
    default:
      return;
  }
}

/** Calls `f` with the body of every comprehension in `t` (outermost only, as `forEachClosure`). */
export function forEachClosureBody(t: Term, f: (b: Body) => void): void {
  forEachClosure(t, (c) => f(c.value.body));
}

/** OPA's OPA `OPA RequiresEval`: contains refs or comprehensions. */
export function requiresEval(t: Term | undefined): boolean {
  return t !== undefined && containsRefsOrClosures(t);
}

export const EQ = 'eq';

/** Operator ref for a builtin name (`internal.member_2`): the parser's `operatorTerm`. */
export const operatorTermFor: (name: string, loc: Location) => Term = operatorTerm;

/** Builds `lhs = rhs` as a generated expression. */
export function eqExpr(lhs: Term, rhs: Term, loc: Location, generated = true): Expr {
  return { index: 0, negated: false, terms: [operatorTermFor(EQ, loc), lhs, rhs], with: [], generated, location: loc };
}

export function exprOperatorName(e: Expr): string | undefined {
  if (!isCallExpr(e)) return undefined;
  const op = e.terms[0];
  return op ? operatorNameOf(op) : undefined;
}

/** Dotted name of an operator term (var or ref of var + strings; full refs too, `data.a.f`): the parser's `operatorName`. */
export const operatorNameOf: (t: Term) => string | undefined = operatorName;

export function isEquality(e: Expr): boolean {
  return isCallExpr(e) && exprOperatorName(e) === EQ && e.terms.length === 3;
}
export function isAssignment(e: Expr): boolean {
  return isCallExpr(e) && exprOperatorName(e) === 'assign';
}

/** Visit every rule of a module including else branches (OPA's WalkRules). */
export function forEachRule(rules: Rule[], f: (r: Rule, top: Rule) => void): void {
  for (const r of rules) {
    f(r, r);
    for (let e = r.else; e; e = e.else) f(e, r);
  }
}

export function rootName(t: Term): string | undefined {
  if (t.value.type === 'var') return t.value.value;
  if (t.value.type === 'ref') {
    const h = t.value.value[0];
    if (h && h.value.type === 'var') return h.value.value;
  }
  return undefined;
}

const RANK: Record<string, number> = {
  null: 0, boolean: 1, number: 2, string: 3, var: 4, ref: 5, array: 6, object: 7, set: 8,
  arraycomprehension: 9, objectcomprehension: 10, setcomprehension: 11, call: 12, templatestring: 13,
};

/** Rego's total order over (ground-ish) terms, as OPA's ast.Compare (numbers by value). */
export function compareTerms(a: Term, b: Term): number {
  const va = a.value;
  const vb = b.value;
  if (va.type !== vb.type) return (RANK[va.type] ?? 99) - (RANK[vb.type] ?? 99);
  switch (va.type) {
    case 'boolean':
      return Number(va.value) - Number((vb as typeof va).value);
    case 'number': {
      const x = Number(va.value);
      const y = Number((vb as typeof va).value);
      if (x !== y) return x < y ? -1 : 1;
      return 0;
    }
    case 'string':
    case 'var': {
      const y = (vb as typeof va).value;
      return va.value < y ? -1 : va.value > y ? 1 : 0;
    }
    default: {
      const x = valueKey(va);
      const y = valueKey(vb);
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}

/** Deep copy of plain JSON-like AST data (much cheaper than structuredClone for AST trees). */
export function deepClone<T>(x: T): T {
  if (x === null || typeof x !== 'object') return x;
  if (Array.isArray(x)) {
    const out = new Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = deepClone(x[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const k in x as Record<string, unknown>) {
    const v = (x as Record<string, unknown>)[k];
    // Locations are immutable by convention: share them.
    out[k] = k === 'location' ? v : deepClone(v);
  }
  return out as T;
}
