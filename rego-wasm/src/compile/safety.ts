/**
 * Stages CheckSafetyRuleHeads and CheckSafetyRuleBodies (OPA `compile.go`:
 * reorderBodyForSafety, outputVarsForExpr, the unifier in `unify.go`).
 *
 * A body is reordered so that every expression runs only once the vars it reads are bound;
 * closures (comprehensions, `every`) are checked recursively with the vars of the preceding
 * expressions as globals. Vars that can never be bound are `rego_unsafe_var_error`s.
 */
import type { Body, Expr, Term, Value } from '../parse/ast';
import { isCallExpr, isEvery, isTermExpr } from '../parse/ast';
import {
  SAFETY_PARAMS,
  VarCollector,
  bodyVars,
  exprVars,
  isEquality,
  termVars,
  exprOperatorName,
  forEachClosure,
  stripLocations,
} from './terms';

/** Arity of a callable operator name; -1 when unknown (OPA's GetArity). */
export type ArityFn = (name: string) => number;

function union(a: Set<string>, b: Iterable<string>): Set<string> {
  const out = new Set(a);
  for (const x of b) out.add(x);
  return out;
}
function diff(a: Set<string>, b: Set<string>): Set<string> {
  const out = new Set<string>();
  for (const x of a) if (!b.has(x)) out.add(x);
  return out;
}

function refOutputVars(ref: Term[]): Set<string> {
  return new VarCollector({ skipRefHead: true }).term({ value: { type: 'ref', value: ref }, location: ref[0]!.location }).vars;
}

function isCallSafe(call: Term[], safe: Set<string>): boolean {
  const c = new VarCollector(SAFETY_PARAMS);
  c.term({ value: { type: 'call', value: call }, location: call[0]!.location });
  return diff(c.vars, safe).size === 0;
}

function isRefSafe(ref: Term[], safe: Set<string>): boolean {
  const head = ref[0];
  if (!head) return false;
  if (head.value.type === 'var') return safe.has(head.value.value);
  if (head.value.type === 'call') return isCallSafe(head.value.value, safe);
  return diff(termVars(head), safe).size === 0;
}

/** Vars bound by the refs of an expression/term whose heads are safe (outputVarsForTerms). */
function outputVarsForTerms(terms: Term[], safe: Set<string>): Set<string> {
  const out = new Set<string>();
  const walk = (t: Term): void => {
    const v = t.value;
    switch (v.type) {
      case 'arraycomprehension':
      case 'setcomprehension':
      case 'objectcomprehension':
        return;
      case 'ref':
        if (!isRefSafe(v.value, safe)) return;
        refOutputVars(v.value).forEach((x) => out.add(x));
        v.value.forEach(walk);
        return;
      case 'array':
      case 'set':
      case 'call':
        v.value.forEach(walk);
        return;
      case 'object':
        v.value.forEach(([k, x]) => {
          walk(k);
          walk(x);
        });
        return;
      default:
        return;
    }
  };
  terms.forEach(walk);
  return out;
}

function exprTermList(e: Expr): Term[] {
  if (isCallExpr(e)) return e.terms;
  if (isTermExpr(e)) return [e.terms];
  if (isEvery(e)) return [e.terms.domain];
  return [];
}

export function outputVarsForExprEq(e: Expr, safe: Set<string>): Set<string> {
  if (!isCallExpr(e) || e.terms.length !== 3) return new Set(safe);
  const output = union(outputVarsForTerms(e.terms, safe), safe);
  const unified = unify(output, e.terms[1]!, e.terms[2]!);
  return diff(union(output, unified), safe);
}

