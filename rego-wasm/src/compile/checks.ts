/**
 * Checks without rewriting (OPA `compile.go` / `check.go`): CheckVoidCalls, CheckUndefinedFuncs
 * (unknown function or wrong arity → rego_type_error), RewriteWithValues + `with` target
 * validation, and CheckRecursion (rego_recursion_error).
 */
import type { Body, Expr, Term } from '../parse/ast';
import { isCallExpr, isEvery, isTermExpr, refTerm } from '../parse/ast';
import type { BuiltinTable } from '../builtins/signatures';
import type { Diagnostics } from './diagnostics';
import type { LocalVarGenerator } from './vargen';
import type { CompiledRule } from './types';
import { deepClone, eqExpr, operatorNameOf, requiresEval, termKey, termString } from './terms';
import { buildRuleTree } from './rule-tree';

export interface Callables {
  builtins: BuiltinTable;
  /** data.pkg.f → rules (every ground rule path, functions and 0-arity rules alike). */
  rulesByName: Map<string, CompiledRule[]>;
  /** All rules by ground prefix (built once; used for `with` target checks). */
  tree?: ReturnType<typeof buildRuleTree>;
}

/** OPA's GetArity: builtin arity, else the arg count of the rules at exactly that path, else -1. */
export function arityOf(c: Callables, name: string): number {
  const b = Object.prototype.hasOwnProperty.call(c.builtins, name) ? c.builtins[name] : undefined;
  if (b) return b.arity;
  const rs = c.rulesByName.get(name);
  if (rs && rs.length > 0) return rs[0]!.argCount;
  return -1;
}

function walkBody(b: Body, f: (e: Expr) => void, t?: (t: Term) => void): void {
  for (const e of b) {
    f(e);
    const terms: Term[] = isCallExpr(e) ? [...e.terms] : isTermExpr(e) ? [e.terms] : isEvery(e) ? [e.terms.domain] : [];
    for (const w of e.with) terms.push(w.target, w.value);
    terms.forEach((x) => walkTerm(x, f, t));
    if (isEvery(e)) walkBody(e.terms.body, f, t);
  }
}

function walkTerm(x: Term, f: (e: Expr) => void, t?: (t: Term) => void): void {
  if (t) t(x);
  const v = x.value;
  switch (v.type) {
    case 'ref':
    case 'array':
    case 'set':
    case 'call':
      v.value.forEach((y) => walkTerm(y, f, t));
      return;
    case 'object':
      v.value.forEach(([k, y]) => {
        walkTerm(k, f, t);
        walkTerm(y, f, t);
      });
      return;
    case 'arraycomprehension':
    case 'setcomprehension':
      walkTerm(v.term, f, t);
      walkBody(v.body, f, t);
      return;
    case 'objectcomprehension':
      walkTerm(v.key, f, t);
      walkTerm(v.value, f, t);
      walkBody(v.body, f, t);
      return;
    default:
      return;
  }
}

export function forEachExprDeep(b: Body, f: (e: Expr) => void): void {
  walkBody(b, f);
}
export function forEachTermDeep(b: Body, f: (t: Term) => void): void {
  walkBody(b, () => undefined, f);
}

/** CheckVoidCalls: a void builtin (print) used as a value. */
export function checkVoidCalls(b: Body, builtins: BuiltinTable, diag: Diagnostics, extra: Term[] = []): void {
  const check = (t: Term): void => {
    if (t.value.type !== 'call') return;
    const name = operatorNameOf(t.value.value[0]!);
    const sig = name !== undefined && Object.prototype.hasOwnProperty.call(builtins, name) ? builtins[name] : undefined;
    if (sig && sig.void) diag.type(`${termString(t)} used as value`, t.location);
  };
  forEachTermDeep(b, check);
  extra.forEach((x) => walkTerm(x, () => undefined, check));
}

/** Calls the compiler cannot lower faithfully: a loud error instead of a different result. */
const UNSUPPORTED_CALLS: ReadonlyMap<string, string> = new Map([
  // rules have theirs replaced by constants (annotations.ts); a query has no annotations
  ['rego.metadata.chain', 'only rules have METADATA annotations'],
  ['rego.metadata.rule', 'only rules have METADATA annotations'],
]);

