/**
 * Stage RewriteLocalVars (OPA `compile.go`: rewriteLocalVars, rewriteDeclaredVarsInBody,
 * rewriteSomeDeclStatement, rewriteEveryStatement, rewriteDeclaredAssignment ...).
 *
 * Every var introduced by `:=`, `some`, `every` or a function arg gets a unique generated
 * name (`__localN__`), so shadowing works by construction; `:=` becomes `=`; `some x` decls
 * disappear; `some k, v in xs` becomes `v = xs[k]` with k, v declared. Errors use OPA's words:
 * `var x assigned above`, `var x referenced above`, `var x declared above`, `arg x redeclared`,
 * `declared var x unused`, `cannot assign vars inside negated expression`, `cannot assign to
 * <type>`, `called function f shadowed`.
 */
import type { Body, Expr, Rule, Term, Value } from '../parse/ast';
import { isCallExpr, isEvery, isSomeDecl, refTerm, varTerm } from '../parse/ast';
import type { Diagnostics } from './diagnostics';
import type { LocalVarGenerator } from './vargen';
import { bodyVars, forEachClosure, isAssignment, termVars, operatorTermFor } from './terms';
import { outputVarsForExprEq } from './safety';
import { isGeneratedVar } from './types';

type Occurrence = 'new' | 'arg' | 'assigned' | 'declared' | 'seen';

class Frame {
  readonly vs = new Map<string, string>();
  readonly reverse = new Map<string, string>();
  readonly occurrence = new Map<string, Occurrence>();
}

/** OPA's localDeclaredVars: a stack of scopes mapping user var names to generated ones. */
export class DeclaredVarStack {
  frames: Frame[] = [new Frame()];
  /** generated name → user name, for every var ever rewritten */
  readonly rewritten: Map<string, string>;

  constructor(rewritten?: Map<string, string>) {
    this.rewritten = rewritten ?? new Map();
  }

  copy(): DeclaredVarStack {
    const s = new DeclaredVarStack(this.rewritten);
    s.frames = this.frames.map((f) => {
      const c = new Frame();
      f.vs.forEach((v, k) => c.vs.set(k, v));
      f.reverse.forEach((v, k) => c.reverse.set(k, v));
      f.occurrence.forEach((v, k) => c.occurrence.set(k, v));
      return c;
    });
    return s;
  }
  push(): void {
    this.frames.push(new Frame());
  }
  pop(): Frame {
    return this.frames.pop()!;
  }
  peek(): Frame {
    return this.frames[this.frames.length - 1]!;
  }
  insert(x: string, y: string, occ: Occurrence): void {
    const f = this.peek();
    f.vs.set(x, y);
    f.reverse.set(y, x);
    f.occurrence.set(x, occ);
    if (x !== y) this.rewritten.set(y, x);
  }
  declared(x: string): string | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const y = this.frames[i]!.vs.get(x);
      if (y !== undefined) return y;
    }
    return undefined;
  }
  occurrence(x: string): Occurrence {
    return this.peek().occurrence.get(x) ?? 'new';
  }
  globalOccurrence(x: string): Occurrence | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const o = this.frames[i]!.occurrence.get(x);
      if (o !== undefined) return o;
    }
    return undefined;
  }
}

const ROOTS = new Set(['input', 'data']);

/** OPA's ValueName: the value's type name as used in messages (`cannot assign to ref`). */
function typeName(v: Value): string {
  return v.type;
}

export class LocalVarRewriter {
  constructor(
    private readonly gen: LocalVarGenerator,
    private readonly diag: Diagnostics,
  ) {}

  private declare(stack: DeclaredVarStack, v: string, occ: Occurrence, loc: Term['location']): string | undefined {
    switch (stack.occurrence(v)) {
      case 'seen':
        this.diag.compile(`var ${v} referenced above`, loc);
        return undefined;
      case 'assigned':
        this.diag.compile(`var ${v} assigned above`, loc);
        return undefined;
      case 'declared':
        this.diag.compile(`var ${v} declared above`, loc);
        return undefined;
      case 'arg':
        this.diag.compile(`arg ${v} redeclared`, loc);
        return undefined;
      default: {
        const gv = this.gen.generate();
        stack.insert(v, gv, occ);
        return gv;
      }
    }
  }

  // ---- terms -------------------------------------------------------------------------------