function outputVarsForExprCall(e: Expr & { terms: Term[] }, arity: number, safe: Set<string>): Set<string> {
  const output = outputVarsForTerms(e.terms, safe);
  const numInputTerms = arity + 1;
  if (numInputTerms >= e.terms.length) return output;
  const params = { skipClosures: true, skipSets: true, skipObjectKeys: true, skipRefHead: true };
  const inputs = new VarCollector(params);
  e.terms.slice(1, numInputTerms).forEach((t) => inputs.term(t));
  if (diff(diff(inputs.vars, output), safe).size > 0) return new Set();
  const outs = new VarCollector(params);
  e.terms.slice(numInputTerms).forEach((t) => outs.term(t));
  return union(output, outs.vars);
}

export function outputVarsForExpr(e: Expr, arity: ArityFn, safe: Set<string>): Set<string> {
  if (e.negated) return new Set();
  for (const w of e.with) {
    const vs = new VarCollector(SAFETY_PARAMS).with(w).vars;
    if (diff(vs, safe).size > 0) return new Set();
  }
  if (isCallExpr(e)) {
    if (isEquality(e)) return outputVarsForExprEq(e, safe);
    const name = exprOperatorName(e);
    if (name === undefined) return new Set();
    const ar = arity(name);
    if (ar < 0) return new Set();
    return outputVarsForExprCall(e, ar, safe);
  }
  if (isTermExpr(e)) return outputVarsForTerms([e.terms], safe);
  if (isEvery(e)) return outputVarsForTerms([e.terms.domain], safe);
  return new Set();
}

export function outputVarsForBody(body: Body, arity: ArityFn, safe: Set<string>): Set<string> {
  let o = new Set(safe);
  for (const e of body) o = union(o, outputVarsForExpr(e, arity, o));
  return diff(o, safe);
}

// ---- unifier (OPA unify.go) ----------------------------------------------------------------

class Unifier {
  readonly unified = new Set<string>();
  private readonly unknown = new Map<string, Set<string>>();
  constructor(private readonly safe: Set<string>) {}

  private isSafe(x: string): boolean {
    return this.safe.has(x) || this.unified.has(x);
  }
  private headSafe(ref: Term[]): boolean {
    const h = ref[0];
    if (!h) return false;
    if (h.value.type === 'var') return this.isSafe(h.value.value);
    return [...termVars(h)].every((v) => this.isSafe(v));
  }
  private callSafe(call: Term[]): boolean {
    const c = new VarCollector(SAFETY_PARAMS);
    c.term({ value: { type: 'call', value: call }, location: call[0]!.location });
    return [...c.vars].every((v) => this.isSafe(v));
  }

  markSafe(x: string): void {
    this.unified.add(x);
    const deps = this.unknown.get(x);
    this.unknown.delete(x);
    if (deps) for (const v of deps) this.markSafe(v);
    for (const [v, d] of [...this.unknown]) {
      if (d.has(x)) {
        d.delete(x);
        if (d.size === 0) {
          this.unknown.delete(v);
          this.markSafe(v);
        }
      }
    }
  }
  private markUnknown(a: string, b: string): void {
    let s = this.unknown.get(a);
    if (!s) this.unknown.set(a, (s = new Set()));
    s.add(b);
  }
  private visitorVars(v: Value): Set<string> {
    return new VarCollector({ skipRefHead: true, skipObjectKeys: true, skipClosures: true }).term({ value: v, location: { file: '', row: 0, col: 0 } }).vars;
  }
  private markAllSafe(v: Value): void {
    for (const x of this.visitorVars(v)) this.markSafe(x);
  }
  private unifyAll(a: string, b: Value): void {
    if (this.isSafe(a)) this.markAllSafe(b);
    else {
      const unsafe = [...this.visitorVars(b)].filter((x) => !this.isSafe(x));
      if (unsafe.length === 0) this.markSafe(a);
      else for (const v of unsafe) this.markUnknown(a, v);
    }
  }

