/**
 * A conservative slice of OPA's CheckTypes: builtin arguments whose type is KNOWN at compile
 * time (literals, comprehensions, vars bound to them, builtin results with a concrete declared
 * result type) must fit the builtin's declared argument type, else `rego_type_error:
 * <name>: invalid argument(s)` as OPA reports it. Refs into input/data/rules are never typed
 * here (OPA types some of them), so this check rejects a subset of what OPA rejects.
 */
import type { Body, Term } from '../parse/ast';
import { isCallExpr, isEvery, isTermExpr } from '../parse/ast';
import type { BuiltinTable, TypeDecl } from '../builtins/signatures';
import type { Diagnostics } from './diagnostics';
import { forEachClosureBody, isEquality, operatorNameOf } from './terms';

type Known = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object' | 'set';
type TypeEnv = Map<string, Known>;

function typeOf(t: Term, env: TypeEnv): Known | undefined {
  const v = t.value;
  switch (v.type) {
    case 'null':
    case 'boolean':
    case 'number':
    case 'string':
    case 'array':
    case 'object':
    case 'set':
      return v.type;
    case 'arraycomprehension':
      return 'array';
    case 'setcomprehension':
      return 'set';
    case 'objectcomprehension':
      return 'object';
    case 'var':
      return env.get(v.value);
    default:
      return undefined;
  }
}

function concrete(d: TypeDecl | undefined): Known | undefined {
  if (!d) return undefined;
  switch (d.type) {
    case 'null':
    case 'boolean':
    case 'number':
    case 'string':
    case 'array':
    case 'object':
    case 'set':
      return d.type;
    default:
      return undefined;
  }
}

function fits(t: Known, d: TypeDecl): boolean {
  if (d.type === 'any') {
    const of = d.of;
    if (!Array.isArray(of)) return true;
    return (of as TypeDecl[]).some((x) => fits(t, x));
  }
  return d.type === t;
}

function declText(d: TypeDecl): string {
  if (d.type === 'any' && Array.isArray(d.of)) return `any<${(d.of as TypeDecl[]).map(declText).join(', ')}>`;
  return d.type;
}

export function checkBuiltinArgTypes(body: Body, builtins: BuiltinTable, diag: Diagnostics, outer: TypeEnv = new Map()): void {
  const env: TypeEnv = new Map(outer);
  for (const e of body) {
    if (isEvery(e)) {
      checkBuiltinArgTypes(e.terms.body, builtins, diag, env);
      continue;
    }
    const terms = isCallExpr(e) ? e.terms : isTermExpr(e) ? [e.terms] : [];
    for (const t of terms) forEachClosureBody(t, (b) => checkBuiltinArgTypes(b, builtins, diag, env));
    if (!isCallExpr(e) || e.with.length > 0) continue;
    if (isEquality(e)) {
      const [, a, b] = e.terms as [Term, Term, Term];
      if (!e.negated) {
        if (a.value.type === 'var' && !env.has(a.value.value)) {
          const tb = typeOf(b, env);
          if (tb) env.set(a.value.value, tb);
        } else if (b.value.type === 'var' && !env.has(b.value.value)) {
          const ta = typeOf(a, env);
          if (ta) env.set(b.value.value, ta);
        }
      }
      continue;
    }
    const name = operatorNameOf(e.terms[0]!);
    if (name === undefined || !Object.prototype.hasOwnProperty.call(builtins, name)) continue;
    const sig = builtins[name]!;
    const args = sig.decl.args ?? [];
    const have: (Known | undefined)[] = e.terms.slice(1, 1 + args.length).map((t) => typeOf(t, env));
    if (have.some((t, i) => t !== undefined && !fits(t, args[i]!))) {
      diag.type(
        `${name}: invalid argument(s)\n\thave: (${have.map((t) => t ?? 'any').join(', ')})\n\twant: (${args.map(declText).join(', ')})`,
        e.location,
      );
    }
    const out = e.terms[1 + args.length];
    const rt = concrete(sig.decl.result);
    if (!e.negated && out && out.value.type === 'var' && rt && !env.has(out.value.value)) env.set(out.value.value, rt);
  }
}