  /** rewriteDeclaredVarsInTermRecursive */
  term(stack: DeclaredVarStack, t: Term): void {
    const v = t.value;
    switch (v.type) {
      case 'var': {
        const gv = stack.declared(v.value);
        if (gv !== undefined) {
          t.value = { type: 'var', value: gv };
        } else if (stack.occurrence(v.value) === 'new') {
          stack.insert(v.value, v.value, 'seen');
        }
        return;
      }
      case 'ref': {
        const head = v.value[0];
        if (v.value.length === 1 && head && head.value.type === 'var' && ROOTS.has(head.value.value)) {
          const occ = stack.globalOccurrence(head.value.value);
          if (occ !== undefined && occ !== 'seen') {
            t.value = { type: 'var', value: stack.declared(head.value.value)! };
          }
          return;
        }
        v.value.forEach((x) => this.term(stack, x));
        return;
      }
      case 'call': {
        const op = v.value[0];
        if (op) {
          for (const name of termVars(op)) {
            const gv = stack.declared(name);
            if (gv !== undefined && gv !== name) {
              this.diag.compile(`called function ${exprNameOf(op)} shadowed`, t.location);
            }
          }
        }
        v.value.slice(1).forEach((x) => this.term(stack, x));
        return;
      }
      case 'array':
      case 'set':
        v.value.forEach((x) => this.term(stack, x));
        return;
      case 'object':
        v.value.forEach(([k, x]) => {
          this.term(stack, k);
          this.term(stack, x);
        });
        return;
      case 'arraycomprehension':
      case 'setcomprehension': {
        const used = termVars(v.term);
        stack.push();
        v.body = this.bodyIn(stack, used, v.body);
        this.term(stack, v.term);
        stack.pop();
        return;
      }
      case 'objectcomprehension': {
        const used = new Set([...termVars(v.key), ...termVars(v.value)]);
        stack.push();
        v.body = this.bodyIn(stack, used, v.body);
        this.term(stack, v.key);
        this.term(stack, v.value);
        stack.pop();
        return;
      }
      default:
        return;
    }
  }

  private exprTermsAndWith(stack: DeclaredVarStack, e: Expr): void {
    if (isCallExpr(e)) {
      const [op, ...args] = e.terms;
      if (op) {
        for (const name of termVars(op)) {
          const gv = stack.declared(name);
          if (gv !== undefined && gv !== name && !ROOTS.has(name)) {
            this.diag.compile(`called function ${exprNameOf(op)} shadowed`, e.location);
          }
        }
      }
      args.forEach((t) => this.term(stack, t));
    } else if (!isSomeDecl(e) && !isEvery(e)) {
      this.term(stack, e.terms as Term);
    }
    for (const w of e.with) this.with(stack, w.target, w.value);
  }

  private with(stack: DeclaredVarStack, target: Term, value: Term): void {
    // `with input as` / `with input.a as`: the target's `input` is never a local var.
    const tv = target.value;
    if (tv.type === 'ref') tv.value.slice(1).forEach((x) => this.term(stack, x));
    this.term(stack, value);
  }

  // ---- expressions ---------------------------------------------------------------------------

  private assignment(stack: DeclaredVarStack, e: Expr & { terms: Term[] }): void {
    if (e.negated) {
      this.diag.compile('cannot assign vars inside negated expression', e.location);
      return;
    }
    if (e.terms.length !== 3) return;
    const before = this.diag.errors.length;
    this.term(stack, e.terms[2]!);
    for (const w of e.with) this.term(stack, w.value);
    const lhs = e.terms[1]!;
    const visit = (t: Term): void => {
      const v = t.value;
      switch (v.type) {
        case 'var': {
          const gv = this.declare(stack, v.value, 'assigned', t.location);
          if (gv) t.value = { type: 'var', value: gv };
          return;
        }
        case 'array':
          v.value.forEach(visit);
          return;
        case 'object':
          v.value.forEach(([, x]) => visit(x));
          return;
        case 'ref': {
          const head = v.value[0];
          if (v.value.length === 1 && head && head.value.type === 'var' && ROOTS.has(head.value.value)) {
            const gv = this.declare(stack, head.value.value, 'assigned', t.location);
            if (gv) t.value = { type: 'var', value: gv };
            return;
          }
          break;
        }
        default:
          break;
      }
      this.diag.compile(`cannot assign to ${typeName(v)}`, t.location);
    };
    visit(lhs);
    if (this.diag.errors.length === before) {
      const loc = e.terms[0]!.location;
      e.terms[0] = operatorTermFor('eq', loc);
    }
  }

