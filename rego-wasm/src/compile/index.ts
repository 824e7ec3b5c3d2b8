/**
 * The Rego compiler: parsed modules → compiled modules the planner consumes, running OPA's
 * compiler stages in OPA's order (see README.md). Public API: `compileModules`, `compileQuery`.
 */
import type { Body, Module, Ref, Rule, Term } from '../parse/ast';
import { isTermExpr } from '../parse/ast';
import { parseModules, parseQuery } from '../parse';
import type { ModuleSourceText } from '../parse';
import { BUILTINS } from '../builtins/signatures';
import { DEPRECATED_BUILTINS } from '../builtins/deprecated';
import type { BuiltinTable } from '../builtins/signatures';
import { Diagnostics } from './diagnostics';
import { LocalVarGenerator } from './vargen';
import { checkDuplicateImports, checkKeywordOverrides, resolveModuleRefs } from './resolve-refs';
import { buildCompiledRules, checkPathConflicts, checkRuleConflicts } from './rule-tree';
import type { BaseDocument } from './rule-tree';
import { DeclaredVarStack, LocalVarRewriter, replaceVarsInBody } from './local-vars';
import {
  DynamicTermRewriter,
  ExprTermRewriter,
  erasePrintCalls,
  lowerTemplateStringsInArgs,
  lowerTemplateStringsInExpr,
  lowerTemplateStringsInRule,
  rewriteComprehensionTermsInBody,
  rewriteComprehensionTermsInRule,
  rewriteEqualsInBody,
  rewritePrintCalls,
  rewriteRefsInHead,
  rewriteRuleHeadRefs,
  simplifyTemplateParts,
  simplifyTemplatePartsInBody,
  simplifyTemplatePartsInRule,
} from './rewrite-terms';
import { arityOf, checkFunctionRefs, checkRecursion, checkUndefinedFuncs, checkVoidCalls, rewriteWithValues } from './checks';
import type { Callables } from './checks';
import { reorderBodyForSafety, UnsafeVars } from './safety';
import { AnnotationSet, rewriteRegoMetadataCalls } from './annotations';
import { checkBuiltinArgTypes } from './type-check';
import type { ArityFn } from './safety';
import { SAFETY_PARAMS, VarCollector, bodyVars, containsRefsOrClosures, deepClone, forEachRule, groundPrefix, refString, rootName, termVars } from './terms';
import type { CompiledPolicy, CompiledQuery, CompiledRule, CompileOptions } from './types';
import { isGeneratedVar } from './types';

export type { CompiledPolicy, CompiledQuery, CompiledRule, CompileOptions, RuleKind } from './types';
export type { BaseDocument } from './rule-tree';
export { annotatedEntrypoints } from './annotations';
export type { AnnotationsRef } from './annotations';
export { isGeneratedVar, GENERATED_VAR_PREFIX } from './types';

const RESERVED = new Set(['input', 'data']);

/** A module's source; `regoVersion` (0 or 1) overrides `CompileOptions.regoVersion` for it. */
export type ModuleSource = ModuleSourceText;

function isSourceList(x: readonly ModuleSource[] | readonly Module[]): x is readonly ModuleSource[] {
  return x.length > 0 && typeof (x[0] as ModuleSource).text === 'string';
}

function allVarNames(modules: Module[]): Set<string> {
  const c = new VarCollector();
  for (const m of modules) {
    forEachRule(m.rules, (r) => {
      r.head.reference.forEach((t) => c.term(t));
      (r.head.args ?? []).forEach((t) => c.term(t));
      if (r.head.key) c.term(r.head.key);
      if (r.head.value) c.term(r.head.value);
      c.body(r.body);
    });
  }
  return c.vars;
}

/** Dotted name of a rule path whose ground prefix is all strings (`data.a.f`), for call lookup. */
function callableName(ref: Ref): string | undefined {
  const names: string[] = [];
  for (const [i, t] of groundPrefix(ref).entries()) {
    if (i === 0 && t.value.type === 'var') names.push(t.value.value);
    else if (t.value.type === 'string') names.push(t.value.value);
    else return undefined;
  }
  return names.join('.');
}

/** True for a ground data ref naming rules that always produce one constant value (`a := "x"`, `p if { true }`). */
function constantRefTest(rules: CompiledRule[]): (t: Term) => boolean {
  const byPath = new Map<string, CompiledRule[]>();
  for (const r of rules) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  return (t) => {
    if (t.value.type !== 'ref' || rootName(t) !== 'data') return false;
    const ref = t.value.value;
    if (groundPrefix(ref).length !== ref.length) return false;
    const rs = byPath.get(refString(ref));
    if (!rs || rs.length !== 1) return false;
    const r = rs[0]!;
    if (r.kind !== 'single' || r.rule.else || r.rule.default || groundPrefix(r.ref).length !== r.ref.length) return false;
    const v = r.rule.head.value;
    if (!v || termVars(v).size > 0 || containsRefsOrClosures(v)) return false;
    const body = r.rule.body;
    return body.length === 1 && isTermExpr(body[0]!) && body[0]!.terms.value.type === 'boolean' && body[0]!.terms.value.value === true && !body[0]!.negated;
  };
}

