/**
 * Module assembly, as OPA's `parser_ext.go` does it: statements → Module, statements such as
 * `p := 1` / `p.q.r := 1` / `f(x) := y` become rules with a generated body (ParseRuleFromBody),
 * and the Rego v1 checks (`if` / `contains` required, CheckRegoV1) run over every rule.
 */
import {
  type Body,
  type Comment,
  type Head,
  type Import,
  type Location,
  type Module,
  type Package,
  type RegoVersion,
  type Rule,
  type Term,
  booleanTerm,
  operatorName,
} from './ast';
import { refToString, termToString, valueName } from './format';
import { KEYWORDS } from './lexer';
import { type RuleMeta, type RuleMetaStore, trueExpr } from './rule-meta';
import { type AnnotationBlock, isAnnotationScope, parseAnnotationBlocks, validateAttachment } from './annotations';

/** A parse error before it becomes a RegoError (errors are cheap until the parse has failed). */
export interface ParseProblem {
  message: string;
  loc: Location;
}

export type Statement =
  | { kind: 'package'; pkg: Package }
  | { kind: 'import'; imp: Import }
  | { kind: 'rule'; rule: Rule }
  | { kind: 'body'; body: Body };

export function statementLocation(st: Statement): Location {
  switch (st.kind) {
    case 'package':
      return st.pkg.location;
    case 'import':
      return st.imp.location;
    case 'rule':
      return st.rule.location;
    case 'body':
      return st.body[0].location;
  }
}

/** Statements of one file → Module, or the problems that prevent it. */
export function assembleModule(
  file: string,
  stmts: readonly Statement[],
  comments: Comment[],
  meta: RuleMetaStore,
  regoVersion: RegoVersion = 1,
): { module: Module | null; problems: ParseProblem[] } {
  const problems: ParseProblem[] = [];
  if (stmts.length === 0) return { module: null, problems: [{ message: 'empty module', loc: { file, row: 1, col: 1 } }] };
  const first = stmts[0];
  let pkg: Package | undefined;
  if (first.kind === 'package') pkg = first.pkg;
  else problems.push({ message: 'package expected', loc: statementLocation(first) });
  const mod: Module = {
    package: pkg ?? { path: [], location: { file, row: 1, col: 1 } },
    imports: [],
    rules: [],
    comments,
    file,
    ...(regoVersion === 0 ? { regoVersion } : {}),
  };
  const rules = rulesFromStatements(meta);
  const nodes: AnnotationTarget[] = pkg ? [{ row: pkg.location.row, kind: 'package' }] : [];
  for (const st of stmts.slice(1)) {
    switch (st.kind) {
      case 'import':
        mod.imports.push(st.imp);
        nodes.push({ row: st.imp.location.row, kind: 'import' });
        break;
      case 'rule':
        mod.rules.push(st.rule);
        nodes.push({ row: st.rule.location.row, kind: 'rule', rule: st.rule });
        break;
      case 'body': {
        const r = rules.ruleFromBody(st.body);
        if (typeof r === 'string') problems.push({ message: r, loc: st.body[0].location });
        else {
          mod.rules.push(r);
          nodes.push({ row: r.location.row, kind: 'rule', rule: r });
        }
        break;
      }
      case 'package':
        problems.push({ message: 'unexpected package', loc: st.pkg.location });
        break;
    }
  }
  problems.push(...attachAnnotations(mod, comments, nodes));
  if (regoVersion === 1) {
    for (const rule of mod.rules) {
      for (let r: Rule | undefined = rule; r; r = r.else) problems.push(...rules.checkRegoV1(r));
    }
  }
  return problems.length > 0 ? { module: null, problems } : { module: mod, problems };
}

type AnnotationTarget = { row: number; kind: 'package' | 'import' } | { row: number; kind: 'rule'; rule: Rule };

/**
 * OPA's attachAnnotationsNodes: each METADATA block applies to the first statement on a
 * later row; without a `scope` it is `rule` (`document` with `entrypoint: true`) above a
 * rule and `package` above the package.
 */
function attachAnnotations(mod: Module, comments: Comment[], nodes: readonly AnnotationTarget[]): ParseProblem[] {
  const { blocks, problems } = parseAnnotationBlocks(comments);
  for (const b of blocks as AnnotationBlock[]) {
    const a = b.annotations;
    const node = nodes.find((n) => n.row > a.location.row) ?? null;
    let scope = a.scope;
    if (scope === '' && node) {
      if (node.kind === 'rule') scope = a.entrypoint ? 'document' : 'rule';
      else scope = node.kind;
    }
    const found = validateAttachment(scope, a.entrypoint === true, node ? node.kind : null, a.location);
    if (found.length > 0 || !isAnnotationScope(scope) || !node) {
      problems.push(...found.map((p) => ({ message: p.message, loc: p.loc })));
      continue;
    }
    const annotations = { ...a, scope };
    if (node.kind === 'rule') node.rule.annotations = [...(node.rule.annotations ?? []), annotations];
    else mod.annotations = [...(mod.annotations ?? []), annotations];
  }
  return problems.map((p) => ({ message: p.message, loc: p.loc }));
}