  unify(a: Term, b: Term): void {
    const av = a.value;
    const bv = b.value;
    switch (av.type) {
      case 'var':
        switch (bv.type) {
          case 'var':
            if (this.isSafe(bv.value)) this.markSafe(av.value);
            else if (this.isSafe(av.value)) this.markSafe(bv.value);
            else {
              this.markUnknown(av.value, bv.value);
              this.markUnknown(bv.value, av.value);
            }
            return;
          case 'array':
          case 'object':
            this.unifyAll(av.value, bv);
            return;
          case 'ref':
            if (this.headSafe(bv.value)) this.markSafe(av.value);
            return;
          case 'call':
            if (this.callSafe(bv.value)) this.markSafe(av.value);
            return;
          default:
            this.markSafe(av.value);
            return;
        }
      case 'ref':
        if (this.headSafe(av.value)) {
          if (bv.type === 'var') this.markSafe(bv.value);
          else if (bv.type === 'array' || bv.type === 'object') this.markAllSafe(bv);
        }
        return;
      case 'call':
        if (this.callSafe(av.value)) {
          if (bv.type === 'var') this.markSafe(bv.value);
          else if (bv.type === 'array' || bv.type === 'object') this.markAllSafe(bv);
        }
        return;
      case 'arraycomprehension':
      case 'setcomprehension':
      case 'objectcomprehension':
        if (bv.type === 'var') this.markSafe(bv.value);
        else if (bv.type === 'array' || bv.type === 'object') this.markAllSafe(bv);
        return;
      case 'array':
        switch (bv.type) {
          case 'var':
            this.unifyAll(bv.value, av);
            return;
          case 'arraycomprehension':
          case 'setcomprehension':
          case 'objectcomprehension':
            this.markAllSafe(av);
            return;
          case 'ref':
            if (this.headSafe(bv.value)) this.markAllSafe(av);
            return;
          case 'call':
            if (this.callSafe(bv.value)) this.markAllSafe(av);
            return;
          case 'array':
            if (av.value.length === bv.value.length) av.value.forEach((x, i) => this.unify(x, bv.value[i]!));
            return;
          default:
            return;
        }
      case 'object':
        switch (bv.type) {
          case 'var':
            this.unifyAll(bv.value, av);
            return;
          case 'ref':
            if (this.headSafe(bv.value)) this.markAllSafe(av);
            return;
          case 'call':
            if (this.callSafe(bv.value)) this.markAllSafe(av);
            return;
          case 'object':
            if (av.value.length === bv.value.length) {
              for (const [k, x] of av.value) {
                const kk = JSON.stringify(stripLocations(k.value));
                const match = bv.value.find(([k2]) => JSON.stringify(stripLocations(k2.value)) === kk);
                if (match) this.unify(x, match[1]);
              }
            }
            return;
          default:
            return;
        }
      default:
        if (bv.type === 'var') this.markSafe(bv.value);
        return;
    }
  }
}

export function unify(safe: Set<string>, a: Term, b: Term): Set<string> {
  const u = new Unifier(safe);
  u.unify(a, b);
  return u.unified;
}

// ---- reordering ------------------------------------------------------------------------------

/** Unsafe vars per expression (identity), in the order they were found. */
export class UnsafeVars {
  readonly byExpr = new Map<Expr, Set<string>>();
  add(e: Expr, v: string): void {
    let s = this.byExpr.get(e);
    if (!s) this.byExpr.set(e, (s = new Set()));
    s.add(v);
  }
  set(e: Expr, vs: Set<string>): void {
    this.byExpr.set(e, new Set(vs));
  }
  update(o: UnsafeVars): void {
    for (const [e, vs] of o.byExpr) for (const v of vs) this.add(e, v);
  }
  get size(): number {
    return this.byExpr.size;
  }
}

/** All vars inside closures of an expression (unsafeVarsInClosures). */
function varsInClosures(e: Expr): Set<string> {
  const out = new Set<string>();
  const c = new VarCollector();
  const walkTerm = (t: Term): void => forEachClosure(t, (closure) => c.term(closure));
  if (isEvery(e)) c.body(e.terms.body);
  exprTermList(e).forEach(walkTerm);
  for (const w of e.with) {
    walkTerm(w.target);
    walkTerm(w.value);
  }
  c.vars.forEach((v) => out.add(v));
  return out;
}

