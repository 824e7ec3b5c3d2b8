/**
 * Term-level rewriting stages (OPA `compile.go`):
 *  - lowerTemplateStrings: `$"a{x}"` → `internal.template_string(["a", {__l | __l = x}])`
 *  - rewriteRuleHeadRefs: non-scalar head ref elements → generated vars (RewriteRuleHeadRefs)
 *  - rewritePrintCalls: `print(a, b)` → `internal.print([{__l | __l = a}, ...])`
 *  - rewriteExprTerms: nested calls → generated output vars; composite ref subjects and
 *    `every` domains → generated vars (RewriteExprTerms)
 *  - rewriteComprehensionTerms / rewriteRefsInHead: heads needing evaluation → generated vars
 *  - rewriteEquals: `a == b` → `a = b`
 *  - rewriteDynamicTerms: refs inside call args / ref keys / composites → generated vars
 */
import type { Body, Expr, Location, Rule, Term } from '../parse/ast';
import { isCallExpr, isEvery, isSomeDecl, isTermExpr, varTerm } from '../parse/ast';
import type { Diagnostics } from './diagnostics';
import type { LocalVarGenerator } from './vargen';
import { compareTerms, deepClone, eqExpr, forEachClosureBody, stripLocations, exprOperatorName, isEquality, operatorTermFor, requiresEval, termVars, SAFETY_PARAMS, VarCollector } from './terms';
import { outputVarsForBody } from './safety';
import type { ArityFn } from './safety';

function newVar(gen: LocalVarGenerator, loc: Location): Term {
  return varTerm(gen.generate(), loc);
}
function cloneTerm(t: Term): Term {
  return deepClone(t);
}

// ---- template strings ----------------------------------------------------------------------

/** Marks set comprehensions made for template-string parts (survives copies of the value). */
interface TemplatePartMark {
  templatePart?: boolean;
}

/**
 * OPA builds a plain one-element set `{x}` instead of `{__l | __l = x}` for a template part that
 * cannot be undefined: a local var, or a ref to rules that are constants. Same result, and
 * the plan matches OPA's. `isConstantRef` answers for data refs (after ref resolution).
 */
export function simplifyTemplateParts(t: Term, isConstantRef: (ref: Term) => boolean): void {
  const v = t.value;
  switch (v.type) {
    case 'setcomprehension': {
      const e = v.body[0];
      if ((v as TemplatePartMark).templatePart === true && v.body.length === 1 && e && isCallExpr(e) && e.with.length === 0 && e.terms.length === 3) {
        const rhs = e.terms[2]!;
        if (rhs.value.type === 'var' || (rhs.value.type === 'ref' && isConstantRef(rhs))) {
          t.value = { type: 'set', value: [rhs] };
          return;
        }
      }
      simplifyTemplateParts(v.term, isConstantRef);
      v.body.forEach((x) => forEachExprTerm(x, (y) => simplifyTemplateParts(y, isConstantRef)));
      return;
    }
    case 'arraycomprehension':
      simplifyTemplateParts(v.term, isConstantRef);
      v.body.forEach((x) => forEachExprTerm(x, (y) => simplifyTemplateParts(y, isConstantRef)));
      if (v.body.some((x) => isEvery(x))) v.body.forEach((x) => isEvery(x) && x.terms.body.forEach((y) => forEachExprTerm(y, (z) => simplifyTemplateParts(z, isConstantRef))));
      return;
    case 'objectcomprehension':
      simplifyTemplateParts(v.key, isConstantRef);
      simplifyTemplateParts(v.value, isConstantRef);
      v.body.forEach((x) => forEachExprTerm(x, (y) => simplifyTemplateParts(y, isConstantRef)));
      return;
    case 'ref':
    case 'array':
    case 'set':
    case 'call':
      v.value.forEach((x) => simplifyTemplateParts(x, isConstantRef));
      return;
    case 'object':
      v.value.forEach(([k, x]) => {
        simplifyTemplateParts(k, isConstantRef);
        simplifyTemplateParts(x, isConstantRef);
      });
      return;
    default:
      return;
  }
}

export function simplifyTemplatePartsInBody(b: Body, isConstantRef: (ref: Term) => boolean): void {
  for (const e of b) {
    forEachExprTerm(e, (t) => simplifyTemplateParts(t, isConstantRef));
    if (isEvery(e)) simplifyTemplatePartsInBody(e.terms.body, isConstantRef);
  }
}

