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

/**
 * The memory lives on `globalThis` under a registered symbol, not in this
 * module: the Lambda bundles ship the host builtins as a file of their own,
 * loaded at their first use (cdk/construct/handler-bundles.ts), so this module
 * is in both files, and the boundary the loader marks must reach the copy the
 * builtins read.
 */
interface Memory {
  cache: Map<string, Entry>;
}

const MEMORY = Symbol.for('rego-wasm.evaluation-memory');
const memory: Memory = ((globalThis as { [MEMORY]?: Memory })[MEMORY] ??= { cache: new Map() });

/** Start a new evaluation: forget all remembered values. */
export function beginEvaluation(): void {
  if (memory.cache.size > 0) memory.cache = new Map();
}

export function evaluationCache<T extends string | number>(builtin: string, key: string, make: () => T): T {
  const k = `${builtin}\u0000${key}`;
  const now = Date.now();
  const hit = memory.cache.get(k);
  if (hit && now - hit.at <= MAX_AGE_MS) return hit.value as T;
  if (memory.cache.size >= MAX_ENTRIES) memory.cache = new Map();
  const value = make();
  memory.cache.set(k, { value, at: now });
  return value;
}