  /** `some x` (dropped) or `some k, v in xs` (→ `v = xs[k]`). Returns the replacement expr or undefined. */
  private someDecl(stack: DeclaredVarStack, e: Expr): Expr | undefined {
    if (!isSomeDecl(e)) return e;
    const syms = e.terms.symbols;
    if (syms.length === 0) return undefined;
    if (syms[0]!.value.type !== 'call') {
      for (const s of syms) {
        if (s.value.type === 'var') this.declare(stack, s.value.value, 'declared', s.location);
        else this.diag.compile(`cannot declare ${termNameOf(s)}`, s.location);
      }
      return undefined;
    }
    const call = syms[0]!.value.value;
    const name = exprNameOf(call[0]!);
    let key: Term;
    let val: Term;
    let container: Term;
    if (name === 'internal.member_3' && call.length === 4) {
      [key, val, container] = [call[1]!, call[2]!, call[3]!];
    } else if (name === 'internal.member_2' && call.length === 3) {
      key = varTerm(this.gen.generate(), e.location);
      [val, container] = [call[1]!, call[2]!];
    } else {
      this.diag.compile(`cannot declare ${name ?? 'call'}`, e.location);
      return undefined;
    }
    const rhs =
      container.value.type === 'ref'
        ? refTerm([...container.value.value, key], container.location)
        : refTerm([container, key], container.location);
    const out: Expr = {
      index: e.index,
      negated: false,
      terms: [operatorTermFor('eq', e.location), val, rhs],
      with: e.with,
      location: e.location,
    };
    const outputs = [...outputVarsForExprEq(out, termVars(container))].sort();
    for (const v of outputs) this.declare(stack, v, 'declared', e.location);
    this.exprTermsAndWith(stack, out);
    return out;
  }

  /** Declares an `every` key or value var (wildcards stay anonymous) and renames it in place. */
  private declareEveryVar(stack: DeclaredVarStack, t: Term, what: 'key' | 'value', e: Expr): void {
    if (t.value.type !== 'var') {
      this.diag.compile(`every ${what} must be a variable, got ${termNameOf(t)}`, t.location);
      return;
    }
    if (t.value.value.startsWith('$')) return;
    const gv = this.declare(stack, t.value.value, 'declared', e.location);
    if (gv) t.value = { type: 'var', value: gv };
  }

  private every(stack: DeclaredVarStack, e: Expr): void {
    if (!isEvery(e)) return;
    const ev = e.terms;
    this.term(stack, ev.domain);
    stack.push();
    if (ev.key) this.declareEveryVar(stack, ev.key, 'key', e);
    else ev.key = varTerm(this.gen.generate(), e.location);
    this.declareEveryVar(stack, ev.value, 'value', e);
    ev.body = this.bodyIn(stack, new Set(), ev.body);
    stack.pop();
    for (const w of e.with) this.with(stack, w.target, w.value);
  }

  /** rewriteDeclaredVarsInBody: rewrites in the CURRENT top frame (callers push). */
  bodyIn(stack: DeclaredVarStack, used: Set<string>, body: Body): Body {
    const errsBefore = this.diag.errors.length;
    const out: Body = [];
    for (const e of body) {
      if (isAssignment(e) && isCallExpr(e)) {
        this.assignment(stack, e);
        out.push(e);
      } else if (isSomeDecl(e)) {
        const r = this.someDecl(stack, e);
        if (r) out.push(r);
      } else if (isEvery(e)) {
        this.every(stack, e);
        out.push(e);
      } else {
        this.exprTermsAndWith(stack, e);
        out.push(e);
      }
    }
    if (out.length === 0) {
      const loc = body[0]?.location ?? { file: '', row: 0, col: 0 };
      out.push({ index: 0, negated: false, terms: { value: { type: 'boolean', value: true }, location: loc }, with: [], location: loc });
    }
    if (this.diag.errors.length === errsBefore) this.checkUnusedDeclared(stack, used, body, out);
    return out;
  }

  private checkUnusedDeclared(stack: DeclaredVarStack, used: Set<string>, original: Body, out: Body): void {
    const f = stack.peek();
    const declared: string[] = [];
    f.occurrence.forEach((occ, v) => {
      if (occ === 'declared') declared.push(f.vs.get(v)!);
    });
    if (declared.length === 0) return;
    const bv = bodyVars(out);
    for (const u of used) bv.add(stack.declared(u) ?? u);
    for (const gv of declared.sort()) {
      if (bv.has(gv) || used.has(gv)) continue;
      const orig = f.reverse.get(gv)!;
      if (isGeneratedVar(orig)) continue;
      const at = original.find((e) => isSomeDecl(e) && e.terms.symbols.some((s) => termVars(s).has(orig))) ?? original[0];
      this.diag.compile(`declared var ${orig} unused`, at?.location);
    }
  }

  // ---- rules ---------------------------------------------------------------------------------