export function reorderBodyForSafety(arity: ArityFn, globals: Set<string>, body: Body): { body: Body; unsafe: UnsafeVars } {
  const bv = bodyVars(body, SAFETY_PARAMS);
  const reordered: Body = [];
  const placed = new Set<Expr>();
  let safe = new Set<string>();
  const unsafe = new UnsafeVars();
  for (const e of body) {
    for (const v of exprVars(e, SAFETY_PARAMS)) {
      if (globals.has(v)) safe.add(v);
      else unsafe.add(e, v);
    }
  }
  for (;;) {
    const n = reordered.length;
    for (const e of body) {
      if (placed.has(e)) continue;
      const ovs = outputVarsForExpr(e, arity, safe);
      const vs = varsInClosures(e);
      const cv = diff(new Set([...vs].filter((v) => bv.has(v))), globals);
      const uv = diff(cv, outputVarsForBody(reordered, arity, globals));
      if (uv.size > 0) {
        if (uv.size === ovs.size && [...uv].every((v) => ovs.has(v))) continue;
        unsafe.set(e, uv);
      }
      const mine = unsafe.byExpr.get(e);
      if (mine) {
        for (const v of [...mine]) if (ovs.has(v) || safe.has(v)) mine.delete(v);
        if (mine.size === 0) unsafe.byExpr.delete(e);
      }
      if (!unsafe.byExpr.has(e)) {
        reordered.push(e);
        placed.add(e);
        safe = union(safe, ovs);
      }
    }
    if (reordered.length === n) break;
  }

  // Closures: reorder their bodies with the vars of the preceding expressions as globals.
  let g = new Set(globals);
  reordered.forEach((e, i) => {
    if (i > 0) g = union(g, exprVars(reordered[i - 1]!, SAFETY_PARAMS));
    new ClosureSafety(arity, e, g, unsafe).expr(e);
  });
  return { body: reordered, unsafe };
}

class ClosureSafety {
  constructor(
    private readonly arity: ArityFn,
    private readonly current: Expr,
    private globals: Set<string>,
    private readonly unsafe: UnsafeVars,
  ) {}

  expr(e: Expr): void {
    if (isEvery(e)) {
      const ev = e.terms;
      this.term(ev.domain);
      const kv = new Set<string>([...(ev.key ? termVars(ev.key) : []), ...termVars(ev.value)]);
      this.globals = union(this.globals, kv);
      ev.body = this.reorder(new Set(), ev.body);
    } else exprTermList(e).forEach((t) => this.term(t));
    for (const w of e.with) {
      this.term(w.target);
      this.term(w.value);
    }
  }

  private term(t: Term): void {
    const v = t.value;
    switch (v.type) {
      case 'arraycomprehension':
      case 'setcomprehension':
        v.body = this.reorder(termVars(v.term), v.body);
        return;
      case 'objectcomprehension':
        v.body = this.reorder(union(termVars(v.key), termVars(v.value)), v.body);
        return;
      case 'ref':
      case 'array':
      case 'set':
      case 'call':
        v.value.forEach((x) => this.term(x));
        return;
      case 'object':
        v.value.forEach(([k, x]) => {
          this.term(k);
          this.term(x);
        });
        return;
      default:
        return;
    }
  }

  private reorder(headVars: Set<string>, body: Body): Body {
    const bv = union(bodyVars(body, SAFETY_PARAMS), this.globals);
    for (const v of diff(headVars, bv)) this.unsafe.add(this.current, v);
    const r = reorderBodyForSafety(this.arity, this.globals, body);
    if (r.unsafe.size === 0) return r.body;
    this.unsafe.update(r.unsafe);
    return body;
  }
}