function rulesFromStatements(meta: RuleMetaStore): {
  checkRegoV1: (rule: Rule) => ParseProblem[];
  ruleFromBody: (body: Body) => Rule | string;
} {
  function checkRegoV1(rule: Rule): ParseProblem[] {
    const m = meta.get(rule);
    const t = rule.head.args && rule.head.args.length > 0 ? 'function' : 'rule';
    const errs: ParseProblem[] = [];
    const err = (msg: string): void => {
      errs.push({ message: msg, loc: rule.location });
    };
    if (rule.head.name && rule.head.reference.length === 1 && KEYWORDS.has(rule.head.name)) err(`${rule.head.name} keyword cannot be used for ${t} name`);
    if (m.generatedBody && m.generatedValue) err(`${t} must have value assignment and/or body declaration`);
    if (!m.generatedBody && !m.keywords.has('if') && !rule.default) err(`\`if\` keyword is required before ${t} body`);
    if (rule.head.key && !rule.head.value && !m.keywords.has('contains')) {
      err('`contains` keyword is required for partial set rules');
    }
    return errs;
  }

  /** OPA's ParseRuleFromBody: `p := 1`, `p.q.r = 2`, `f(x) := y`, `p.q.r` statements become rules. */
  function ruleFromBody(body: Body): Rule | string {
    if (body.length !== 1) return 'multiple expressions cannot be used for rule head';
    const expr = body[0];
    if (expr.with.length > 0) return 'expressions using with keyword cannot be used for rule head';
    if (expr.negated) return 'negated expressions cannot be used for rule head';
    const terms = expr.terms;
    if (!Array.isArray(terms)) {
      if ('type' in terms) return terms.type === 'somedecl' ? "'some' declarations cannot be used for rule head" : 'expression cannot be used for rule head';
      const v = terms.value;
      if (v.type !== 'ref') return `${valueName(v)} cannot be used for rule name`;
      const ref = v.value;
      if (ref[0].value.type !== 'var') return `invalid rule head: ${refToString(ref)}`;
      if (ref.length > 2) {
        const head: Head = { reference: ref, value: booleanTerm(true, terms.location), assign: false, location: terms.location };
        return genRule(head, terms.location, { generatedValue: true, generatedBody: true });
      }
      if (ref.length === 1) return `${valueName(v)}s cannot be used for rule head`;
      const head: Head = { name: ref[0].value.value, reference: [ref[0]], key: ref[1], assign: false, location: terms.location };
      return genRule(head, terms.location, { generatedBody: true });
    }
    const op = operatorName(terms[0]);
    if ((op === 'eq' || op === 'assign') && terms.length === 3) {
      const r = ruleFromEq(terms[1], terms[2], expr.location);
      if (typeof r !== 'string' && op === 'assign') r.head.assign = true;
      return r;
    }
    // `f(x)` alone: a function returning true
    if (terms.length <= 1) return 'rule argument list must take at least one argument';
    const opTerm = terms[0];
    if (opTerm.value.type !== 'ref' || opTerm.value.value[0].value.type !== 'var') return `invalid rule head: ${termToString(opTerm)}`;
    const ref = opTerm.value.value;
    const head: Head = { reference: ref, args: terms.slice(1), value: booleanTerm(true, opTerm.location), assign: false, location: opTerm.location };
    if (ref.length === 1 && ref[0].value.type === 'var') head.name = ref[0].value.value;
    return genRule(head, opTerm.location, { generatedBody: true });
  }

  function ruleFromEq(lhs: Term, rhs: Term, exprLoc: Location): Rule | string {
    let head: Head;
    if (lhs.value.type === 'call') {
      const [op, ...args] = lhs.value.value;
      if (op.value.type !== 'ref') return `${valueName(op.value)}s cannot be used in function signature`;
      const ref = op.value.value;
      if (ref[0].value.type !== 'var') return `invalid rule head: ${refToString(ref)}`;
      head = { reference: ref, args, value: rhs, assign: false, location: exprLoc };
      if (ref.length === 1) head.name = ref[0].value.value;
    } else if (lhs.value.type === 'ref') {
      const ref = lhs.value.value;
      if (ref[0].value.type !== 'var') return `invalid rule head: ${refToString(ref)}`;
      head = { reference: ref, value: rhs, assign: false, location: exprLoc };
      if (ref.length === 1) head.name = ref[0].value.value;
      if (ref.length === 2) {
        head.name = ref[0].value.value;
        head.key = ref[1];
      }
    } else if (lhs.value.type === 'var') {
      head = { name: lhs.value.value, reference: [lhs], value: rhs, assign: false, location: exprLoc };
    } else {
      return `${valueName(lhs.value)} cannot be used for rule name`;
    }
    return genRule(head, exprLoc, { generatedBody: true });
  }

  function genRule(head: Head, loc: Location, m: Partial<RuleMeta>): Rule {
    const rule: Rule = { head, body: [trueExpr(loc)], default: false, location: loc };
    return meta.set(rule, m);
  }

  return { checkRegoV1, ruleFromBody };
}
