/** Public API of the Rego → OPA-Wasm toolchain. Each area owner adds its own export lines. */

// parser (helper "parser")
export { RegoError, RegoErrors, toRegoErrors, type RegoErrorCode, type ErrorLocation } from './errors';
export { parseModule, parseModules, parseQuery, parseTerm, termToString, refToString } from './parse';
export type * as ast from './parse/ast';

// planner (helper "planner")
export { planQuery, planEntrypoints, comparePolicies, normalizePolicy, type PlanQueryOptions } from './plan';
