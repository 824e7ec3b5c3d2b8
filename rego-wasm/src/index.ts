/** Public API of the Rego → OPA-Wasm toolchain. Each area owner adds its own export lines. */

// parser (helper "parser")
export { RegoError, RegoErrors, toRegoErrors, type RegoErrorCode, type ErrorLocation } from './errors';
export { parseModule, parseModules, parseQuery, parseTerm, termToString, refToString } from './parse';
export type * as ast from './parse/ast';
export { buildPolicyDir, type BuildResult, type BuildTarget } from './cli/build';
export { runTests, type TestReport, type TestResult } from './cli/test-runner';

// compiler (helper "compiler")
export { compileModules, compileQuery, isGeneratedVar, type CompiledPolicy, type CompiledQuery, type CompiledRule, type CompileOptions, type RuleKind } from './compile';
export { ruleText as compiledRuleText, bodyText as compiledBodyText } from './compile/print';
export { BUILTINS as BUILTIN_SIGNATURES, lookupBuiltin, type BuiltinSignature, type BuiltinTable } from './builtins/signatures';

// planner (helper "planner")
export { planQuery, planEntrypoints, comparePolicies, normalizePolicy, type PlanQueryOptions } from './plan';
export { planRegoQuery, planRegoEntrypoints } from './plan/pipeline';

// host builtins (helper "host-builtins")
export {
  hostBuiltins,
  sdkHostBuiltins,
  strictHostBuiltins,
  beginEvaluation,
  HostBuiltinError,
  OperandTypeError as HostOperandTypeError,
  BuiltinEvalError as HostBuiltinEvalError,
  InputLimitError as HostInputLimitError,
  type HostBuiltin,
  type SdkBuiltin,
  type JsonValue,
} from './builtins/host';

// runtime engine (helper "runtime")
export { ensureEngine, ensureEngineSync, buildEngineSync, engineStamp, ENGINE_PATH, RuntimeBuildError } from './runtime-build';
