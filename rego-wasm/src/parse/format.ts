/** Rego text and small predicates over terms, for error messages and rule-head checks. */
import type { Term, Value } from './ast';
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

/** Rego text of a ref, for messages (`a.b[x]`). */
export function refToString(ref: Term[]): string {
  return ref
    .map((t, i) => {
      if (i === 0) return t.value.type === 'var' ? t.value.value : termToString(t);
      if (t.value.type === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(t.value.value) && !KEYWORDS.has(t.value.value)) {
        return `.${t.value.value}`;
      }
      return `[${termToString(t)}]`;
    })
    .join('');
}

/** Compact Rego text of a term, for messages. */
export function termToString(t: Term): string {
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
      return refToString(v.value);
    case 'array':
      return `[${v.value.map(termToString).join(', ')}]`;
    case 'set':
      return v.value.length === 0 ? 'set()' : `{${v.value.map(termToString).join(', ')}}`;
    case 'object':
      return `{${v.value.map(([k, x]) => `${termToString(k)}: ${termToString(x)}`).join(', ')}}`;
    case 'call':
      return `${termToString(v.value[0])}(${v.value.slice(1).map(termToString).join(', ')})`;
    case 'arraycomprehension':
      return `[${termToString(v.term)} | ...]`;
    case 'setcomprehension':
      return `{${termToString(v.term)} | ...}`;
    case 'objectcomprehension':
      return `{${termToString(v.key)}: ${termToString(v.value)} | ...}`;
    case 'templatestring':
      return t.location.text ?? '$"..."';
  }
}
