/**
 * rego.parse_module(filename, text): the module parsed by this project's Rego
 * parser (`../../parse`), as OPA's `json.Marshal(ast.Module)` without locations
 * (OPA's default JSON options): terms `{"type", "value"}`, exprs `{"index",
 * "negated"?, "generated"?, "terms", "with"?}`, heads `{"name"?, "ref", "args"?,
 * "key"?, "value"?, "assign"?}`, rules `{"default"?, "else"?, "head", "body"}`,
 * comments `{"Text": base64, "Location": {"file","row","col"}}`.
 *
 * Refused rather than approximated: METADATA annotations (OPA adds an
 * `annotations` field this parser does not build), template strings, and sets /
 * objects whose elements are not all scalars when there are several (OPA
 * sorts them by its term order, which is only reproduced here for scalars).
 */
import { parseModule } from '../../parse';
import type { Body, Expr, Head, Module, Rule, Term, Value } from '../../parse';
import { BuiltinEvalError, InputLimitError } from './errors';
import { str } from './operands';
import { ExactJson, type InternalBuiltin, type JsonValue } from './types';

const B = 'rego.parse_module';
const MAX_MODULE = 1 << 20;

class Unsupported extends Error {}

/** A number kept as its source text (OPA prints `1.0`, `1e400` as written). */
class NumText {
  constructor(readonly text: string) {}
}
type RV = null | boolean | string | NumText | RV[] | { [key: string]: RV };
type RObj = { [key: string]: RV };

function toText(v: RV): string {
  if (v instanceof NumText) return v.text;
  if (Array.isArray(v)) return `[${v.map(toText).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toText(x)}`).join(',')}}`;
  return JSON.stringify(v);
}

function toApprox(v: RV): JsonValue {
  if (v instanceof NumText) return Number(v.text);
  if (Array.isArray(v)) return v.map(toApprox);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toApprox(x)]));
  return v;
}

const SCALAR_RANK: Record<string, number> = { null: 0, boolean: 1, number: 2, string: 3 };

/** OPA's Compare for scalar terms (null < booleans < numbers < strings). */
function compareScalars(a: Term, b: Term): number {
  const ra = SCALAR_RANK[a.value.type];
  const rb = SCALAR_RANK[b.value.type];
  if (ra !== rb) return ra - rb;
  const va = a.value as { value?: unknown };
  const vb = b.value as { value?: unknown };
  if (a.value.type === 'number') {
    const d = Number(va.value) - Number(vb.value);
    if (d !== 0 || String(va.value) === String(vb.value)) return d;
    throw new Unsupported('numbers too close to order exactly');
  }
  if (a.value.type === 'boolean') return Number(va.value) - Number(vb.value);
  if (a.value.type === 'string') {
    const x = Buffer.from(String(va.value), 'utf8');
    const y = Buffer.from(String(vb.value), 'utf8');
    return Buffer.compare(x, y);
  }
  return 0;
}

function sortedScalars<T>(items: T[], key: (t: T) => Term, what: string): T[] {
  if (items.length < 2) return items;
  if (!items.every((i) => key(i).value.type in SCALAR_RANK)) throw new Unsupported(`${what} with non-scalar elements`);
  return [...items].sort((a, b) => compareScalars(key(a), key(b)));
}

function value(v: Value): RV {
  switch (v.type) {
    case 'null':
      return null;
    case 'boolean':
      return v.value;
    case 'number':
      return new NumText(v.value);
    case 'string':
    case 'var':
      return v.value;
    case 'ref':
    case 'array':
    case 'call':
      return v.value.map(term);
    case 'set':
      return sortedScalars(v.value, (t) => t, 'set').map(term);
    case 'object':
      return sortedScalars(v.value, (kv) => kv[0], 'object').map(([k, x]) => [term(k), term(x)]);
    case 'arraycomprehension':
    case 'setcomprehension':
      return { term: term(v.term), body: body(v.body) };
    case 'objectcomprehension':
      return { key: term(v.key), value: term(v.value), body: body(v.body) };
    default:
      throw new Unsupported(`${v.type} terms`);
  }
}

function term(t: Term): RObj {
  return { type: t.value.type, value: value(t.value) };
}

function expr(e: Expr): RObj {
  const out: RObj = { index: new NumText(String(e.index)) };
  if (e.negated) out.negated = true;
  if (e.generated) out.generated = true;
  const t = e.terms;
  if (Array.isArray(t)) out.terms = t.map(term);
  else if ('type' in t && t.type === 'somedecl') out.terms = { symbols: t.symbols.map(term) };
  else if ('type' in t && t.type === 'every') out.terms = { key: t.key ? term(t.key) : null, value: term(t.value), domain: term(t.domain), body: body(t.body) };
  else out.terms = term(t as Term);
  if (e.with.length) out.with = e.with.map((w) => ({ target: term(w.target), value: term(w.value) }));
  return out;
}

const body = (b: Body): RV => b.map(expr);

function head(h: Head): RObj {
  const out: RObj = {};
  if (h.name) out.name = h.name;
  out.ref = h.reference.map(term);
  if (h.args && h.args.length) out.args = h.args.map(term);
  if (h.key) out.key = term(h.key);
  if (h.value) out.value = term(h.value);
  if (h.assign) out.assign = true;
  return out;
}

function rule(r: Rule): RObj {
  const out: RObj = {};
  if (r.default) out.default = true;
  if (r.else) out.else = rule(r.else);
  out.head = head(r.head);
  out.body = body(r.body);
  return out;
}

function moduleJson(m: Module): RObj {
  if (m.comments.some((c) => /^#?\s*METADATA\s*$/.test(c.text))) throw new Unsupported('METADATA annotations');
  const out: RObj = { package: { path: m.package.path.map(term) } };
  if (m.imports.length) out.imports = m.imports.map((i): RObj => (i.alias ? { path: term(i.path), alias: i.alias } : { path: term(i.path) }));
  if (m.rules.length) out.rules = m.rules.map(rule);
  if (m.comments.length) {
    out.comments = m.comments.map((c) => ({
      Text: Buffer.from(c.text.replace(/^#/, ''), 'utf8').toString('base64'),
      Location: { file: c.location.file, row: new NumText(String(c.location.row)), col: new NumText(String(c.location.col)) },
    }));
  }
  return out;
}

const parseModuleBuiltin: InternalBuiltin = (filename, text) => {
  const file = str(B, filename, 1);
  const src = str(B, text, 2);
  if (src.length > MAX_MODULE) throw new InputLimitError(B, `module larger than ${MAX_MODULE} bytes`);
  let m: Module;
  try {
    m = parseModule(src, file);
  } catch (e) {
    throw new BuiltinEvalError(B, e instanceof Error ? e.message : String(e));
  }
  try {
    const v = moduleJson(m);
    return new ExactJson(toText(v), toApprox(v));
  } catch (e) {
    if (e instanceof Unsupported) throw new BuiltinEvalError(B, `not supported by this implementation: ${e.message}`);
    throw e;
  }
};

export const regoModuleBuiltins: Record<string, InternalBuiltin> = { 'rego.parse_module': parseModuleBuiltin };
