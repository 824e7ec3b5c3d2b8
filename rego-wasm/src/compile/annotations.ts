/**
 * OPA's AnnotationSet (`v1/ast/annotations.go`) over the METADATA blocks the parser attached
 * to rules and packages, and the stages that use it: RewriteRegoMetadataCalls
 * (`rego.metadata.chain()` / `rego.metadata.rule()` become compile-time constants) and the
 * `entrypoint: true` annotations `opa build` turns into entrypoints.
 */
import type { Annotations, Body, Expr, JsonValue, Module, Ref, Rule, Term } from '../parse/ast';
import { booleanTerm, isCallExpr, operatorTerm, stringTerm, term, varTerm } from '../parse/ast';
import type { Diagnostics } from './diagnostics';
import { fullRuleRef } from './rule-tree';
import { forEachExprDeep } from './checks';
import { eqExpr, groundPrefix, refString } from './terms';
import type { LocalVarGenerator } from './vargen';

/** One chain entry: the annotated node's path (without `data`) and its annotations, if any. */
export interface AnnotationsRef {
  path: Ref;
  annotations?: Annotations;
}

function locString(a: Annotations): string {
  return `${a.location.file}:${a.location.row}`;
}

/** Location order (file, row, col), as OPA's Location.Compare. */
function compareLoc(a: Annotations, b: Annotations): number {
  const x = a.location;
  const y = b.location;
  if (x.file !== y.file) return x.file < y.file ? -1 : 1;
  return x.row - y.row || x.col - y.col;
}

export class AnnotationSet {
  private readonly byRule = new Map<Rule, Annotations[]>();
  private readonly byPackage = new Map<string, Annotations>();
  /** `document` (rule path) and `subpackages` (package path) annotations, by canonical path. */
  private readonly byPath = new Map<string, Annotations>();

  constructor(
    readonly modules: Module[],
    diag: Diagnostics,
  ) {
    // Without JSON-schema type checking a `schemas` block could let through a program OPA
    // rejects: refuse it instead.
    const noSchemas = (a: Annotations): void => {
      if (a.schemas && a.schemas.length > 0) diag.unsupported('type checking against `schemas` annotations', a.location);
    };
    for (const m of modules) {
      (m.annotations ?? []).forEach(noSchemas);
      m.rules.forEach((r) => (r.annotations ?? []).forEach(noSchemas));
    }
    const redeclared = (a: Annotations, prev: Annotations): void =>
      diag.type(`${a.scope} annotation redeclared: ${locString(prev)}`, a.location);
    for (const m of modules) {
      for (const a of m.annotations ?? []) {
        const key = refString(m.package.path);
        if (a.scope === 'package') {
          const prev = this.byPackage.get(key);
          if (prev) redeclared(a, prev);
          else this.byPackage.set(key, a);
        } else if (a.scope === 'subpackages') {
          const prev = this.byPath.get(key);
          if (prev) redeclared(a, prev);
          else this.byPath.set(key, a);
        }
      }
      for (const r of m.rules) {
        for (const a of r.annotations ?? []) {
          if (a.scope === 'rule') this.byRule.set(r, [...(this.byRule.get(r) ?? []), a]);
          else if (a.scope === 'document') {
            const key = refString(groundPrefix(fullRuleRef(m, r)));
            const prev = this.byPath.get(key);
            if (prev) redeclared(a, prev);
            else this.byPath.set(key, a);
          }
        }
      }
    }
  }

  /** The rule's own (rule-scope) annotations, closest to the rule first. */
  ruleScope(rule: Rule): Annotations[] {
    return [...(this.byRule.get(rule) ?? [])].sort((a, b) => -compareLoc(a, b));
  }

  /**
   * OPA's AnnotationSet.Chain: the rule's own blocks (closest first, or one entry without
   * annotations), then its document, its package, and the subpackages blocks from the
   * closest package path outwards.
   */
  chain(m: Module, rule: Rule): AnnotationsRef[] {
    const path = groundPrefix(fullRuleRef(m, rule));
    const own = this.ruleScope(rule);
    const out: AnnotationsRef[] = own.length > 0 ? own.map((a) => ({ path, annotations: a })) : [{ path }];
    const doc = this.byPath.get(refString(path));
    if (doc && doc.scope === 'document') out.push({ path, annotations: doc });
    const pkg = this.byPackage.get(refString(m.package.path));
    if (pkg) out.push({ path: m.package.path, annotations: pkg });
    const pkgPath = m.package.path;
    for (let n = pkgPath.length; n >= 1; n--) {
      const prefix = pkgPath.slice(0, n);
      const a = this.byPath.get(refString(prefix));
      if (a && a.scope === 'subpackages') out.push({ path: prefix, annotations: a });
    }
    return out;
  }
}

// ---- AST constants ---------------------------------------------------------------------