export function simplifyTemplatePartsInRule(rule: Rule, isConstantRef: (ref: Term) => boolean): void {
  const h = rule.head;
  [...h.reference.slice(1), ...(h.key ? [h.key] : []), ...(h.value ? [h.value] : [])].forEach((t) => simplifyTemplateParts(t, isConstantRef));
  simplifyTemplatePartsInBody(rule.body, isConstantRef);
}

/** Replaces template strings (anywhere in a term) by `internal.template_string` calls. */
export function lowerTemplateStringsInTerm(t: Term, gen: LocalVarGenerator): void {
  const v = t.value;
  switch (v.type) {
    case 'templatestring': {
      const source = v.parts.length > 0 ? v.parts : [{ value: { type: 'string' as const, value: '' }, location: t.location }];
      const parts: Term[] = source.map((p) => {
        if (!('terms' in p)) return p;
        // Each expression part becomes `{__x | __x = expr}`: an undefined part is an empty set,
        // never an undefined template. (OPA uses a plain `{x}` set when x is known to be
        // defined, an optimisation with the same result.)
        lowerTemplateStringsInExpr(p, gen);
        const x = newVar(gen, p.location);
        const rhs: Term = Array.isArray(p.terms)
          ? { value: { type: 'call', value: p.terms }, location: p.location }
          : (p.terms as Term);
        const capture = eqExpr(cloneTerm(x), rhs, p.location, false);
        capture.with = p.with;
        const comp: Term = { value: { type: 'setcomprehension', term: x, body: [capture] }, location: p.location };
        (comp.value as TemplatePartMark).templatePart = true;
        return comp;
      });
      t.value = {
        type: 'call',
        value: [operatorTermFor('internal.template_string', t.location), { value: { type: 'array', value: parts }, location: t.location }],
      };
      return;
    }
    case 'ref':
    case 'array':
    case 'set':
    case 'call':
      v.value.forEach((x) => lowerTemplateStringsInTerm(x, gen));
      return;
    case 'object':
      v.value.forEach(([k, x]) => {
        lowerTemplateStringsInTerm(k, gen);
        lowerTemplateStringsInTerm(x, gen);
      });
      return;
    case 'arraycomprehension':
    case 'setcomprehension':
      lowerTemplateStringsInTerm(v.term, gen);
      v.body.forEach((e) => lowerTemplateStringsInExpr(e, gen));
      return;
    case 'objectcomprehension':
      lowerTemplateStringsInTerm(v.key, gen);
      lowerTemplateStringsInTerm(v.value, gen);
      v.body.forEach((e) => lowerTemplateStringsInExpr(e, gen));
      return;
    default:
      return;
  }
}

export function lowerTemplateStringsInExpr(e: Expr, gen: LocalVarGenerator): void {
  forEachExprTerm(e, (t) => lowerTemplateStringsInTerm(t, gen));
  if (isEvery(e)) e.terms.body.forEach((x) => lowerTemplateStringsInExpr(x, gen));
}

function forEachExprTerm(e: Expr, f: (t: Term) => void): void {
  if (isCallExpr(e)) e.terms.forEach(f);
  else if (isTermExpr(e)) f(e.terms);
  else if (isEvery(e)) {
    if (e.terms.key) f(e.terms.key);
    f(e.terms.value);
    f(e.terms.domain);
  } else if (isSomeDecl(e)) e.terms.symbols.forEach(f);
  for (const w of e.with) {
    f(w.target);
    f(w.value);
  }
}

export function lowerTemplateStringsInRule(rule: Rule, gen: LocalVarGenerator): void {
  const h = rule.head;
  h.reference.forEach((t) => lowerTemplateStringsInTerm(t, gen));
  // Function args keep template strings until their vars are rewritten (lowerTemplateStringsInArgs).
  if (h.key) lowerTemplateStringsInTerm(h.key, gen);
  if (h.value) lowerTemplateStringsInTerm(h.value, gen);
  rule.body.forEach((e) => lowerTemplateStringsInExpr(e, gen));
}

/** Lowers template strings in function args (after RewriteLocalVars made their vars arg vars). */
export function lowerTemplateStringsInArgs(rule: Rule, gen: LocalVarGenerator): void {
  (rule.head.args ?? []).forEach((t) => lowerTemplateStringsInTerm(t, gen));
}

// ---- rule head refs ------------------------------------------------------------------------

