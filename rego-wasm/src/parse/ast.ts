/**
 * Rego v1 abstract syntax tree (modelled on OPA's Go `v1/ast/term.go` and `policy.go`).
 *
 * Conventions (read before writing a pass):
 *  1. The tree is plain, JSON-serialisable data: no classes, no cycles, no Maps. A pass may
 *     deep-copy with `structuredClone` / `JSON.parse(JSON.stringify(x))` and compare with JSON.
 *  2. Every Value is a discriminated union on `type`; every node has `location` with a 1-based
 *     `row`/`col` and the `file` name; `text` (the source slice) is filled by the parser.
 *  3. Numbers keep their source text in `value` (`"1e400"`, `"0.10"`, `"-3"`); never round-trip
 *     them through a JS number unless you mean to.
 *  4. Operators are refs to builtin names, exactly as OPA writes them: `=` eq, `==` equal,
 *     `:=` assign, `!=` neq, `<` lt, `<=` lte, `>` gt, `>=` gte, `+` plus, `-` minus, `*` mul,
 *     `/` div, `%` rem, `&` and, `|` or, `x in xs` internal.member_2, `k, v in xs`
 *     internal.member_3. A ref operator is `[var 'internal', string 'member_2']` as in OPA.
 *  5. An Expr's `terms` is: a Term (plain term), a Term[] (call: operator ref term + args),
 *     a SomeDecl or an Every. Use the `isCallExpr`/`isTermExpr`/`isSomeDecl`/`isEvery` guards.
 *  6. Package paths start with `data` (`package a.b` → ref data.a.b). Rule head refs are NOT
 *     prefixed (`p.q[x]` → [var p, string q, var x]); the compiler resolves them.
 *  7. `_` wildcards are renamed by the parser to unique vars `$0`, `$1`, ... (OPA's convention).
 *  8. Heads exactly as OPA 1.x builds them: `p if` / `f(x) if` get a generated `value` `true`;
 *     `p contains x` has `key` x and no `value`; `p[k] := v if` has reference [p, k], `key` k
 *     (non-ground) and `value` v; `p.q.r := 1` has reference [p, q, r]. Kind: value → single-value.
 *  9. `some k, v in xs` is a SomeDecl whose single symbol is the call term internal.member_3(k, v, xs)
 *     (internal.member_2(x, xs) for one var); `some x, y` has var symbols. Same as OPA.
 * 10. Template strings `$"a{x}b"` are a `templatestring` value whose parts are string Terms and
 *     Exprs, like OPA's TemplateString; the compiler lowers them to internal.template_string.
 */

/** Source position, 1-based row and column (column counts code points from the line start, as OPA). */
export interface Location {
  file: string;
  row: number;
  col: number;
  /** Source text of the node, when the parser knows it. */
  text?: string;
  /** 0-based offset of the node's first character in the file, when known. */
  offset?: number;
}

// ---------------------------------------------------------------------------------------------
// Values and terms
// ---------------------------------------------------------------------------------------------

export interface NullValue { type: 'null' }
export interface BooleanValue { type: 'boolean'; value: boolean }
/** A number literal; `value` is the source text (possibly with a leading `-`). */
export interface NumberValue { type: 'number'; value: string }
export interface StringValue { type: 'string'; value: string }
export interface VarValue { type: 'var'; value: string }
/** A reference `a.b[c]`: first element is the head (usually a var), the rest are keys. */
export interface RefValue { type: 'ref'; value: Term[] }
export interface ArrayValue { type: 'array'; value: Term[] }
/** Object literal; key/value pairs in source order (duplicate keys are kept; compiler decides). */
export interface ObjectValue { type: 'object'; value: [Term, Term][] }
/** Set literal in source order; `set()` is an empty set. */
export interface SetValue { type: 'set'; value: Term[] }
export interface ArrayComprehension { type: 'arraycomprehension'; term: Term; body: Body }
export interface SetComprehension { type: 'setcomprehension'; term: Term; body: Body }
export interface ObjectComprehension { type: 'objectcomprehension'; key: Term; value: Term; body: Body }
/** A call nested inside a term: `value[0]` is the operator (a ref term), the rest are args. */
export interface CallValue { type: 'call'; value: Term[] }
/**
 * Template string `$"..{expr}.."` / $`..{expr}..`. Parts alternate freely between literal
 * string Terms and Exprs (an Expr part's `terms` is a Term or a call Term[]).
 */