/** CheckUndefinedFuncs + builtin/function arity. */
export function checkUndefinedFuncs(b: Body, c: Callables, diag: Diagnostics): void {
  forEachExprDeep(b, (e) => {
    if (!isCallExpr(e)) return;
    const op = e.terms[0]!;
    const name = operatorNameOf(op);
    const display = name ?? termString(op);
    if (name === 'eq' || name === 'assign') return;
    if (name !== undefined && UNSUPPORTED_CALLS.has(name)) {
      diag.add('rego_unsupported_error', `${name} is not supported by this compiler (${UNSUPPORTED_CALLS.get(name)})`, e.location);
      return;
    }
    const ar = name === undefined ? -1 : arityOf(c, name);
    if (ar < 0) {
      diag.type(`undefined function ${display}`, e.location);
      return;
    }
    const operands = e.terms.length - 1;
    const ok = e.generated && !(name === 'eq') ? operands === ar + 1 || operands === ar : operands === ar || operands === ar + 1;
    if (ok) return;
    const builtin = Object.prototype.hasOwnProperty.call(c.builtins, display);
    if (builtin) {
      const want = c.builtins[display]!.decl.args?.map((a) => a.type).join(', ') ?? '';
      diag.type(`${display}: arity mismatch\n\thave: (${e.terms.slice(1).map(() => 'any').join(', ')})\n\twant: (${want})`, e.location);
    } else {
      const got = e.generated ? operands - 1 : operands;
      diag.type(`function ${display} has arity ${ar}, got ${got} argument${got === 1 ? '' : 's'}`, e.location);
    }
  });
}

/** A data ref that names a function without calling it (`x := f`, `f[1]`) is a type error. */
export function checkFunctionRefs(b: Body, c: Callables, diag: Diagnostics, extra: Term[] = []): void {
  const check = (t: Term): void => {
    const v = t.value;
    if (v.type === 'ref' && isRootRef(t, 'data')) {
      const names: string[] = [];
      for (const x of v.value) {
        if (x.value.type === 'var' && names.length === 0) names.push(x.value.value);
        else if (x.value.type === 'string') names.push(x.value.value);
        else break;
        const rs = c.rulesByName.get(names.join('.'));
        if (rs && rs.some((r) => r.argCount > 0)) {
          diag.type(`function ${names.join('.')} must be called with ${rs[0]!.argCount} argument(s), not used as a value`, t.location);
          return;
        }
      }
    }
    if (v.type === 'ref' || v.type === 'array' || v.type === 'set' || v.type === 'call') {
      v.value.forEach((x, i) => (v.type === 'call' && i === 0 ? undefined : check(x)));
    } else if (v.type === 'object') {
      v.value.forEach(([k, x]) => {
        check(k);
        check(x);
      });
    } else if (v.type === 'arraycomprehension' || v.type === 'setcomprehension') {
      check(v.term);
      body(v.body);
    } else if (v.type === 'objectcomprehension') {
      check(v.key);
      check(v.value);
      body(v.body);
    }
  };
  const body = (bb: Body): void => {
    for (const e of bb) {
      if (isCallExpr(e)) e.terms.slice(1).forEach(check);
      else if (isTermExpr(e)) check(e.terms);
      else if (isEvery(e)) {
        check(e.terms.domain);
        body(e.terms.body);
      }
      for (const w of e.with) if (!(w.value.value.type === 'ref' && isFunctionValue(w.value, c))) check(w.value);
    }
  };
  body(b);
  extra.forEach(check);
}

// ---- with ----------------------------------------------------------------------------------

function isRootRef(t: Term, root: string): boolean {
  return t.value.type === 'ref' && t.value.value[0]?.value.type === 'var' && t.value.value[0].value.value === root;
}