function unsafeErrors(unsafe: UnsafeVars, rewritten: ReadonlyMap<string, string>, diag: Diagnostics): void {
  const pairs: { loc: { file: string; row: number; col: number }; v: string }[] = [];
  const generatedExprs: { loc: { file: string; row: number; col: number }; vars: string[] }[] = [];
  for (const [e, vs] of unsafe.byExpr) {
    const gen: string[] = [];
    for (const v of vs) {
      const name = rewritten.get(v) ?? v;
      if (isGeneratedVar(name)) gen.push(name);
      else pairs.push({ loc: e.location, v: name.startsWith('$') ? '_' : name });
    }
    if (gen.length > 0) generatedExprs.push({ loc: e.location, vars: gen });
  }
  const byLoc = (a: { loc: { row: number; col: number } }, b: { loc: { row: number; col: number } }): number =>
    a.loc.row - b.loc.row || a.loc.col - b.loc.col;
  if (pairs.length > 0) {
    const seen = new Set<string>();
    for (const p of pairs.sort((a, b) => byLoc(a, b) || (a.v < b.v ? -1 : a.v > b.v ? 1 : 0))) {
      const k = `${p.loc.file}:${p.loc.row}:${p.loc.col}:${p.v}`;
      if (seen.has(k)) continue;
      seen.add(k);
      diag.add('rego_unsafe_var_error', `var ${p.v} is unsafe`, p.loc);
    }
    return;
  }
  const seen = new Set<string>();
  for (const g of generatedExprs.sort(byLoc)) {
    const before = seen.size;
    g.vars.forEach((v) => seen.add(v));
    if (seen.size > before) diag.add('rego_unsafe_var_error', 'expression is unsafe', g.loc);
  }
}

function headVars(r: Rule): Set<string> {
  const c = new VarCollector();
  (r.head.args ?? []).forEach((t) => c.term(t));
  r.head.reference.slice(1).forEach((t) => c.term(t));
  if (r.head.key) c.term(r.head.key);
  if (r.head.value) c.term(r.head.value);
  return c.vars;
}

class ModuleCompiler {
  readonly diag = new Diagnostics();
  readonly gen: LocalVarGenerator;
  readonly rewritten = new Map<string, string>();
  rules: CompiledRule[] = [];
  callables!: Callables;
  arity!: ArityFn;

  readonly builtins: BuiltinTable;

  constructor(
    readonly modules: Module[],
    readonly v1Builtins: BuiltinTable,
    readonly printEnabled: boolean = true,
    readonly baseData?: BaseDocument,
  ) {
    this.gen = new LocalVarGenerator(allVarNames(modules));
    this.builtins = modules.some((m) => m.regoVersion === 0) ? { ...DEPRECATED_BUILTINS, ...v1Builtins } : v1Builtins;
  }

  private stage(f: () => void): void {
    f();
    this.diag.throwIfAny();
  }

  private v1Modules(): Module[] {
    return this.modules.filter((m) => m.regoVersion !== 0);
  }

  private eachRule(f: (r: Rule, m: Module) => void): void {
    for (const m of this.modules) forEachRule(m.rules, (r) => f(r, m));
  }