export interface TemplateStringValue { type: 'templatestring'; parts: (Term | Expr)[]; multiLine: boolean }

export type ScalarValue = NullValue | BooleanValue | NumberValue | StringValue;
export type Value =
  | ScalarValue
  | VarValue
  | RefValue
  | ArrayValue
  | ObjectValue
  | SetValue
  | ArrayComprehension
  | SetComprehension
  | ObjectComprehension
  | CallValue
  | TemplateStringValue;
export type ValueType = Value['type'];

export interface Term<V extends Value = Value> {
  value: V;
  location: Location;
}

export type Ref = Term[];

// ---------------------------------------------------------------------------------------------
// Expressions and bodies
// ---------------------------------------------------------------------------------------------

/** `some x, y` (symbols are var terms) or `some k, v in xs` (one internal.member_N call term). */
export interface SomeDecl {
  type: 'somedecl';
  symbols: Term[];
  location: Location;
}

/** `every k, v in domain { body }`; `key` is absent for `every v in domain`. */
export interface Every {
  type: 'every';
  key?: Term;
  value: Term;
  domain: Term;
  body: Body;
  location: Location;
}

/** `... with target as value` */
export interface With {
  target: Term;
  value: Term;
  location: Location;
}

export type ExprTerms = Term | Term[] | SomeDecl | Every;

export interface Expr {
  /** Position in the enclosing body (0-based), as OPA's Expr.Index. */
  index: number;
  negated: boolean;
  terms: ExprTerms;
  with: With[];
  /** True for expressions made up by a pass rather than written by the user. */
  generated?: boolean;
  location: Location;
}

export type Body = Expr[];

// ---------------------------------------------------------------------------------------------
// Modules
// ---------------------------------------------------------------------------------------------

export interface Package {
  /** Always starts with var `data`: `package a.b` → [var data, string a, string b]. */
  path: Ref;
  location: Location;
}

export interface Import {
  /** A ref term: `data.x.y`, `input.x`, `rego.v1`, `future.keywords.in`. */
  path: Term;
  /** `import data.x as y` → 'y'. */
  alias?: string;
  location: Location;
}

export interface Head {
  /** The rule name when the head ref is a single var (`p`, `f(x)`), and for two-element heads with a value (`p[x] := v`, `p.q := v`: OPA's back-compat Name); otherwise absent. */
  name?: string;
  /** The head ref as written: `p` → [var p]; `a.b[c]` → [var a, string b, var c]. */
  reference: Ref;
  /** Function arguments (`f(x, 1)`); absent for non-functions. */
  args?: Term[];
  /** `p contains x` → x (multi-value rule). */
  key?: Term;
  /** Rule value: `:= v` / `= v`, or a generated `true` for `p if ...`. Absent for `contains`. */
  value?: Term;
  /** True when written with `:=`. */
  assign: boolean;
  location: Location;
}

export interface Rule {
  head: Head;
  body: Body;
  /** The next rule of an `else` chain (its head has the same reference/args). */
  else?: Rule;
  default: boolean;
  location: Location;
  /** METADATA blocks directly above this rule (scope `rule` or `document`), in source order. */
  annotations?: Annotations[];
}

/** A JSON value (annotation `custom` data, schema definitions). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type AnnotationScope = 'rule' | 'document' | 'package' | 'subpackages';

/**
 * A METADATA block with OPA's keys; absent keys are omitted, as OPA's `toObject` omits empty
 * ones. `location` is the `# METADATA` line (its `text` is the whole block).
 */
export interface Annotations {
  scope: AnnotationScope;
  title?: string;
  description?: string;
  organizations?: string[];
  related_resources?: { ref: string; description?: string }[];
  authors?: { name?: string; email?: string }[];
  schemas?: { [key: string]: JsonValue }[];
  entrypoint?: boolean;
  custom?: { [key: string]: JsonValue };
  location: Location;
}

export interface Comment {
  text: string;
  location: Location;
}

