/**
 * Per-evaluation memory for non-deterministic builtins (time.now_ns,
 * uuid.rfc4122): OPA fixes their value for one query evaluation. The OPA SDK
 * has no per-evaluation hook for host builtins, so the caller marks
 * evaluation boundaries with `beginEvaluation()`; without such calls a value
 * is reused for at most `MAX_AGE_MS`, well above one evaluation's duration.
 */
const MAX_AGE_MS = 1000;
const MAX_ENTRIES = 1000;

interface Entry {
  value: string | number;
  at: number;
}

let cache = new Map<string, Entry>();

/** Start a new evaluation: forget all remembered values. */
export function beginEvaluation(): void {
  if (cache.size > 0) cache = new Map();
}

export function evaluationCache<T extends string | number>(builtin: string, key: string, make: () => T): T {
  const k = `${builtin}\u0000${key}`;
  const now = Date.now();
  const hit = cache.get(k);
  if (hit && now - hit.at <= MAX_AGE_MS) return hit.value as T;
  if (cache.size >= MAX_ENTRIES) cache = new Map();
  const value = make();
  cache.set(k, { value, at: now });
  return value;
}