  run(): CompiledPolicy {
    this.stage(() => this.eachRule((r) => lowerTemplateStringsInRule(r, this.gen)));
    // OPA runs these for v1 modules (and v0 modules importing rego.v1) only.
    this.stage(() => this.v1Modules().forEach((m) => checkKeywordOverrides(m, this.diag)));
    this.stage(() => this.v1Modules().forEach((m) => checkDuplicateImports(m, this.diag)));
    this.stage(() => resolveModuleRefs(this.modules, this.diag));
    this.stage(() => this.eachRule((r) => rewriteRuleHeadRefs(r, this.gen)));
    this.stage(() => {
      this.rules = buildCompiledRules(this.modules);
      const rulesByName = new Map<string, CompiledRule[]>();
      for (const r of this.rules) {
        const n = callableName(r.ref);
        if (n !== undefined && groundPrefix(r.ref).length === r.ref.length) rulesByName.set(n, [...(rulesByName.get(n) ?? []), r]);
      }
      this.callables = { builtins: this.builtins, rulesByName };
      this.arity = (name) => arityOf(this.callables, name);
      checkRuleConflicts(this.modules, this.rules, this.diag);
      if (this.baseData !== undefined) checkPathConflicts(this.rules, this.baseData, this.diag);
    });
    this.stage(() => {
      const isConstant = constantRefTest(this.rules);
      this.eachRule((r) => simplifyTemplatePartsInRule(r, isConstant));
    });
    this.stage(() => this.rewriteLocalVars());
    this.stage(() => {
      const isConstant = constantRefTest(this.rules);
      this.eachRule((r) => {
        lowerTemplateStringsInArgs(r, this.gen);
        (r.head.args ?? []).forEach((a) => simplifyTemplateParts(a, isConstant));
      });
    });
    this.stage(() =>
      this.eachRule((r) => {
        const h = r.head;
        checkVoidCalls(r.body, this.builtins, this.diag, [...h.reference.slice(1), ...(h.args ?? []), ...(h.key ? [h.key] : []), ...(h.value ? [h.value] : [])]);
      }),
    );
    this.stage(() =>
      this.eachRule((r) => {
        if (!this.printEnabled) {
          r.body = erasePrintCalls(r.body);
          return;
        }
        const safe = new Set([...RESERVED, ...(r.head.args ?? []).flatMap((a) => [...termVars(a)])]);
        rewritePrintCalls(r.body, safe, this.arity, this.gen, this.diag);
      }),
    );
    this.stage(() => this.eachRule((r) => new ExprTermRewriter(this.gen).rule(r)));
    this.stage(() => {
      const set = new AnnotationSet(this.modules, this.diag);
      this.eachRule((r, m) => rewriteRegoMetadataCalls(set, m, r, this.gen, this.diag));
    });
    this.stage(() => this.eachRule((r) => rewriteComprehensionTermsInRule(r, this.gen)));
    this.stage(() => this.eachRule((r) => rewriteRefsInHead(r, this.gen)));
    this.stage(() => this.eachRule((r) => (r.body = rewriteWithValues(r.body, this.callables, this.gen, this.diag))));
    // Deprecated builtins exist for v0 modules only (OPA 1.x's v1 capabilities lack them).
    const v1Callables: Callables = { ...this.callables, builtins: this.v1Builtins };
    this.stage(() =>
      this.eachRule((r, m) => {
        checkUndefinedFuncs(r.body, m.regoVersion === 0 ? this.callables : v1Callables, this.diag);
        const h = r.head;
        checkFunctionRefs(r.body, this.callables, this.diag, [...h.reference.slice(1), ...(h.key ? [h.key] : []), ...(h.value ? [h.value] : [])]);
      }),
    );
    this.stage(() => this.checkSafetyRuleHeads());
    this.stage(() => this.checkSafetyRuleBodies());
    this.stage(() => this.eachRule((r) => checkBuiltinArgTypes(r.body, this.builtins, this.diag)));
    this.stage(() => this.eachRule((r) => rewriteEqualsInBody(r.body)));
    this.stage(() => this.eachRule((r) => (r.body = new DynamicTermRewriter(this.gen).body(r.body))));
    this.stage(() => checkRecursion(this.rules, this.diag));
    return this.result();
  }

  private rewriteLocalVars(): void {
    const rw = new LocalVarRewriter(this.gen, this.diag);
    for (const m of this.modules) {
      for (const rule of m.rules) {
        const argsStack = new DeclaredVarStack(this.rewritten);
        rw.args(argsStack, rule);
        for (let e = rule.else; e; e = e.else) rw.args(argsStack, e);
        rw.rule(rule, argsStack);
        for (let e = rule.else; e; e = e.else) rw.rule(e, argsStack);
      }
    }
  }

  private checkSafetyRuleHeads(): void {
    this.eachRule((r) => {
      const safe = bodyVars(r.body, SAFETY_PARAMS);
      (r.head.args ?? []).forEach((a) => termVars(a).forEach((v) => safe.add(v)));
      for (const v of [...headVars(r)].sort()) {
        if (safe.has(v)) continue;
        const name = this.rewritten.get(v) ?? v;
        if (!isGeneratedVar(name)) this.diag.add('rego_unsafe_var_error', `var ${name.startsWith('$') ? '_' : name} is unsafe`, r.location);
      }
    });
  }

  private checkSafetyRuleBodies(): void {
    this.eachRule((r) => {
      const safe = new Set([...RESERVED, ...(r.head.args ?? []).flatMap((a) => [...termVars(a)])]);
      const { body, unsafe } = reorderBodyForSafety(this.arity, safe, r.body);
      if (unsafe.size > 0) unsafeErrors(unsafe, this.rewritten, this.diag);
      else r.body = body;
    });
  }

