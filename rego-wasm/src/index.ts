/**
 * Public API of rego-wasm, by stage. Everything else in src/ is internal and
 * not reachable through the package's `exports`.
 *
 *   build / loadRego   Rego sources → policy.wasm (or plan) → loaded policy, in one call
 *   parse              Rego text → AST (`Module`, `Body`)
 *   format             Rego text → OPA's canonical format (`opa fmt`)
 *   compile            AST → compiled policy (OPA's compiler stages)
 *   plan               compiled policy → OPA IR plan (`opa build -t plan`)
 *   package            plan → policy.wasm (OPA's Wasm ABI)
 *   load               policy.wasm → policy evaluated by the unmodified OPA SDK
 *   builtins           the builtin signatures the compiler knows; host builtin implementations
 *
 * Every stage reports Rego problems as RegoError / RegoErrors (`file:row:col: code: message`).
 */

// errors (all stages)
export { RegoError, RegoErrors, type RegoErrorCode, type ErrorLocation } from './errors';
export { BundleVerificationError, type BundleVerificationReason } from './errors';

// end to end (the CLI's `build`)
export { build, loadRego, type BuildOptions, type BuildResult, type BuildTarget } from './build';
export { SourceError } from './sources';

// parse
export { parseModule, parseModules, parseQuery, type Module, type Body } from './parse';

// format (`opa fmt`)
export { formatSource, type FormatOptions } from './format';

// compile
export { compileModules, compileQuery, type CompiledPolicy, type CompiledQuery, type CompileOptions } from './compile';
export type { RegoSource, RegoInput } from './frontend';

// plan (compile included when given sources)
export { planRego, planRegoQuery } from './frontend';
export { planEntrypoints, planQuery } from './plan';
export type { Policy as IrPolicy } from './ir/plan';
export { inputPaths, inputSelector, pruneInput, type InputPaths } from './plan/input-paths';
export { inputJsonSelector } from './plan/input-json';
export { readInputPathsSection, INPUT_PATHS_SECTION } from './package/input-paths-section';

// package
export { buildPolicyWasm, requiredHostBuiltins, PackageError, UnsupportedBuiltinError, PlanRejectedError, type PackageOptions } from './package';
export { EngineIntegrityError } from './package/engine';
export {
  writeBundle,
  readBundle,
  readBundleFiles,
  parseBundleFiles,
  BundleError,
  type Bundle,
  type BundleManifest,
  type ReadBundleOptions,
  type WriteBundleOptions,
} from './package/bundle';
// signed bundles (`/.signatures.json` as opa sign writes it)
export {
  signBundle,
  verifyBundle,
  checkVerificationOptions,
  hashBundleFiles,
  fileDigest,
  SIGNING_ALGORITHMS,
  SIGNATURES_FILE,
  type SigningAlgorithm,
  type SigningOptions,
  type VerificationOptions,
  type SignedBundle,
  type SignedFile,
  type BundleFiles,
  type KeyInput,
} from './package/signing';

// test (`opa test`: test_* rules of *_test.rego files)
export { runTests, type TestCommandOptions as TestOptions, type TestReport, type TestResult, type TestStatus } from './cli/test-runner';

// load
export { loadPolicyWasm, loadPolicyWasmSync, sdkBuiltins, MissingHostBuiltinError, type LoadOptions, type LoadedPolicy } from './load';

// builtins
export { BUILTINS, lookupBuiltin, type BuiltinSignature, type BuiltinTable } from './builtins/signatures';
export { readCapabilities, parseCapabilities, type Capabilities } from './builtins/capabilities';
export { hostBuiltins, type HostBuiltin, type SdkBuiltin, type JsonValue } from './builtins/host';
// opt-in: JSON Schema, X.509, GraphQL, rego.parse_module (their libraries stay out of bundles that do not import them)
export { extendedHostBuiltins, sdkExtendedHostBuiltins } from './builtins/host/extended';
export { configureOpaRuntime } from './builtins/host';