export function rewriteRuleHeadRefs(rule: Rule, gen: LocalVarGenerator): void {
  const ref = rule.head.reference;
  for (let i = 1; i < ref.length; i++) {
    const t = ref[i]!;
    const ty = t.value.type;
    if (ty === 'var' || ty === 'null' || ty === 'boolean' || ty === 'number' || ty === 'string') continue;
    const x = newVar(gen, t.location);
    const isKey = i === ref.length - 1 && rule.head.key !== undefined && JSON.stringify(stripLocations(rule.head.key.value)) === JSON.stringify(stripLocations(t.value));
    rule.body.push(eqExpr(cloneTerm(x), t, t.location));
    ref[i] = x;
    if (isKey) rule.head.key = cloneTerm(x);
  }
}

// ---- print ---------------------------------------------------------------------------------

/** OPA's erasePrintCalls: drops `print(...)` expressions everywhere (an emptied body becomes `true`). */
export function erasePrintCalls(body: Body): Body {
  const out = body.filter((e) => !isPrintCall(e));
  for (const e of out) {
    forEachExprTerm(e, (t) =>
      forEachClosureBody(t, (b) => {
        const nb = erasePrintCalls(b);
        b.splice(0, b.length, ...nb);
      }),
    );
    if (isEvery(e)) e.terms.body = erasePrintCalls(e.terms.body);
  }
  if (out.length === 0 && body.length > 0) {
    const loc = body[0]!.location;
    out.push({ index: 0, negated: false, terms: { value: { type: 'boolean', value: true }, location: loc }, with: [], location: loc });
  }
  return out;
}

function isPrintCall(e: Expr): boolean {
  return isCallExpr(e) && exprOperatorName(e) === 'print';
}

/** rewritePrintCalls: args must be bound by earlier expressions ("var x is undeclared"). */
export function rewritePrintCalls(body: Body, globals: Set<string>, arity: ArityFn, gen: LocalVarGenerator, diag: Diagnostics): void {
  body.forEach((e, i) => {
    const closures = (b: Body, extra: Set<string>): void => {
      const safe = new Set([...globals, ...outputVarsForBody(body.slice(0, i), arity, globals), ...extra]);
      rewritePrintCalls(b, safe, arity, gen, diag);
    };
    forEachExprTerm(e, (t) => forEachClosureBody(t, (b) => closures(b, new Set())));
    if (isEvery(e)) {
      const ev = e.terms;
      closures(ev.body, new Set([...(ev.key ? termVars(ev.key) : []), ...termVars(ev.value)]));
    }
  });
  body.forEach((e, i) => {
    if (!isPrintCall(e) || !isCallExpr(e)) return;
    const safe = new Set([...globals, ...outputVarsForBody(body.slice(0, i), arity, globals)]);
    const args = e.terms.slice(1);
    let bad = false;
    for (const a of args) {
      const vs = new VarCollector(SAFETY_PARAMS).term(a).vars;
      for (const v of [...vs].sort()) {
        if (!safe.has(v)) {
          diag.compile(`var ${v.startsWith('$') ? '_' : v} is undeclared`, a.location);
          bad = true;
        }
      }
    }
    if (bad) return;
    const elems: Term[] = args.map((a) => {
      const x = newVar(gen, a.location);
      return { value: { type: 'setcomprehension', term: x, body: [eqExpr(cloneTerm(x), a, a.location, false)] }, location: a.location };
    });
    e.terms = [operatorTermFor('internal.print', e.location), { value: { type: 'array', value: elems }, location: e.location }];
  });
}

// ---- expression terms ----------------------------------------------------------------------

export class ExprTermRewriter {
  constructor(private readonly gen: LocalVarGenerator) {}

