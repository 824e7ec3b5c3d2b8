/** In-test policy engines implementing the handlers' PolicyEngine interface. */
import type { PolicyEngine, ResultSet } from '../../../functions/shared/policy-engine';

/** An engine whose result set is computed by `fn` from the input (records every call). */
export function scriptedEngine(fn: (entrypoint: string, input: Record<string, unknown>) => ResultSet): PolicyEngine & { calls: Array<{ entrypoint: string; input: Record<string, unknown> }> } {
  const calls: Array<{ entrypoint: string; input: Record<string, unknown> }> = [];
  return {
    revision: 'test-rev-0001',
    calls,
    evaluate(entrypoint, input) {
      const record = input as Record<string, unknown>;
      calls.push({ entrypoint, input: record });
      return fn(entrypoint, record);
    },
  };
}

export const resultOf = (value: unknown): ResultSet => [{ result: value }];

export function throwingEngine(message = 'wasm trap: unreachable'): PolicyEngine {
  return {
    revision: 'test-rev-0001',
    evaluate() {
      throw new Error(message);
    },
  };
}
