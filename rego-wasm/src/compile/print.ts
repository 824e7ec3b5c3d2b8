/**
 * Compact Rego-like text of compiled rules and bodies (`eq(x, 1)`, `plus(a, 1, __local0__)`),
 * for tests, debugging and `policy:build --explain`-style output. Not a formatter: calls are
 * printed in prefix form so the compiled shape is visible.
 */
import type { Body, Expr, Term } from '../parse/ast';
import { isCallExpr, isEvery, isSomeDecl } from '../parse/ast';
import type { CompiledRule } from './types';

export function termText(t: Term): string {
  const v = t.value;
  switch (v.type) {
    case 'null':
      return 'null';
    case 'boolean':
      return String(v.value);
    case 'number':
      return v.value;
    case 'string':
      return JSON.stringify(v.value);
    case 'var':
      return v.value;
    case 'ref':
      return v.value
        .map((x, i) => (i === 0 ? termText(x) : x.value.type === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(x.value.value) ? `.${x.value.value}` : `[${termText(x)}]`))
        .join('');
    case 'array':
      return `[${v.value.map(termText).join(', ')}]`;
    case 'set':
      return v.value.length === 0 ? 'set()' : `{${v.value.map(termText).join(', ')}}`;
    case 'object':
      return `{${v.value.map(([k, x]) => `${termText(k)}: ${termText(x)}`).join(', ')}}`;
    case 'call':
      return `${termText(v.value[0]!)}(${v.value.slice(1).map(termText).join(', ')})`;
    case 'arraycomprehension':
      return `[${termText(v.term)} | ${bodyText(v.body)}]`;
    case 'setcomprehension':
      return `{${termText(v.term)} | ${bodyText(v.body)}}`;
    case 'objectcomprehension':
      return `{${termText(v.key)}: ${termText(v.value)} | ${bodyText(v.body)}}`;
    case 'templatestring':
      return '$"..."';
  }
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