  /** expandExprTerm: returns support expressions; may replace `t.value` in place. */
  term(t: Term): Expr[] {
    const v = t.value;
    switch (v.type) {
      case 'call': {
        const support: Expr[] = [];
        for (let i = 1; i < v.value.length; i++) support.push(...this.term(v.value[i]!));
        const out = newVar(this.gen, t.location);
        support.push({
          index: 0,
          negated: false,
          terms: [...v.value, cloneTerm(out)],
          with: [],
          generated: true,
          location: t.location,
        });
        t.value = out.value;
        return support;
      }
      case 'ref': {
        const support: Expr[] = [];
        v.value.forEach((x) => support.push(...this.term(x)));
        const subject = v.value[0]!;
        const st = subject.value.type;
        if (st === 'array' || st === 'object' || st === 'set' || st === 'arraycomprehension' || st === 'setcomprehension' || st === 'objectcomprehension' || st === 'call') {
          const x = newVar(this.gen, subject.location);
          support.push(eqExpr(cloneTerm(x), subject, subject.location));
          v.value[0] = x;
        }
        return support;
      }
      case 'array':
      case 'set': {
        const support: Expr[] = [];
        v.value.forEach((x) => support.push(...this.term(x)));
        return support;
      }
      case 'object': {
        const support: Expr[] = [];
        v.value.forEach(([k, x]) => {
          support.push(...this.term(k));
          support.push(...this.term(x));
        });
        return support;
      }
      case 'arraycomprehension':
      case 'setcomprehension':
        v.body.push(...this.term(v.term));
        v.body = this.body(v.body);
        return [];
      case 'objectcomprehension':
        v.body.push(...this.term(v.key));
        v.body.push(...this.term(v.value));
        v.body = this.body(v.body);
        return [];
      default:
        return [];
    }
  }

  /** expandExpr */
  expr(e: Expr): Expr[] {
    const result: Expr[] = [];
    for (const w of e.with) result.push(...this.term(w.value));
    if (isCallExpr(e)) {
      for (let i = 1; i < e.terms.length; i++) {
        const extras = this.term(e.terms[i]!);
        if (e.with.length > 0) extras.forEach((x) => (x.with = e.with));
        result.push(...extras);
      }
      result.push(e);
    } else if (isTermExpr(e)) {
      const extras = this.term(e.terms);
      if (e.with.length > 0) extras.forEach((x) => (x.with = e.with));
      result.push(...extras, e);
    } else if (isEvery(e)) {
      const ev = e.terms;
      const x = newVar(this.gen, ev.domain.location);
      const eq = eqExpr(cloneTerm(x), ev.domain, ev.domain.location);
      eq.with = e.with;
      result.push(...this.expr(eq));
      ev.domain = x;
      ev.body = this.body(ev.body);
      result.push(e);
    } else {
      result.push(e);
    }
    return result;
  }

  body(b: Body): Body {
    const out: Body = [];
    for (const e of b) out.push(...this.expr(e));
    return out;
  }

  rule(rule: Rule): void {
    const h = rule.head;
    const append = (extras: Expr[]): void => {
      rule.body.push(...extras);
    };
    (h.args ?? []).forEach((a) => append(this.term(a)));
    for (let i = 1; i < h.reference.length; i++) append(this.term(h.reference[i]!));
    if (h.key) append(this.term(h.key));
    if (h.value) append(this.term(h.value));
    rule.body = this.body(rule.body);
  }
}

// ---- comprehension heads and rule heads ----------------------------------------------------

export function rewriteComprehensionTermsInTerm(t: Term, gen: LocalVarGenerator): void {
  const v = t.value;
  switch (v.type) {
    case 'arraycomprehension':
    case 'setcomprehension':
      rewriteComprehensionTermsInBody(v.body, gen);
      rewriteComprehensionTermsInTerm(v.term, gen);
      if (requiresEval(v.term)) {
        const x = newVar(gen, v.term.location);
        v.body.push(eqExpr(cloneTerm(x), v.term, v.term.location));
        v.term = x;
      }
      return;
    case 'objectcomprehension':
      rewriteComprehensionTermsInBody(v.body, gen);
      rewriteComprehensionTermsInTerm(v.key, gen);
      rewriteComprehensionTermsInTerm(v.value, gen);
      if (requiresEval(v.key)) {
        const x = newVar(gen, v.key.location);
        v.body.push(eqExpr(cloneTerm(x), v.key, v.key.location));
        v.key = x;
      }
      if (requiresEval(v.value)) {
        const x = newVar(gen, v.value.location);
        v.body.push(eqExpr(cloneTerm(x), v.value, v.value.location));
        v.value = x;
      }
      return;
    case 'ref':
    case 'array':
    case 'set':
    case 'call':
      v.value.forEach((x) => rewriteComprehensionTermsInTerm(x, gen));
      return;
    case 'object':
      v.value.forEach(([k, x]) => {
        rewriteComprehensionTermsInTerm(k, gen);
        rewriteComprehensionTermsInTerm(x, gen);
      });
      return;
    default:
      return;
  }
}

