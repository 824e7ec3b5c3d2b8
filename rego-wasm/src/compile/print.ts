/**
 * Compact Rego-like text of compiled rules and bodies (`eq(x, 1)`, `plus(a, 1, __local0__)`),
 * for tests, debugging and `policy:build --explain`-style output. Not a formatter: calls are
 * printed in prefix form so the compiled shape is visible.
 */
import type { Body, Expr, Term } from '../parse/ast';
import { isCallExpr, isEvery, isSomeDecl } from '../parse/ast';
import { formatTerm, type TermFormat } from '../parse/format';
import type { CompiledRule } from './types';

/** Compiled form of a term: comprehension bodies printed in full, template strings as `$"..."`. */
const COMPILED_PRINT_FORMAT: TermFormat = { closureBody: (b) => bodyText(b), templateString: 'placeholder' };

export function termText(t: Term): string {
  return formatTerm(t, COMPILED_PRINT_FORMAT);
}

export function exprText(e: Expr): string {
  let s = e.negated ? 'not ' : '';
  if (isCallExpr(e)) s += `${termText(e.terms[0]!)}(${e.terms.slice(1).map(termText).join(', ')})`;
  else if (isEvery(e)) {
    const ev = e.terms;
    s += `every ${ev.key ? `${termText(ev.key)}, ` : ''}${termText(ev.value)} in ${termText(ev.domain)} { ${bodyText(ev.body)} }`;
  } else if (isSomeDecl(e)) s += `some ${e.terms.symbols.map(termText).join(', ')}`;
  else s += termText(e.terms as Term);
  for (const w of e.with) s += ` with ${termText(w.target)} as ${termText(w.value)}`;
  return s;
}

export function bodyText(b: Body): string {
  return b.map(exprText).join('; ');
}

/** One line per rule (and per else branch): `<kind> <ref>(args) [key=k] [:= v] if { body }`. */
export function ruleText(r: CompiledRule): string[] {
  const out: string[] = [];
  let prefix = `${r.rule.default ? 'default ' : ''}${r.kind} ${termText({ value: { type: 'ref', value: r.ref }, location: r.rule.location })}`;
  for (let x: typeof r.rule | undefined = r.rule; x; x = x.else) {
    const h = x.head;
    out.push(
      `${prefix}${h.args ? `(${h.args.map(termText).join(', ')})` : ''}${h.key ? ` key=${termText(h.key)}` : ''}${h.value ? ` := ${termText(h.value)}` : ''} if { ${bodyText(x.body)} }`,
    );
    prefix = 'else';
  }
  return out;
}