  private result(): CompiledPolicy {
    const rulesByPath = new Map<string, CompiledRule[]>();
    for (const r of this.rules) rulesByPath.set(r.path, [...(rulesByPath.get(r.path) ?? []), r]);
    const packages = new Map<string, Ref>();
    for (const m of this.modules) packages.set(refString(m.package.path), m.package.path);
    const functions = new Map<string, number>();
    for (const r of this.rules) if (r.kind === 'function') functions.set(r.path, r.argCount);
    return { modules: this.modules, rules: this.rules, rulesByPath, packages, functions, builtins: this.builtins };
  }
}

/**
 * Compiles Rego modules (sources are parsed first). Throws `RegoErrors` (each a located
 * `RegoError`) on any parse, compile, safety, type or recursion error.
 */
export function compileModules(input: readonly ModuleSource[] | readonly Module[], opts: CompileOptions = {}): CompiledPolicy {
  const modules: Module[] = isSourceList(input) ? parseModules(input, { regoVersion: opts.regoVersion }) : deepClone(input as Module[]);
  const builtins: BuiltinTable = opts.extraBuiltins ? { ...BUILTINS, ...opts.extraBuiltins } : BUILTINS;
  return new ModuleCompiler(modules, builtins, opts.enablePrintStatements ?? true, opts.baseData).run();
}

function policyCallables(policy: CompiledPolicy): Callables {
  const rulesByName = new Map<string, CompiledRule[]>();
  for (const r of policy.rules) {
    const n = callableName(r.ref);
    if (n !== undefined && groundPrefix(r.ref).length === r.ref.length) rulesByName.set(n, [...(rulesByName.get(n) ?? []), r]);
  }
  return { builtins: policy.builtins, rulesByName };
}

/**
 * Compiles a query against a compiled policy (OPA's query compiler stages). Top-level query
 * vars keep the user's names (`x := 1` → `x = 1`) so result rows are keyed by them; vars of
 * nested scopes are generated (`__localqN__`).
 */
export function compileQuery(policy: CompiledPolicy, query: Body | string, opts: Pick<CompileOptions, 'enablePrintStatements'> = {}): CompiledQuery {
  const original: Body = typeof query === 'string' ? parseQuery(query) : deepClone(query);
  const diag = new Diagnostics();
  const gen = new LocalVarGenerator(bodyVars(original), '__localq');
  const callables = policyCallables(policy);
  const arity: ArityFn = (name) => arityOf(callables, name);
  const stage = (f: () => void): void => {
    f();
    diag.throwIfAny();
  };
  let body = original;
  stage(() => body.forEach((e) => lowerTemplateStringsInExpr(e, gen)));
  stage(() => simplifyTemplatePartsInBody(body, constantRefTest(policy.rules)));
  const order = [...new VarCollector({ skipClosures: true, skipRefCallHead: true, skipWithTarget: true }).body(body).vars];
  const rewritten = new Map<string, string>();
  stage(() => {
    const stack = new DeclaredVarStack(rewritten);
    body = new LocalVarRewriter(gen, diag).bodyIn(stack, new Set(), body);
    // Top-level declared vars keep the user's names.
    const top = stack.peek();
    const back = new Map<string, string>();
    top.vs.forEach((gv, orig) => {
      if (gv !== orig && !orig.startsWith('$') && !isGeneratedVar(orig)) back.set(gv, orig);
    });
    if (back.size > 0) {
      replaceVarsInBody(body, back);
      back.forEach((_, gv) => rewritten.delete(gv));
    }
  });
  stage(() => checkVoidCalls(body, policy.builtins, diag));
  stage(() => {
    if (opts.enablePrintStatements ?? true) rewritePrintCalls(body, new Set(RESERVED), arity, gen, diag);
    else body = erasePrintCalls(body);
  });
  stage(() => (body = new ExprTermRewriter(gen).body(body)));
  stage(() => rewriteComprehensionTermsInBody(body, gen));
  stage(() => (body = rewriteWithValues(body, callables, gen, diag)));
  stage(() => {
    checkUndefinedFuncs(body, callables, diag);
    checkFunctionRefs(body, callables, diag);
  });
  stage(() => {
    const r = reorderBodyForSafety(arity, new Set(RESERVED), body);
    if (r.unsafe.size > 0) unsafeErrors(r.unsafe, rewritten, diag);
    else body = r.body;
  });
  stage(() => checkBuiltinArgTypes(body, policy.builtins, diag));
  stage(() => rewriteEqualsInBody(body));
  stage(() => (body = new DynamicTermRewriter(gen).body(body)));
  const vars = order.filter((v) => !RESERVED.has(v) && !v.startsWith('$') && !isGeneratedVar(v));
  return { body, vars, rewrittenVars: rewritten };
}