function jsonTerm(v: JsonValue, loc: Term['location']): Term {
  if (v === null) return term({ type: 'null' }, loc);
  if (typeof v === 'boolean') return booleanTerm(v, loc);
  if (typeof v === 'number') return term({ type: 'number', value: String(v) }, loc);
  if (typeof v === 'string') return stringTerm(v, loc);
  if (Array.isArray(v)) return term({ type: 'array', value: v.map((x) => jsonTerm(x, loc)) }, loc);
  return term({ type: 'object', value: Object.entries(v).map(([k, x]) => [stringTerm(k, loc), jsonTerm(x, loc)] as [Term, Term]) }, loc);
}

/** OPA's Annotations.toObject as JSON: empty keys left out. */
export function annotationsObject(a: Annotations): { [key: string]: JsonValue } {
  const o: { [key: string]: JsonValue } = { scope: a.scope };
  if (a.title) o.title = a.title;
  if (a.entrypoint) o.entrypoint = true;
  if (a.description) o.description = a.description;
  if (a.organizations?.length) o.organizations = a.organizations;
  if (a.related_resources?.length) o.related_resources = a.related_resources.map((r) => ({ ...r }));
  if (a.authors?.length) o.authors = a.authors.map((x) => ({ ...x }));
  if (a.custom && Object.keys(a.custom).length > 0) o.custom = a.custom;
  return o;
}

function chainTerm(chain: AnnotationsRef[], loc: Term['location']): Term {
  return term(
    {
      type: 'array',
      value: chain.map((link) => {
        const items: [Term, Term][] = [[stringTerm('path', loc), term({ type: 'array', value: link.path.slice(1).map((p) => ({ ...p, location: loc })) }, loc)]];
        if (link.annotations) items.push([stringTerm('annotations', loc), jsonTerm(annotationsObject(link.annotations), loc)]);
        return term({ type: 'object', value: items }, loc);
      }),
    },
    loc,
  );
}

const CHAIN = 'rego.metadata.chain';
const RULE = 'rego.metadata.rule';

function callName(e: Expr): string | undefined {
  if (!isCallExpr(e)) return undefined;
  const op = e.terms[0]!;
  if (op.value.type !== 'ref') return undefined;
  const parts = op.value.value;
  const names = parts.map((p, i) => (i === 0 && p.value.type === 'var' ? p.value.value : p.value.type === 'string' ? p.value.value : ''));
  return names.join('.');
}

/**
 * RewriteRegoMetadataCalls, after RewriteExprTerms, as OPA does it: the rule's body starts
 * with `__localN__ = <the rule's chain>` (and/or `= <its closest rule-scope annotations, or
 * {}>`), constants computed at compile time; each `rego.metadata.chain(out)` becomes
 * `out = __localN__`, a bare call just `__localN__`.
 */
export function rewriteRegoMetadataCalls(set: AnnotationSet, m: Module, rule: Rule, gen: LocalVarGenerator, diag: Diagnostics): void {
  let firstChain: Expr | undefined;
  let firstRule: Expr | undefined;
  forEachExprDeep(rule.body, (e) => {
    const name = callName(e);
    if (name === CHAIN && !firstChain) firstChain = e;
    if (name === RULE && !firstRule) firstRule = e;
  });
  if (!firstChain && !firstRule) return;
  const inject: Expr[] = [];
  let chainVar: Term | undefined;
  let ruleVar: Term | undefined;
  if (firstChain) {
    const loc = firstChain.location;
    chainVar = varTerm(gen.generate(), loc);
    inject.push(eqExpr(chainVar, chainTerm(set.chain(m, rule), loc), loc));
  }
  if (firstRule) {
    const loc = firstRule.location;
    const own = set.ruleScope(rule)[0];
    ruleVar = varTerm(gen.generate(), loc);
    inject.push(eqExpr(ruleVar, own ? jsonTerm(annotationsObject(own), loc) : term({ type: 'object', value: [] }, loc), loc));
  }
  rule.body = [...inject, ...rule.body];
  rule.body.forEach((e, i) => (e.index = i));
  forEachExprDeep(rule.body, (e) => {
    const name = callName(e);
    const v = name === CHAIN ? chainVar : name === RULE ? ruleVar : undefined;
    if (!v) return;
    const terms = e.terms as Term[];
    if (terms.length > 2) {
      diag.type(`${name}: arity mismatch`, e.location);
      return;
    }
    e.terms = terms.length === 2 ? [operatorTerm('eq', e.location), terms[1]!, { ...v, location: e.location }] : { ...v, location: e.location };
    e.generated = true;
  });
}

/**
 * Entrypoints declared with `entrypoint: true` (rule `document` scope or `package` scope), as
 * `opa build` adds them: `a/b/p` paths without `data`, sorted and unique.
 */
export function annotatedEntrypoints(modules: readonly Module[]): string[] {
  const out = new Set<string>();
  const pathOf = (ref: Ref): string =>
    ref
      .slice(1)
      .map((t) => (t.value.type === 'string' ? t.value.value : refString([t])))
      .join('/');
  for (const m of modules) {
    for (const a of m.annotations ?? []) if (a.entrypoint) out.add(pathOf(m.package.path));
    for (const r of m.rules) {
      for (const a of r.annotations ?? []) if (a.entrypoint) out.add(pathOf(groundPrefix(fullRuleRef(m, r))));
    }
  }
  return [...out].sort();
}
