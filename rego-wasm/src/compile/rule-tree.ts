/**
 * SetRuleTree and CheckRuleConflicts (OPA `compile.go`): every rule gets its full ref
 * (`data.pkg` + head ref), its kind and its rule-tree key (the ground prefix of the ref);
 * then conflicting definitions are reported the way OPA words them.
 */
import type { Module, Ref, Rule, Term } from '../parse/ast';
import type { Diagnostics } from './diagnostics';
import type { CompiledRule, RuleKind } from './types';
import { groundPrefix, isGroundTerm, refString, termKey, valueKey } from './terms';

export function ruleKind(rule: Rule): RuleKind {
  if (rule.head.args && rule.head.args.length > 0) return 'function';
  if (rule.head.key && !rule.head.value) return 'multi';
  return 'single';
}

/** OPA's `rule.Ref()`: the package path followed by the head ref (its first var as a string). */
export function fullRuleRef(m: Module, rule: Rule): Ref {
  const [head, ...rest] = rule.head.reference;
  const name: Term | undefined =
    head && head.value.type === 'var' ? { value: { type: 'string', value: head.value.value }, location: head.location } : head;
  return [...m.package.path, ...(name ? [name] : []), ...rest];
}

export function buildCompiledRules(modules: Module[]): CompiledRule[] {
  const out: CompiledRule[] = [];
  modules.forEach((m, moduleIndex) => {
    for (const rule of m.rules) {
      const ref = fullRuleRef(m, rule);
      out.push({
        rule,
        ref,
        path: refString(groundPrefix(ref)),
        kind: ruleKind(rule),
        argCount: rule.head.args?.length ?? 0,
        moduleIndex,
      });
    }
  });
  return out;
}

interface TreeNode {
  rules: CompiledRule[];
  children: Map<string, TreeNode>;
  key?: Term;
}

function newNode(key?: Term): TreeNode {
  return key ? { rules: [], children: new Map(), key } : { rules: [], children: new Map() };
}

export function buildRuleTree(rules: CompiledRule[]): TreeNode {
  const root = newNode();
  for (const r of rules) {
    let node = root;
    for (const t of groundPrefix(r.ref)) {
      const k = termKey(t);
      let child = node.children.get(k);
      if (!child) node.children.set(k, (child = newNode(t)));
      node = child;
    }
    node.rules.push(r);
  }
  return root;
}

function locString(l: { file: string; row: number }): string {
  return `${l.file}:${l.row}`;
}

/** Paths of all rules below a node (OPA's flattenChildren). */
function flattenChildren(node: TreeNode, prefix: Ref): string[] {
  const out: string[] = [];
  for (const c of node.children.values()) {
    const p = [...prefix, c.key!];
    if (c.rules.length > 0) out.push(refString(p));
    out.push(...flattenChildren(c, p));
  }
  return out.sort();
}

export function checkRuleConflicts(modules: Module[], rules: CompiledRule[], diag: Diagnostics): void {
  const root = buildRuleTree(rules);
  const visit = (node: TreeNode, prefix: Ref): void => {
    if (node.rules.length > 0) {
      const kinds = new Set<string>();
      const arities = new Set<number>();
      let complete = 0;
      let partial = 0;
      let conflicts: string[] | undefined;
      const defaults: CompiledRule[] = [];
      for (const r of node.rules) {
        kinds.add(r.kind === 'multi' ? 'multi' : 'single');
        arities.add(r.argCount);
        if (r.rule.default) defaults.push(r);
        const ground = r.ref.every((t, i) => i === 0 || isGroundTerm(t));
        if (ground && node.children.size > 0) conflicts = flattenChildren(node, prefix);
        const headGround = r.rule.head.reference.every((t, i) => i === 0 || isGroundTerm(t));
        if (r.kind !== 'multi' && headGround) complete++;
        else partial++;
      }
      const name = refString(node.rules[0]!.ref);
      if (conflicts && conflicts.length > 0) {
        diag.type(`rule ${name} conflicts with [${conflicts.join(' ')}]`, node.rules[0]!.rule.location);
      }
      if (kinds.size > 1 || arities.size > 1 || (complete >= 1 && partial >= 1)) {
        for (const r of node.rules) diag.type(`conflicting rules ${refString(r.ref)} found`, r.rule.location);
      } else if (defaults.length > 1) {
        const first = defaults[0]!;
        diag.type(
          `multiple default rules ${name} found at ${defaults.map((d) => locString(d.rule.location)).join(', ')}`,
          modules[first.moduleIndex]!.package.location,
        );
      }
    }
    for (const c of node.children.values()) visit(c, [...prefix, c.key!]);
  };
  visit(root, []);

  // A package must not live inside a ground rule's extent (and vice versa).
  const pkgs = new Map<string, Module[]>();
  for (const m of modules) {
    const k = refString(m.package.path);
    pkgs.set(k, [...(pkgs.get(k) ?? []), m]);
  }
  for (const r of rules) {
    if (groundPrefix(r.ref).length < r.ref.length) continue;
    const own = modules[r.moduleIndex]!;
    for (const other of pkgs.get(refString(r.ref)) ?? []) {
      if (other === own) continue;
      diag.type(
        `package ${refString(other.package.path).replace(/^data\./, '')} conflicts with rule ${refString(r.rule.head.reference)} defined at ${locString(r.rule.location)}`,
        own.package.location,
      );
    }
  }

  // `else` only on single-value rules with ground heads; default rules have no body vars.
  for (const r of rules) {
    if (!r.rule.else) continue;
    if (r.kind === 'multi') diag.compile('else keyword cannot be used on multi-value rules', r.rule.location);
    else if (!r.rule.head.reference.every((t, i) => i === 0 || isGroundTerm(t))) {
      diag.compile('else keyword cannot be used on rules with variables in head', r.rule.location);
    }
  }
}

/** A JSON document as OPA's store holds it (the base documents under `data`). */
export type BaseDocument = null | boolean | number | string | BaseDocument[] | { [key: string]: BaseDocument };

function isDocObject(v: BaseDocument | undefined): v is { [key: string]: BaseDocument } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * OPA's storage.NonEmpty: a path is taken when base data holds a value at it, or when a
 * prefix of it holds a value that is not an object.
 */
function baseDataTakes(data: BaseDocument, path: readonly string[]): boolean {
  let node: BaseDocument | undefined = data;
  for (const seg of path) {
    if (!isDocObject(node)) return true;
    if (!Object.prototype.hasOwnProperty.call(node, seg)) return false;
    node = node[seg];
  }
  return true;
}

/**
 * OPA's CheckPathConflicts: a rule may not define a path that base data already holds
 * (`conflicting rule for data path a/b found`, at the first rule of that path). Only
 * string-keyed paths can conflict; a subtree stops at its first conflict.
 */
export function checkPathConflicts(rules: CompiledRule[], data: BaseDocument, diag: Diagnostics): void {
  if (!isDocObject(data)) return;
  const root = buildRuleTree(rules).children.get(valueKey({ type: 'var', value: 'data' }));
  if (!root) return;
  const visit = (node: TreeNode, path: string[]): void => {
    const k = node.key?.value;
    if (!k || k.type !== 'string') return;
    const here = [...path, k.value];
    if (node.rules.length > 0 && baseDataTakes(data, here)) {
      diag.compile(`conflicting rule for data path ${here.join('/')} found`, node.rules[0]!.rule.location);
      return;
    }
    for (const c of node.children.values()) visit(c, here);
  };
  for (const c of root.children.values()) visit(c, []);
}
