/** Rego text and small predicates over terms, for error messages and rule-head checks. */
import type { Body, Term, Value } from './ast';
import { KEYWORDS } from './lexer';

/** OPA's ValueName: used in error messages. */
export function valueName(v: Value): string {
  switch (v.type) {
    case 'arraycomprehension':
      return 'arraycomprehension';
    case 'setcomprehension':
      return 'setcomprehension';
    case 'objectcomprehension':
      return 'objectcomprehension';
    case 'templatestring':
      return 'templatestring';
    default:
      return v.type;
  }
}

export function isGround(t: Term): boolean {
  const v = t.value;
  switch (v.type) {
    case 'var':
      return false;
    case 'ref':
    case 'call':
      return false;
    case 'array':
    case 'set':
      return v.value.every(isGround);
    case 'object':
      return v.value.every(([k, x]) => isGround(k) && isGround(x));
    case 'arraycomprehension':
    case 'setcomprehension':
    case 'objectcomprehension':
    case 'templatestring':
      return false;
    default:
      return true;
  }
}

/**
 * How `formatTerm` prints the parts that differ between its users. The defaults are the
 * message form (`termToString`): comprehension bodies elided as `...`, template strings as
 * their source text.
 */
export interface TermFormat {
  /** Prints a comprehension's body; when absent the body is elided as `...`. */
  readonly closureBody?: (body: Body) => string;
  /** `source`: the template string's source text (falls back to `$"..."`); `placeholder`: always `$"..."`. */
  readonly templateString?: 'source' | 'placeholder';
}

const SIMPLE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True if a string ref key prints as `.key` rather than `["key"]` (an identifier that is not a keyword). */
export function isDotRefKey(key: string): boolean {
  return SIMPLE_KEY.test(key) && !KEYWORDS.has(key);
}

/** OPA's Ref.String(): `data.a["b c"][x]` (keys that are keywords stay bracketed). */
export function formatRef(ref: Term[], fmt: TermFormat = {}): string {
  return ref
    .map((t, i) => {
      if (i === 0) return formatTerm(t, fmt);
      if (t.value.type === 'string' && isDotRefKey(t.value.value)) {
        return `.${t.value.value}`;
      }
      return `[${formatTerm(t, fmt)}]`;
    })
    .join('');
}

/** Compact Rego text of a term (OPA's Term.String) over the parser's AST. */
export function formatTerm(t: Term, fmt: TermFormat = {}): string {
  const v = t.value;
  const sub = (x: Term): string => formatTerm(x, fmt);
  const body = (b: Body): string => (fmt.closureBody ? fmt.closureBody(b) : '...');
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
      return formatRef(v.value, fmt);
    case 'array':
      return `[${v.value.map(sub).join(', ')}]`;
    case 'set':
      return v.value.length === 0 ? 'set()' : `{${v.value.map(sub).join(', ')}}`;
    case 'object':
      return `{${v.value.map(([k, x]) => `${sub(k)}: ${sub(x)}`).join(', ')}}`;
    case 'call':
      return `${sub(v.value[0])}(${v.value.slice(1).map(sub).join(', ')})`;
    case 'arraycomprehension':
      return `[${sub(v.term)} | ${body(v.body)}]`;
    case 'setcomprehension':
      return `{${sub(v.term)} | ${body(v.body)}}`;
    case 'objectcomprehension':
      return `{${sub(v.key)}: ${sub(v.value)} | ${body(v.body)}}`;
    case 'templatestring':
      return fmt.templateString === 'placeholder' ? '$"..."' : (t.location.text ?? '$"..."');
  }
}

/** Rego text of a ref, for messages (`a.b[x]`). */
export function refToString(ref: Term[]): string {
  return formatRef(ref);
}

/** Compact Rego text of a term, for messages. */
export function termToString(t: Term): string {
  return formatTerm(t);
}