/** RewriteWithValues: validates targets; values needing evaluation become generated vars. */
export function rewriteWithValues(b: Body, c: Callables, gen: LocalVarGenerator, diag: Diagnostics): Body {
  const tree = (c.tree ??= buildRuleTree([...c.rulesByName.values()].flat()));
  const out: Body = [];
  for (const e of b) {
    // closures first
    const terms: Term[] = isCallExpr(e) ? e.terms : isTermExpr(e) ? [e.terms] : isEvery(e) ? [e.terms.domain] : [];
    terms.forEach((t) => rewriteWithInClosures(t, c, gen, diag));
    if (isEvery(e)) e.terms.body = rewriteWithValues(e.terms.body, c, gen, diag);
    for (const w of e.with) {
      const target = w.target;
      const value = w.value;
      // Builtin values written as vars become refs.
      if (value.value.type === 'var' && Object.prototype.hasOwnProperty.call(c.builtins, value.value.value)) {
        value.value = { type: 'ref', value: [{ ...value, value: { type: 'var', value: value.value.value } }] };
      }
      let evalValue = requiresEval(value);
      const targetName = operatorNameOf(target);
      const builtin = targetName !== undefined && Object.prototype.hasOwnProperty.call(c.builtins, targetName) ? c.builtins[targetName] : undefined;
      if (isRootRef(target, 'data')) {
        const ref = (target.value as { value: Term[] }).value;
        // cannot partially replace virtual documents
        let node = tree;
        let partial = false;
        for (let i = 0; i < ref.length - 1; i++) {
          const key = ref[i]!;
          const child = node.children.get(termKeyOf(key));
          if (!child) break;
          if (child.rules.length > 0) {
            partial = true;
            break;
          }
          node = child;
        }
        if (partial) {
          diag.compile('with keyword cannot partially replace virtual document(s)', target.location);
          continue;
        }
        const full = targetName !== undefined ? c.rulesByName.get(targetName) : undefined;
        if (full && full.some((r) => r.argCount > 0)) {
          if (isFunctionValue(value, c)) evalValue = false;
        }
        const vname = operatorNameOf(value);
        if (value.value.type === 'ref' && vname !== undefined && (c.rulesByName.get(vname) ?? []).some((r) => r.argCount > 0)) {
          evalValue = false;
        }
      } else if (isRootRef(target, 'input')) {
        // ok
      } else if (builtin) {
        if (target.value.type === 'var') target.value = refTerm([{ ...target, value: { type: 'var', value: target.value.value } }], target.location).value;
        if (targetName === 'eq' || targetName === 'rego.metadata.chain' || targetName === 'rego.metadata.rule') {
          diag.compile(`with keyword replacing built-in function: replacement of "${targetName}" invalid`, target.location);
          continue;
        }
        if (targetName!.startsWith('internal.')) {
          diag.compile(`with keyword replacing built-in function: replacement of internal function "${targetName}" invalid`, target.location);
          continue;
        }
        if (builtin.relation) {
          diag.compile('with keyword replacing built-in function: target must not be a relation', target.location);
          continue;
        }
        if (builtin.void) {
          diag.compile('with keyword replacing built-in function: target must not be a void function', target.location);
          continue;
        }
        if (isFunctionValue(value, c)) evalValue = false;
      } else {
        diag.type('with keyword target must reference existing input, data, or a function', target.location);
        continue;
      }
      if (evalValue) {
        const x = { value: { type: 'var' as const, value: gen.generate() }, location: value.location };
        out.push(eqExpr(deepClone(x), value, value.location));
        w.value = x;
      }
    }
    out.push(e);
  }
  return out;
}

function termKeyOf(t: Term): string {
  return termKey(t);
}

function isFunctionValue(value: Term, c: Callables): boolean {
  const name = operatorNameOf(value);
  if (name === undefined) return false;
  if (value.value.type === 'ref' && c.rulesByName.has(name)) return true;
  return Object.prototype.hasOwnProperty.call(c.builtins, name);
}

