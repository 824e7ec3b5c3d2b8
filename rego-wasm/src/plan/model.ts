/**
 * The planner's view of compiled Rego: a small, closed set of node types the
 * planner pattern-matches on. `from-compiled.ts` converts the compiler's
 * output into this view (the only module that knows the AST's shape), so the
 * planning code reads like OPA's planner.
 */
import { isDotRefKey } from '../parse/format';

export interface Loc {
  file: string;
  row: number;
  col: number;
}

export type PValue =
  | { t: 'null' }
  | { t: 'boolean'; v: boolean }
  | { t: 'number'; text: string }
  | { t: 'string'; v: string }
  | { t: 'var'; name: string }
  | { t: 'ref'; terms: PTerm[] }
  | { t: 'array'; elems: PTerm[] }
  | { t: 'object'; pairs: [PTerm, PTerm][] }
  | { t: 'set'; elems: PTerm[] }
  | { t: 'arraycomp'; term: PTerm; body: PBody }
  | { t: 'setcomp'; term: PTerm; body: PBody }
  | { t: 'objectcomp'; key: PTerm; value: PTerm; body: PBody }
  | { t: 'call'; terms: PTerm[] };

export interface PTerm {
  value: PValue;
  loc: Loc | null;
}

export interface PWith {
  target: PTerm;
  value: PTerm;
  loc: Loc | null;
}

export type PExprBody =
  | { kind: 'term'; term: PTerm }
  | { kind: 'call'; operator: PTerm; operands: PTerm[] }
  | { kind: 'every'; key: PTerm | null; value: PTerm; domain: PTerm; body: PBody };

export interface PExpr {
  loc: Loc | null;
  negated: boolean;
  with: PWith[];
  body: PExprBody;
}

export type PBody = PExpr[];

export interface PRule {
  /** Full rule ref, e.g. data.pkg.p or data.pkg.p[x] (ref heads). */
  ref: PTerm[];
  args: PTerm[];
  /** `contains` key (multi-value rules); null otherwise. */
  key: PTerm | null;
  /** Value for single-value rules and functions; null for multi-value rules. */
  value: PTerm | null;
  multiValue: boolean;
  isDefault: boolean;
  body: PBody;
  else: PRule | null;
  headLoc: Loc | null;
  /** Number of function args (for the rule trie's arity). */
  argCount: number;
}

export interface PModule {
  /** Package path as a ref: data.a.b */
  packagePath: PTerm[];
  rules: PRule[];
}

/** What the planner needs to know about a builtin. */
export interface BuiltinInfo {
  decl: unknown;
  arity: number;
  relation: boolean;
  void: boolean;
}

// ---- helpers -------------------------------------------------------------

const GENERATED_PREFIX = '__local';

export function isGeneratedVar(name: string): boolean {
  return name.startsWith(GENERATED_PREFIX);
}

export function isWildcardVar(name: string): boolean {
  return name.startsWith('$');
}

const TYPE_RANK: Record<PValue['t'], number> = {
  null: 0, boolean: 1, number: 2, string: 3, var: 4, ref: 5, array: 6, object: 7, set: 8,
  arraycomp: 9, objectcomp: 10, setcomp: 11, call: 12,
};

export function valueRank(v: PValue): number {
  return TYPE_RANK[v.t];
}

