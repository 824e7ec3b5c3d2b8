/**
 * Stages ResolveRefs, CheckKeywordOverrides, CheckDuplicateImports and RemoveImports
 * (OPA `compile.go`: resolveAllRefs, checkRootDocumentOverrides, checkDuplicateImports).
 *
 * Package-relative rule names become full refs (`p` → `data.pkg.p`), imported names become
 * the imported ref (`import data.x.y as z`: `z` → `data.x.y`), unless a local declaration
 * (function arg, `some`, `:=`, every key/value) shadows them.
 */
import type { Body, Expr, Import, Module, Ref, Rule, Term } from '../parse/ast';
import { isCallExpr, isEvery, isSomeDecl, isTermExpr, refTerm } from '../parse/ast';
import type { Diagnostics } from './diagnostics';
import { deepClone, isAssignment, refString, termVars, forEachRule, rootName } from './terms';

const ROOTS = new Set(['input', 'data']);

/** The name an import binds (OPA's Import.Name). */
export function importName(imp: Import): string | undefined {
  if (imp.alias) return imp.alias;
  const v = imp.path.value;
  if (v.type === 'var') return v.value;
  if (v.type !== 'ref') return undefined;
  const last = v.value[v.value.length - 1];
  if (!last) return undefined;
  if (v.value.length === 1 && last.value.type === 'var') return last.value.value;
  return last.value.type === 'string' ? last.value.value : undefined;
}

function importRef(imp: Import): Ref {
  const v = imp.path.value;
  if (v.type === 'ref') return v.value;
  return [imp.path];
}

function isIgnoredImport(imp: Import): boolean {
  const root = rootName(imp.path);
  return root === 'future' || root === 'rego';
}

function copyRef(ref: Ref, loc: Term['location']): Ref {
  return ref.map((t) => ({ ...deepClone(t), location: loc }));
}

class IgnoreStack {
  private readonly frames: Set<string>[] = [];
  push(s: Set<string>): void {
    this.frames.push(s);
  }
  pop(): void {
    this.frames.pop();
  }
  has(v: string): boolean {
    return this.frames.some((f) => f.has(v));
  }
}

/** Vars declared in a body by `some` and `:=` (OPA's declaredVars); closures are not entered. */
export function declaredVars(body: Body): Set<string> {
  const out = new Set<string>();
  const visit = (e: Expr): void => {
    if (isAssignment(e) && isCallExpr(e) && e.terms.length === 3) {
      for (const v of termVars(e.terms[1]!)) out.add(v);
    } else if (isSomeDecl(e)) {
      for (const s of e.terms.symbols) {
        if (s.value.type === 'var') out.add(s.value.value);
        else if (s.value.type === 'call') {
          const args = s.value.value.slice(1);
          if (args.length === 3) for (const v of termVars(args[1]!)) out.add(v);
          if (args[0]) for (const v of termVars(args[0])) out.add(v);
        }
      }
    } else if (isEvery(e)) {
      e.terms.body.forEach(visit);
    }
  };
  body.forEach(visit);
  return out;
}

class Resolver {
  constructor(
    private readonly globals: Map<string, Ref>,
    private readonly ignore: IgnoreStack,
  ) {}

  term(t: Term): Term {
    const v = t.value;
    switch (v.type) {
      case 'var': {
        const g = this.globals.get(v.value);
        if (g && !this.ignore.has(v.value)) return refTerm(copyRef(g, t.location), t.location);
        return t;
      }
      case 'ref':
        return { ...t, value: { type: 'ref', value: this.ref(v.value) } };
      case 'array':
      case 'set':
      case 'call':
        return { ...t, value: { type: v.type, value: v.value.map((x) => this.term(x)) } as typeof v };
      case 'object':
        return { ...t, value: { type: 'object', value: v.value.map(([k, x]) => [this.term(k), this.term(x)] as [Term, Term]) } };
      case 'arraycomprehension':
      case 'setcomprehension': {
        this.ignore.push(declaredVars(v.body));
        const out = { ...t, value: { ...v, term: this.term(v.term), body: this.body(v.body) } };
        this.ignore.pop();
        return out;
      }
      case 'objectcomprehension': {
        this.ignore.push(declaredVars(v.body));
        const out = { ...t, value: { ...v, key: this.term(v.key), value: this.term(v.value), body: this.body(v.body) } };
        this.ignore.pop();
        return out;
      }
      case 'templatestring':
        return { ...t, value: { ...v, parts: v.parts.map((p) => ('terms' in p ? this.expr(p) : this.term(p))) } };
      default:
        return t;
    }
  }

  ref(ref: Ref): Ref {
    const out: Ref = [];
    ref.forEach((x, i) => {
      const v = x.value;
      if (v.type === 'var') {
        const g = this.globals.get(v.value);
        if (g && !this.ignore.has(v.value)) {
          const cpy = copyRef(g, x.location);
          if (i === 0) out.push(...cpy);
          else out.push(refTerm(cpy, x.location));
        } else out.push(x);
      } else out.push(this.term(x));
    });
    return out;
  }