function rewriteWithInClosures(t: Term, c: Callables, gen: LocalVarGenerator, diag: Diagnostics): void {
  const v = t.value;
  switch (v.type) {
    case 'arraycomprehension':
    case 'setcomprehension':
      v.body = rewriteWithValues(v.body, c, gen, diag);
      rewriteWithInClosures(v.term, c, gen, diag);
      return;
    case 'objectcomprehension':
      v.body = rewriteWithValues(v.body, c, gen, diag);
      return;
    case 'ref':
    case 'array':
    case 'set':
    case 'call':
      v.value.forEach((x) => rewriteWithInClosures(x, c, gen, diag));
      return;
    case 'object':
      v.value.forEach(([k, x]) => {
        rewriteWithInClosures(k, c, gen, diag);
        rewriteWithInClosures(x, c, gen, diag);
      });
      return;
    default:
      return;
  }
}

// ---- recursion -----------------------------------------------------------------------------

/** Rules a data ref may reach (OPA's GetRulesDynamic): exact children for constant terms, all children for vars, the whole subtree past the ref's end. */
function reachableRulePaths(ref: Term[], tree: ReturnType<typeof buildRuleTree>): Set<string> {
  const out = new Set<string>();
  const addSubtree = (n: typeof tree): void => {
    for (const r of n.rules) out.add(r.path);
    for (const ch of n.children.values()) addSubtree(ch);
  };
  const walk = (node: typeof tree, i: number): void => {
    if (i >= ref.length) {
      addSubtree(node);
      return;
    }
    const t = ref[i]!;
    const ty = t.value.type;
    const constant = i === 0 || ty === 'string' || ty === 'number' || ty === 'boolean' || ty === 'null';
    if (constant) {
      const child = node.children.get(termKeyOf(t));
      if (!child) return;
      for (const r of child.rules) out.add(r.path);
      walk(child, i + 1);
    } else {
      for (const child of node.children.values()) {
        for (const r of child.rules) out.add(r.path);
        walk(child, i + 1);
      }
    }
  };
  walk(tree, 0);
  return out;
}

export function checkRecursion(rules: CompiledRule[], diag: Diagnostics): void {
  const tree = buildRuleTree(rules);
  const byPath = new Map<string, CompiledRule[]>();
  for (const r of rules) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  const edges = new Map<string, Set<string>>();
  for (const r of rules) {
    let deps = edges.get(r.path);
    if (!deps) edges.set(r.path, (deps = new Set()));
    const collect = (t: Term): void => {
      if (t.value.type === 'ref' && isRootRef(t, 'data')) reachableRulePaths(t.value.value, tree).forEach((p) => deps!.add(p));
    };
    const bodies: Body[] = [];
    for (let x: typeof r.rule | undefined = r.rule; x; x = x.else) {
      bodies.push(x.body);
      const h = x.head;
      [...h.reference.slice(1), ...(h.key ? [h.key] : []), ...(h.value ? [h.value] : [])].forEach((t) => walkTerm(t, () => undefined, collect));
    }
    for (const b of bodies) {
      forEachTermDeep(b, collect);
      forEachExprDeep(b, (e) => {
        if (isCallExpr(e)) {
          const op = e.terms[0]!;
          if (op.value.type === 'ref' && isRootRef(op, 'data')) reachableRulePaths(op.value.value, tree).forEach((p) => deps!.add(p));
        }
        for (const w of e.with) if (w.value.value.type === 'ref' && isRootRef(w.value, 'data')) collect(w.value);
      });
    }
  }
  const reported = new Set<string>();
  for (const start of [...edges.keys()].sort()) {
    if (reported.has(start)) continue;
    // DFS for a path start → ... → start
    const stack: string[] = [];
    const seen = new Set<string>();
    const dfs = (n: string): string[] | undefined => {
      for (const m of [...(edges.get(n) ?? [])].sort()) {
        if (m === start) return [...stack, n, m];
        if (seen.has(m)) continue;
        seen.add(m);
        stack.push(n);
        const p = dfs(m);
        stack.pop();
        if (p) return p;
      }
      return undefined;
    };
    const path = dfs(start);
    if (path) {
      reported.add(start);
      const first = byPath.get(start)![0]!;
      diag.add('rego_recursion_error', `rule ${start} is recursive: ${path.join(' -> ')}`, first.rule.location);
    }
  }
}