export interface Module {
  package: Package;
  imports: Import[];
  rules: Rule[];
  comments: Comment[];
  /** File name the module was parsed from (same as every location's file). */
  file: string;
  /**
   * The Rego version whose rules the module follows: 1 (the default), or 0 for a module
   * parsed with `regoVersion: 0` that does not import `rego.v1` (OPA's RegoV0). A v0 module
   * importing `rego.v1` is 1: it must follow v1's syntax rules (OPA's RegoV0CompatV1).
   */
  regoVersion?: RegoVersion;
  /** METADATA blocks above the `package` statement (scope `package` or `subpackages`). */
  annotations?: Annotations[];
}

/** OPA's Rego versions as this toolchain names them: 0 (OPA < 1.0 syntax) or 1. */
export type RegoVersion = 0 | 1;

// ---------------------------------------------------------------------------------------------
// Guards and small constructors (no behaviour beyond building plain objects)
// ---------------------------------------------------------------------------------------------

export function isCallExpr(e: Expr): e is Expr & { terms: Term[] } {
  return Array.isArray(e.terms);
}
export function isSomeDecl(e: Expr): e is Expr & { terms: SomeDecl } {
  return !Array.isArray(e.terms) && 'type' in e.terms && e.terms.type === 'somedecl';
}
export function isEvery(e: Expr): e is Expr & { terms: Every } {
  return !Array.isArray(e.terms) && 'type' in e.terms && e.terms.type === 'every';
}
export function isTermExpr(e: Expr): e is Expr & { terms: Term } {
  return !Array.isArray(e.terms) && 'value' in e.terms && 'location' in e.terms && !('type' in e.terms);
}
export function isTerm(x: Term | Expr): x is Term {
  return !('terms' in x);
}

export function term<V extends Value>(value: V, location: Location): Term<V> {
  return { value, location };
}
export function nullTerm(loc: Location): Term<NullValue> {
  return term({ type: 'null' }, loc);
}
export function booleanTerm(b: boolean, loc: Location): Term<BooleanValue> {
  return term({ type: 'boolean', value: b }, loc);
}
export function numberTerm(text: string, loc: Location): Term<NumberValue> {
  return term({ type: 'number', value: text }, loc);
}
export function stringTerm(s: string, loc: Location): Term<StringValue> {
  return term({ type: 'string', value: s }, loc);
}
export function varTerm(name: string, loc: Location): Term<VarValue> {
  return term({ type: 'var', value: name }, loc);
}
export function refTerm(parts: Term[], loc: Location): Term<RefValue> {
  return term({ type: 'ref', value: parts }, loc);
}
export function callTerm(parts: Term[], loc: Location): Term<CallValue> {
  return term({ type: 'call', value: parts }, loc);
}
/** An operator ref for a builtin name, e.g. `plus` → [var plus], `internal.member_2` → [var internal, "member_2"]. */
export function operatorTerm(name: string, loc: Location): Term<RefValue> {
  const [head, ...rest] = name.split('.');
  return refTerm([varTerm(head, loc), ...rest.map((s) => stringTerm(s, loc))], loc);
}

/** The dotted builtin/operator name of a ref term (`[var internal, "member_2"]` → "internal.member_2"), or undefined. */
export function operatorName(t: Term): string | undefined {
  if (t.value.type === 'var') return t.value.value;
  if (t.value.type !== 'ref') return undefined;
  const [head, ...rest] = t.value.value;
  if (!head || head.value.type !== 'var') return undefined;
  const names = [head.value.value];
  for (const p of rest) {
    if (p.value.type !== 'string') return undefined;
    names.push(p.value.value);
  }
  return names.join('.');
}

/** Wildcard vars (`_`) are renamed to `$N` by the parser. */
export const WILDCARD_PREFIX = '$';
export function isWildcard(name: string): boolean {
  return name.startsWith(WILDCARD_PREFIX);
}

/** Infix operator token → builtin name, as OPA's parser maps them. */
export const INFIX_OPERATORS: Readonly<Record<string, string>> = {
  '=': 'eq',
  ':=': 'assign',
  '==': 'equal',
  '!=': 'neq',
  '<': 'lt',
  '<=': 'lte',
  '>': 'gt',
  '>=': 'gte',
  '+': 'plus',
  '-': 'minus',
  '*': 'mul',
  '/': 'div',
  '%': 'rem',
  '&': 'and',
  '|': 'or',
  in: 'internal.member_2',
};
