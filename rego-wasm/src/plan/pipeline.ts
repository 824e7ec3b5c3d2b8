/**
 * The whole Rego front end in one call: parse → compile → plan. Used by the
 * plan diff tool and by the conformance runner's Rego mode
 * (`planQueryForCompliance(modules, query)`).
 */
import { compileModules, compileQuery } from '../compile';
import { parseQuery } from '../parse';
import type { Policy } from '../ir/plan';
import { planEntrypoints, planQuery } from './index';

export type Source = string | { file: string; text: string };

function sources(modules: readonly Source[]): { file: string; text: string }[] {
  return modules.map((m, i) => (typeof m === 'string' ? { file: `module-${i}.rego`, text: m } : m));
}

/** Plan `query` against `modules` (source texts are named module-0.rego, module-1.rego, …). */
export function planRegoQuery(modules: readonly Source[], query: string): Policy {
  const policy = compileModules(sources(modules));
  return planQuery(policy, compileQuery(policy, parseQuery(query, '<query>')));
}

/** Plan entrypoints (`"acme/authz/allow"`) of `modules`. */
export function planRegoEntrypoints(modules: readonly Source[], entrypoints: string[]): Policy {
  return planEntrypoints(compileModules(sources(modules)), entrypoints);
}

/** The conformance runner's front-end hook: (case modules, case query) → plan. */
export function planQueryForCompliance(modules: string[], query: string): Policy {
  return planRegoQuery(modules, query);
}