  expr(e: Expr): Expr {
    if (isCallExpr(e)) e.terms = e.terms.map((t) => this.term(t));
    else if (isTermExpr(e)) e.terms = this.term(e.terms);
    else if (isSomeDecl(e)) {
      const s = e.terms.symbols[0];
      if (s && s.value.type === 'call') e.terms.symbols = [this.term(s)];
    } else if (isEvery(e)) {
      const ev = e.terms;
      const locals = new Set<string>([...(ev.key ? termVars(ev.key) : []), ...termVars(ev.value)]);
      this.ignore.push(locals);
      this.ignore.push(declaredVars(ev.body));
      ev.domain = this.term(ev.domain);
      ev.body = this.body(ev.body);
      this.ignore.pop();
      this.ignore.pop();
    }
    for (const w of e.with) {
      w.target = this.term(w.target);
      w.value = this.term(w.value);
    }
    return e;
  }

  body(b: Body): Body {
    return b.map((e) => this.expr(e));
  }
}

/** Vars of function args that may be pattern-matched (object keys, sets, closures, calls skipped). */
function argVars(args: Term[], diag: Diagnostics): Set<string> {
  const out = new Set<string>();
  const walk = (t: Term): void => {
    const v = t.value;
    switch (v.type) {
      case 'var':
        if (ROOTS.has(v.value)) {
          diag.compile(`args must not shadow ${v.value} (use a different variable name)`, t.location);
        }
        out.add(v.value);
        break;
      case 'ref':
        if (v.value.length === 1 && rootName(t) && ROOTS.has(rootName(t)!)) {
          diag.compile(`args must not shadow ${rootName(t)} (use a different variable name)`, t.location);
          return;
        }
        v.value.forEach(walk);
        break;
      case 'array':
        v.value.forEach(walk);
        break;
      case 'object':
        v.value.forEach(([, x]) => walk(x));
        break;
      default:
        break;
    }
  };
  args.forEach(walk);
  return out;
}

function resolveRule(rule: Rule, globals: Map<string, Ref>, diag: Diagnostics): void {
  const ignore = new IgnoreStack();
  ignore.push(argVars(rule.head.args ?? [], diag));
  ignore.push(declaredVars(rule.body));
  const r = new Resolver(globals, ignore);
  const ref = rule.head.reference;
  for (let i = 1; i < ref.length; i++) ref[i] = r.term(ref[i]!);
  if (rule.head.key) rule.head.key = r.term(rule.head.key);
  if (rule.head.value) rule.head.value = r.term(rule.head.value);
  rule.body = r.body(rule.body);
}

/** Rule names (first head-ref var) per package path text. */
export function packageExports(modules: Module[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const m of modules) {
    const key = refString(m.package.path);
    let s = out.get(key);
    if (!s) out.set(key, (s = new Set()));
    for (const r of m.rules) {
      const head = r.head.reference[0];
      if (head && head.value.type === 'var') s.add(head.value.value);
    }
  }
  return out;
}

export function checkDuplicateImports(m: Module, diag: Diagnostics): void {
  const seen = new Map<string, Import>();
  for (const imp of m.imports) {
    const name = importName(imp);
    if (name === undefined) continue;
    const prev = seen.get(name);
    if (prev) diag.compile(`import must not shadow import ${refString(importRef(prev))}`, imp.location);
    else seen.set(name, imp);
  }
}

export function checkKeywordOverrides(m: Module, diag: Diagnostics): void {
  forEachRule(m.rules, (rule) => {
    const head = rule.head.reference[0];
    const name = head && head.value.type === 'var' ? head.value.value : rule.head.name;
    if (name && ROOTS.has(name)) diag.compile(`rules must not shadow ${name} (use a different rule name)`, rule.location);
  });
  const visitBody = (b: Body): void => {
    for (const e of b) {
      if (isAssignment(e) && isCallExpr(e) && e.terms[1]) {
        const n = rootName(e.terms[1]);
        const lhs = e.terms[1].value;
        const bare = lhs.type === 'var' || (lhs.type === 'ref' && lhs.value.length === 1);
        if (bare && n && ROOTS.has(n)) {
          diag.compile(`variables must not shadow ${n} (use a different variable name)`, e.location);
        }
      }
      if (isEvery(e)) visitBody(e.terms.body);
    }
  };
  forEachRule(m.rules, (rule) => visitBody(rule.body));
}

/** Resolves every module's refs in place and removes imports. */
export function resolveModuleRefs(modules: Module[], diag: Diagnostics): void {
  const exports = packageExports(modules);
  for (const m of modules) {
    const pkg = m.package.path;
    const globals = new Map<string, Ref>();
    for (const name of exports.get(refString(pkg)) ?? []) {
      globals.set(name, [...pkg, { value: { type: 'string', value: name }, location: m.package.location }]);
    }
    for (const imp of m.imports) {
      if (isIgnoredImport(imp)) continue;
      const root = rootName(imp.path);
      if (root !== 'data' && root !== 'input') {
        diag.compile(`invalid import ${refString(importRef(imp))}: path must begin with input or data`, imp.location);
        continue;
      }
      const name = importName(imp);
      if (name !== undefined) globals.set(name, importRef(imp));
    }
    forEachRule(m.rules, (rule) => resolveRule(rule, globals, diag));
    m.imports = [];
  }
}