  /** rewriteLocalArgVars: function args become generated vars (shared across else branches). */
  args(stack: DeclaredVarStack, rule: Rule): void {
    const visit = (t: Term): void => {
      const v = t.value;
      switch (v.type) {
        case 'var': {
          const gv = stack.declared(v.value);
          if (gv !== undefined) t.value = { type: 'var', value: gv };
          else {
            const g = this.gen.generate();
            stack.insert(v.value, g, 'arg');
            t.value = { type: 'var', value: g };
          }
          return;
        }
        case 'object':
          v.value.forEach(([, x]) => visit(x));
          return;
        case 'ref': {
          const head = v.value[0];
          const rooted = head !== undefined && head.value.type === 'var' && ROOTS.has(head.value.value);
          v.value.slice(rooted ? 1 : 0).forEach(visit);
          return;
        }
        case 'array':
          v.value.forEach(visit);
          return;
        case 'call':
          this.diag.compile('rule arguments cannot contain calls', t.location);
          return;
        case 'templatestring':
          for (const p of v.parts) {
            if (!('terms' in p)) continue;
            if (Array.isArray(p.terms)) p.terms.slice(1).forEach(visit);
            else visit(p.terms as Term);
          }
          return;
        default:
          return;
      }
    };
    (rule.head.args ?? []).forEach(visit);
  }

  /** rewriteLocalVarsInRule */
  rule(rule: Rule, argsStack: DeclaredVarStack): void {
    // Comprehensions in the head get their own scope first.
    const headTerms: Term[] = [
      ...rule.head.reference.slice(1),
      ...(rule.head.key ? [rule.head.key] : []),
      ...(rule.head.value ? [rule.head.value] : []),
      ...(rule.head.args ?? []),
    ];
    for (const t of headTerms) this.headClosures(t, argsStack.rewritten);

    const used = new Set<string>();
    for (const t of rule.head.reference.slice(1)) termVars(t).forEach((v) => used.add(v));
    if (rule.head.key) termVars(rule.head.key).forEach((v) => used.add(v));
    if (rule.head.value) termVars(rule.head.value).forEach((v) => used.add(v));

    const stack = argsStack.copy();
    rule.body = this.bodyIn(stack, used, rule.body);
    const declared = stack.pop().vs;
    const xform = (t: Term): void => replaceVarsDeep(t, declared);
    (rule.head.args ?? []).forEach(xform);
    rule.head.reference.slice(1).forEach(xform);
    if (rule.head.key) xform(rule.head.key);
    if (rule.head.value) xform(rule.head.value);
  }

  private headClosures(t: Term, rewritten: Map<string, string>): void {
    forEachClosure(t, (closure) => this.term(new DeclaredVarStack(rewritten), closure));
  }
}

/** Replace vars (everywhere, including closures) by the mapping. */
export function replaceVarsDeep(t: Term, map: ReadonlyMap<string, string>): void {
  const v = t.value;
  switch (v.type) {
    case 'var': {
      const r = map.get(v.value);
      if (r !== undefined && r !== v.value) t.value = { type: 'var', value: r };
      return;
    }
    case 'ref':
    case 'array':
    case 'set':
    case 'call':
      v.value.forEach((x) => replaceVarsDeep(x, map));
      return;
    case 'object':
      v.value.forEach(([k, x]) => {
        replaceVarsDeep(k, map);
        replaceVarsDeep(x, map);
      });
      return;
    case 'arraycomprehension':
    case 'setcomprehension':
      replaceVarsDeep(v.term, map);
      replaceVarsInBody(v.body, map);
      return;
    case 'objectcomprehension':
      replaceVarsDeep(v.key, map);
      replaceVarsDeep(v.value, map);
      replaceVarsInBody(v.body, map);
      return;
    default:
      return;
  }
}

export function replaceVarsInBody(b: Body, map: ReadonlyMap<string, string>): void {
  for (const e of b) {
    if (isCallExpr(e)) e.terms.forEach((t) => replaceVarsDeep(t, map));
    else if (isEvery(e)) {
      const ev = e.terms;
      if (ev.key) replaceVarsDeep(ev.key, map);
      replaceVarsDeep(ev.value, map);
      replaceVarsDeep(ev.domain, map);
      replaceVarsInBody(ev.body, map);
    } else if (isSomeDecl(e)) e.terms.symbols.forEach((t) => replaceVarsDeep(t, map));
    else replaceVarsDeep(e.terms as Term, map);
    for (const w of e.with) {
      replaceVarsDeep(w.target, map);
      replaceVarsDeep(w.value, map);
    }
  }
}

function exprNameOf(op: Term): string {
  const v = op.value;
  if (v.type === 'var') return v.value;
  if (v.type === 'ref') {
    return v.value
      .map((t, i) => (t.value.type === 'string' ? t.value.value : t.value.type === 'var' ? t.value.value : i === 0 ? '?' : '[?]'))
      .join('.');
  }
  return 'call';
}

function termNameOf(t: Term): string {
  return t.value.type;
}