function compareNumberText(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (Number.isFinite(x) && Number.isFinite(y) && x !== y) return x < y ? -1 : 1;
  if (x === y && a !== b) return 0;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareTermLists(a: PTerm[], b: PTerm[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareValues(a[i]!.value, b[i]!.value);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** Rego's total order over values (as OPA's ast.Compare). */
export function compareValues(a: PValue, b: PValue): number {
  const ra = TYPE_RANK[a.t];
  const rb = TYPE_RANK[b.t];
  if (ra !== rb) return ra - rb;
  switch (a.t) {
    case 'null':
      return 0;
    case 'boolean':
      return Number(a.v) - Number((b as typeof a).v);
    case 'number':
      return compareNumberText(a.text, (b as typeof a).text);
    case 'string':
      return compareStr(a.v, (b as typeof a).v);
    case 'var':
      return compareStr(a.name, (b as typeof a).name);
    case 'ref':
    case 'call':
      return compareTermLists(a.terms, (b as typeof a).terms);
    case 'array':
    case 'set':
      return compareTermLists(a.elems, (b as typeof a).elems);
    case 'object': {
      const bb = b as typeof a;
      const ka = sortedPairs(a.pairs);
      const kb = sortedPairs(bb.pairs);
      const n = Math.min(ka.length, kb.length);
      for (let i = 0; i < n; i++) {
        const c = compareValues(ka[i]![0].value, kb[i]![0].value);
        if (c !== 0) return c;
        const d = compareValues(ka[i]![1].value, kb[i]![1].value);
        if (d !== 0) return d;
      }
      return ka.length - kb.length;
    }
    default:
      return 0;
  }
}

export function sortedPairs(pairs: [PTerm, PTerm][]): [PTerm, PTerm][] {
  return [...pairs].sort((x, y) => compareValues(x[0].value, y[0].value));
}

export function sortedTerms(terms: PTerm[]): PTerm[] {
  const out: PTerm[] = [];
  for (const t of [...terms].sort((x, y) => compareValues(x.value, y.value))) {
    if (out.length === 0 || compareValues(out[out.length - 1]!.value, t.value) !== 0) out.push(t);
  }
  return out;
}

/** Visit every var in a term (including refs' heads and closures), stop when `f` returns true. */
export function someVar(t: PTerm, f: (name: string) => boolean): boolean {
  const v = t.value;
  switch (v.t) {
    case 'var':
      return f(v.name);
    case 'ref':
    case 'call':
      return v.terms.some((x) => someVar(x, f));
    case 'array':
    case 'set':
      return v.elems.some((x) => someVar(x, f));
    case 'object':
      return v.pairs.some(([k, x]) => someVar(k, f) || someVar(x, f));
    case 'arraycomp':
    case 'setcomp':
      return someVar(v.term, f) || v.body.some((e) => someVarExpr(e, f));
    case 'objectcomp':
      return someVar(v.key, f) || someVar(v.value, f) || v.body.some((e) => someVarExpr(e, f));
    default:
      return false;
  }
}

function someVarExpr(e: PExpr, f: (name: string) => boolean): boolean {
  const b = e.body;
  let hit = false;
  if (b.kind === 'term') hit = someVar(b.term, f);
  else if (b.kind === 'call') hit = someVar(b.operator, f) || b.operands.some((x) => someVar(x, f));
  else hit = (b.key !== null && someVar(b.key, f)) || someVar(b.value, f) || someVar(b.domain, f) || b.body.some((x) => someVarExpr(x, f));
  return hit || e.with.some((w) => someVar(w.target, f) || someVar(w.value, f));
}

export function isGround(t: PTerm): boolean {
  return !someVar(t, () => true);
}


/** Rego text of a value (enough for names and messages). */
export function valueString(v: PValue): string {
  switch (v.t) {
    case 'null':
      return 'null';
    case 'boolean':
      return String(v.v);
    case 'number':
      return v.text;
    case 'string':
      return JSON.stringify(v.v);
    case 'var':
      return v.name;
    case 'ref':
      return refString(v.terms);
    case 'array':
      return `[${v.elems.map((e) => valueString(e.value)).join(', ')}]`;
    case 'set':
      return v.elems.length === 0 ? 'set()' : `{${v.elems.map((e) => valueString(e.value)).join(', ')}}`;
    case 'object':
      return `{${v.pairs.map(([k, x]) => `${valueString(k.value)}: ${valueString(x.value)}`).join(', ')}}`;
    case 'call':
      return `${valueString(v.terms[0]!.value)}(${v.terms.slice(1).map((e) => valueString(e.value)).join(', ')})`;
    default:
      return `<${v.t}>`;
  }
}

/** OPA's Ref.String(): data.a["b c"][x]. */
export function refString(terms: PTerm[]): string {
  if (terms.length === 0) return '';
  let s = valueString(terms[0]!.value);
  for (const t of terms.slice(1)) {
    const v = t.value;
    if (v.t === 'string' && isDotRefKey(v.v)) s += `.${v.v}`;
    else s += `[${valueString(v)}]`;
  }
  return s;
}

export function term(value: PValue, loc: Loc | null = null): PTerm {
  return { value, loc };
}
