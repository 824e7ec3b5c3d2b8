/**
 * Converts the compiler's output (`CompiledPolicy`, parser AST nodes) into the
 * planner's model (`model.ts`). This is the only planner module that knows the
 * AST's shape; anything the compiler should have lowered (nested calls,
 * template strings, `some` declarations) is rejected here with its location.
 */
import type { Body, Expr, Location, Rule, Term } from '../parse/ast';
import { isCallExpr, isEvery, isSomeDecl, isTermExpr } from '../parse/ast';
import type { CompiledPolicy } from '../compile/types';
import type { BuiltinInfo, Loc, PBody, PExpr, PModule, PRule, PTerm, PValue } from './model';
import { planError } from './errors';

function loc(l: Location | undefined): Loc | null {
  return l ? { file: l.file, row: l.row, col: l.col } : null;
}

function convertTerm(t: Term): PTerm {
  return { value: convertValue(t), loc: loc(t.location) };
}

function convertValue(t: Term): PValue {
  const v = t.value;
  switch (v.type) {
    case 'null':
      return { t: 'null' };
    case 'boolean':
      return { t: 'boolean', v: v.value };
    case 'number':
      return { t: 'number', text: v.value };
    case 'string':
      return { t: 'string', v: v.value };
    case 'var':
      return { t: 'var', name: v.value };
    case 'ref':
      return { t: 'ref', terms: v.value.map(convertTerm) };
    case 'array':
      return { t: 'array', elems: v.value.map(convertTerm) };
    case 'object':
      return { t: 'object', pairs: v.value.map(([k, x]) => [convertTerm(k), convertTerm(x)] as [PTerm, PTerm]) };
    case 'set':
      return { t: 'set', elems: v.value.map(convertTerm) };
    case 'arraycomprehension':
      return { t: 'arraycomp', term: convertTerm(v.term), body: convertBody(v.body) };
    case 'setcomprehension':
      return { t: 'setcomp', term: convertTerm(v.term), body: convertBody(v.body) };
    case 'objectcomprehension':
      return { t: 'objectcomp', key: convertTerm(v.key), value: convertTerm(v.value), body: convertBody(v.body) };
    case 'call':
      return { t: 'call', terms: v.value.map(convertTerm) };
    case 'templatestring':
      throw planError('template string was not lowered by the compiler', loc(t.location));
  }
}

function convertExpr(e: Expr): PExpr {
  const base = {
    loc: loc(e.location),
    negated: e.negated,
    with: e.with.map((w) => ({ target: convertTerm(w.target), value: convertTerm(w.value), loc: loc(w.location) })),
  };
  if (isCallExpr(e)) {
    const [op, ...args] = e.terms;
    if (!op) throw planError('empty call expression', loc(e.location));
    return { ...base, body: { kind: 'call', operator: convertTerm(op), operands: args.map(convertTerm) } };
  }
  if (isEvery(e)) {
    const ev = e.terms;
    return {
      ...base,
      body: {
        kind: 'every',
        key: ev.key ? convertTerm(ev.key) : null,
        value: convertTerm(ev.value),
        domain: convertTerm(ev.domain),
        body: convertBody(ev.body),
      },
    };
  }
  if (isSomeDecl(e)) throw planError('`some` declaration was not rewritten by the compiler', loc(e.location));
  if (isTermExpr(e)) {
    const t = e.terms;
    // A call written as a plain term expression is the same as a call expression.
    if (t.value.type === 'call') {
      const [op, ...args] = t.value.value;
      if (op) return { ...base, body: { kind: 'call', operator: convertTerm(op), operands: args.map(convertTerm) } };
    }
    return { ...base, body: { kind: 'term', term: convertTerm(t) } };
  }
  throw planError('unknown expression form', loc(e.location));
}

export function convertBody(b: Body): PBody {
  return b.map(convertExpr);
}

function convertRule(rule: Rule, ref: PTerm[], argCount: number): PRule {
  const h = rule.head;
  const multiValue = h.key !== undefined && h.value === undefined;
  return {
    ref,
    args: (h.args ?? []).map(convertTerm),
    key: h.key ? convertTerm(h.key) : null,
    value: h.value ? convertTerm(h.value) : null,
    multiValue,
    isDefault: rule.default,
    body: convertBody(rule.body),
    else: rule.else ? convertRule(rule.else, ref, argCount) : null,
    headLoc: loc(h.location),
    argCount,
  };
}

/** The policy's modules as the planner sees them (rules with full refs, in module order). */
export function convertPolicy(policy: CompiledPolicy): PModule[] {
  const out: PModule[] = policy.modules.map((m) => ({ packagePath: m.package.path.map(convertTerm), rules: [] }));
  for (const cr of policy.rules) {
    const m = out[cr.moduleIndex];
    if (!m) throw planError(`rule ${cr.path} refers to a missing module`, loc(cr.rule.location), 'rego_internal_error');
    m.rules.push(convertRule(cr.rule, cr.ref.map(convertTerm), cr.argCount));
  }
  return out;
}

export function builtinLookup(policy: CompiledPolicy): (name: string) => BuiltinInfo | undefined {
  return (name) => {
    if (!Object.prototype.hasOwnProperty.call(policy.builtins, name)) return undefined;
    const b = policy.builtins[name]!;
    return { decl: b.decl, arity: b.arity, relation: b.relation, void: b.void };
  };
}