export function rewriteComprehensionTermsInBody(b: Body, gen: LocalVarGenerator): void {
  for (const e of b) {
    forEachExprTerm(e, (t) => rewriteComprehensionTermsInTerm(t, gen));
    if (isEvery(e)) rewriteComprehensionTermsInBody(e.terms.body, gen);
  }
}

export function rewriteComprehensionTermsInRule(rule: Rule, gen: LocalVarGenerator): void {
  const h = rule.head;
  [...h.reference.slice(1), ...(h.args ?? []), ...(h.key ? [h.key] : []), ...(h.value ? [h.value] : [])].forEach((t) =>
    rewriteComprehensionTermsInTerm(t, gen),
  );
  rewriteComprehensionTermsInBody(rule.body, gen);
}

export function rewriteRefsInHead(rule: Rule, gen: LocalVarGenerator): void {
  const h = rule.head;
  const lift = (t: Term): Term => {
    const x = newVar(gen, t.location);
    rule.body.push(eqExpr(cloneTerm(x), t, t.location));
    return x;
  };
  if (h.key && requiresEval(h.key)) h.key = lift(h.key);
  if (h.value && requiresEval(h.value)) h.value = lift(h.value);
  for (let i = 1; i < h.reference.length; i++) if (requiresEval(h.reference[i])) h.reference[i] = lift(h.reference[i]!);
}

// ---- equals --------------------------------------------------------------------------------

export function rewriteEqualsInBody(b: Body): void {
  for (const e of b) {
    if (isCallExpr(e) && exprOperatorName(e) === 'equal' && e.terms.length === 3) {
      e.terms[0] = operatorTermFor('eq', e.terms[0]!.location);
    }
    forEachExprTerm(e, (t) => forEachClosureBody(t, rewriteEqualsInBody));
    if (isEvery(e)) rewriteEqualsInBody(e.terms.body);
  }
}

// ---- dynamic terms -------------------------------------------------------------------------

export class DynamicTermRewriter {
  constructor(private readonly gen: LocalVarGenerator) {}

  body(b: Body): Body {
    const out: Body = [];
    for (const e of b) {
      if (isCallExpr(e)) {
        if (isEquality(e)) {
          e.terms[1] = this.inTerm(e, e.terms[1]!, out);
          e.terms[2] = this.inTerm(e, e.terms[2]!, out);
        } else {
          for (let i = 1; i < e.terms.length; i++) e.terms[i] = this.one(e, e.terms[i]!, out);
        }
      } else if (isEvery(e)) {
        e.terms.domain = this.one(e, e.terms.domain, out);
        e.terms.body = this.body(e.terms.body);
      } else if (isTermExpr(e)) {
        e.terms = this.inTerm(e, e.terms, out);
      }
      out.push(e);
    }
    return out;
  }

  private inTerm(orig: Expr, t: Term, out: Body): Term {
    const v = t.value;
    switch (v.type) {
      case 'ref':
        for (let i = 1; i < v.value.length; i++) v.value[i] = this.one(orig, v.value[i]!, out);
        return t;
      case 'arraycomprehension':
      case 'setcomprehension':
      case 'objectcomprehension':
        v.body = this.body(v.body);
        return t;
      default:
        return this.one(orig, t, out);
    }
  }

  private one(orig: Expr, t: Term, out: Body): Term {
    const v = t.value;
    switch (v.type) {
      case 'ref': {
        for (let i = 1; i < v.value.length; i++) v.value[i] = this.one(orig, v.value[i]!, out);
        return this.generate(orig, t, out);
      }
      case 'set':
        v.value.sort(compareTerms);
        for (let i = 0; i < v.value.length; i++) v.value[i] = this.one(orig, v.value[i]!, out);
        return t;
      case 'array':
        for (let i = 0; i < v.value.length; i++) v.value[i] = this.one(orig, v.value[i]!, out);
        return t;
      case 'object':
        // OPA iterates objects in key order.
        v.value = [...v.value].sort(([a], [b]) => compareTerms(a, b)).map(([k, x]) => [this.one(orig, k, out), this.one(orig, x, out)] as [Term, Term]);
        return t;
      case 'arraycomprehension':
      case 'setcomprehension':
      case 'objectcomprehension':
        v.body = this.body(v.body);
        return this.generate(orig, t, out);
      default:
        return t;
    }
  }

  private generate(orig: Expr, t: Term, out: Body): Term {
    const x = newVar(this.gen, t.location);
    const eq = eqExpr(cloneTerm(x), t, t.location);
    eq.with = orig.with;
    out.push(eq);
    return x;
  }
}
