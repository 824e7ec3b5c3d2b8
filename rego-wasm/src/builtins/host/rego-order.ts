/** Rego's total order and equality over JSON values (sets are indistinguishable from arrays on the host). */
import type { JsonValue } from './types';

function rank(v: JsonValue): number {
  if (v === null) return 0;
  switch (typeof v) {
    case 'boolean':
      return 1;
    case 'number':
      return 2;
    case 'string':
      return 3;
    default:
      return Array.isArray(v) ? 4 : 6;
  }
}

/** Compare like OPA's ast.Compare: null < booleans < numbers < strings < arrays < objects. */
export function compareValues(a: JsonValue, b: JsonValue): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') {
    // Go compares strings bytewise (UTF-8); code point order is the same.
    const x = Array.from(a, (c) => c.codePointAt(0) ?? 0);
    const y = Array.from(b, (c) => c.codePointAt(0) ?? 0);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
    return x.length - y.length;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareValues(a[i] as JsonValue, b[i] as JsonValue);
      if (c) return c;
    }
    return a.length - b.length;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort((x, y) => compareValues(x, y));
    const kb = Object.keys(b).sort((x, y) => compareValues(x, y));
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      const c = compareValues(ka[i] ?? '', kb[i] ?? '') || compareValues(a[ka[i] ?? ''] as JsonValue, b[kb[i] ?? ''] as JsonValue);
      if (c) return c;
    }
    return ka.length - kb.length;
  }
  return 0;
}
