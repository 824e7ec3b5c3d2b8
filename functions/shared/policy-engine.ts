/**
 * The policy engine: `policy.wasm` (OPA's Wasm ABI, built by rego-wasm/ or
 * `opa build -t wasm`) loaded once per container with the unmodified OPA SDK
 * and the project's host builtins, plus the data document. Results are
 * normalised here, failing closed: an undefined result, an evaluation error
 * (including a wasm trap) or a malformed result is a PolicyEvaluationError,
 * never an allow.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { loadPolicyWasm, sdkBuiltins, type HostBuiltin, type LoadedPolicy } from 'rego-wasm/load';
// The bundle reader alone (the package root would pull the whole compiler into the authorizer bundle).
import { BundleVerificationError, readBundle } from 'rego-wasm/bundle';
import type { BundleVerificationConfig, PolicyConfig } from './config';
import { PolicyBundleError, PolicyEvaluationError, type BundleRejection } from './errors';
import { inputByNeed } from './request-input';
import { describeError, type Logger } from './logger';

/** Builtins an operator supplies for policies built with `rego-wasm build --capabilities` (see registerHostBuiltins). */
let operatorBuiltins: Readonly<Record<string, HostBuiltin>> = {};

/**
 * THE hook for host builtins an operator provides: a policy built with
 * `rego-wasm build --capabilities caps.json` may call a builtin the
 * capabilities file declares, and the functions run it with the
 * implementation registered here. Register from a module imported before the
 * handler (a custom entry file bundled into `handlerBundles`):
 *
 *   import { registerHostBuiltins } from '.../functions/shared/policy-engine';
 *   registerHostBuiltins({ 'acme.risk_score': (subject) => scores[String(subject)] ?? 0 });
 *   export { handler } from '.../functions/authorizer/handler';
 *
 * Arguments and results are JSON values; a throw makes the call undefined
 * (OPA's semantics for a builtin error). A policy that calls a builtin nobody
 * registered is refused at cold start (every decision then fails closed).
 * Names the project's own builtins already use are refused here.
 */
export function registerHostBuiltins(builtins: Readonly<Record<string, HostBuiltin>>): void {
  for (const [name, fn] of Object.entries(builtins)) {
    if (typeof fn !== 'function') throw new TypeError(`host builtin ${name} is not a function`);
    if (Object.hasOwn(sdkBuiltins(), name)) throw new TypeError(`host builtin ${name} is a builtin of rego-wasm; pick a name of your own`);
  }
  operatorBuiltins = { ...operatorBuiltins, ...builtins };
}

/** OPA's result set: one `{result}` per solution of the entrypoint query. */
export type ResultSet = ReadonlyArray<{ readonly result?: unknown }>;

/** What the handlers need from a policy: tests may provide their own. */
export interface PolicyEngine {
  /** Label for decision logs (sha256 prefix of the wasm unless configured). */
  readonly revision: string;
  /** Evaluate `entrypoint` (e.g. `acme/authz/decision`) on `input`. May throw. */
  evaluate(entrypoint: string, input: unknown): ResultSet;
  /** The entrypoints the wasm exports (undefined: unknown, e.g. a test engine). */
  readonly entrypoints?: readonly string[];
}

export type ContextValue = string | number | boolean;

/** A normalised request decision. */
export interface Decision {
  readonly allow: boolean;
  readonly reason: string;
  /** Flat values the policy wants in the authorizer context. */
  readonly context: Readonly<Record<string, ContextValue>>;
}

export interface LoadEngineOptions {
  readonly wasmPath: string;
  readonly dataPath: string;
  /** When false, a missing data file is an error; when true it means `{}`. */
  readonly dataOptional: boolean;
  readonly revision?: string;
}

/** Load policy.wasm + data once. Rejects with PolicyEvaluationError (reason `policy_unavailable`). */
export async function loadPolicyEngine(opts: LoadEngineOptions): Promise<PolicyEngine> {
  let wasm: Buffer;
  try {
    wasm = await fs.readFile(opts.wasmPath);
  } catch (error) {
    throw new PolicyEvaluationError('policy_unavailable', `cannot read policy wasm ${opts.wasmPath}`, { cause: error });
  }
  let data: unknown = {};
  try {
    data = JSON.parse(await fs.readFile(opts.dataPath, 'utf8')) as unknown;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    if (!(missing && opts.dataOptional)) {
      throw new PolicyEvaluationError('policy_unavailable', `cannot load policy data ${opts.dataPath}`, { cause: error });
    }
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new PolicyEvaluationError('policy_unavailable', `policy data ${opts.dataPath} is not a JSON object`);
  }
  try {
    const policy = await loadPolicyWasm(wasm, { builtins: operatorBuiltins });
    policy.setData(data as object);
    return engineOf(policy, wasm, opts.revision ?? wasmDigest(wasm));
  } catch (error) {
    throw new PolicyEvaluationError('policy_unavailable', `cannot instantiate policy wasm ${opts.wasmPath}`, { cause: error });
  }
}

/**
 * The engine over a loaded policy: each entrypoint is handed only the input
 * paths the module says it reads (input by need; the whole input without them).
 */
function engineOf(policy: LoadedPolicy, wasm: Uint8Array, revision: string): PolicyEngine {
  const need = inputByNeed(wasm);
  return {
    revision,
    entrypoints: Object.keys(policy.entrypoints as Record<string, number>),
    evaluate: (entrypoint, input) => policy.evaluate(need(entrypoint, input), entrypoint) as ResultSet,
  };
}

function wasmDigest(wasm: Uint8Array): string {
  return createHash('sha256').update(wasm).digest('hex').slice(0, 12);
}

export interface BundleEngineOptions {
  /** How `/.signatures.json` is verified, with the key already resolved; undefined = unsigned bundles allowed. */
  readonly verification: (Omit<BundleVerificationConfig, 'keyParameter'> & { readonly publicKey: string }) | undefined;
  /** Entrypoints the bundle must export (the handler's own). */
  readonly requiredEntrypoints: readonly string[];
  /** Largest decompressed archive accepted. */
  readonly maxBytes: number;
}

/**
 * An OPA bundle (`bundle.tar.gz` bytes from a bundle service) → an engine:
 * verify, parse, instantiate. Any failure is a PolicyBundleError whose reason
 * says which step refused it; the revision is the manifest's (the wasm digest
 * when the manifest has none).
 */
export async function loadBundleEngine(bytes: Uint8Array, opts: BundleEngineOptions): Promise<PolicyEngine> {
  let bundle;
  try {
    const verification = opts.verification === undefined
      ? undefined
      : { publicKey: opts.verification.publicKey, keyId: opts.verification.keyId, scope: opts.verification.scope };
    bundle = readBundle(bytes, { maxBytes: opts.maxBytes, verification });
  } catch (error) {
    // Verification failures carry their reason; anything else (gzip, tar, JSON, manifest) is malformed.
    const rejection: BundleRejection = error instanceof BundleVerificationError ? error.reason : 'malformed';
    throw new PolicyBundleError(rejection, `bundle refused (${rejection}): ${error instanceof Error ? error.message.slice(0, 200) : 'not a bundle'}`, { cause: error });
  }
  const revision = bundle.manifest.revision === '' ? undefined : bundle.manifest.revision;
  if (bundle.wasm === undefined) throw new PolicyBundleError('malformed', 'bundle has no /policy.wasm', { revision });
  let policy;
  try {
    policy = await loadPolicyWasm(bundle.wasm, { builtins: operatorBuiltins });
    policy.setData(bundle.data);
  } catch (error) {
    throw new PolicyBundleError('instantiate_failed', `bundle wasm does not instantiate: ${error instanceof Error ? error.name : 'error'}`, { cause: error, revision });
  }
  const engine = engineOf(policy, bundle.wasm, revision ?? wasmDigest(bundle.wasm));
  const missing = opts.requiredEntrypoints.filter((e) => !engine.entrypoints?.includes(e));
  if (missing.length > 0) throw new PolicyBundleError('instantiate_failed', `bundle lacks entrypoint(s) ${missing.join(', ')}`, { revision });
  return engine;
}

/** The engine promise a handler awaits: any load failure becomes PolicyEvaluationError `policy_unavailable`. */
export function engineOrUnavailable(engine: Promise<PolicyEngine>): Promise<PolicyEngine> {
  const normalised = engine.catch((error: unknown) => {
    throw error instanceof PolicyEvaluationError ? error : new PolicyEvaluationError('policy_unavailable', 'the policy is not loaded', { cause: error });
  });
  // Never an unhandled rejection: the failure is reported per decision.
  normalised.catch(() => undefined);
  return normalised;
}

/** Evaluate and return the single result value, or undefined. Errors and multiple results throw. */
function evaluateOne(engine: PolicyEngine, entrypoint: string, input: unknown): unknown {
  let resultSet: ResultSet;
  try {
    resultSet = engine.evaluate(entrypoint, input);
  } catch (error) {
    throw new PolicyEvaluationError('evaluation_error', `policy ${entrypoint} failed to evaluate`, { cause: error });
  }
  if (!Array.isArray(resultSet)) throw new PolicyEvaluationError('malformed_result', `policy ${entrypoint} returned no result set`);
  if (resultSet.length === 0) return undefined;
  if (resultSet.length > 1) throw new PolicyEvaluationError('malformed_result', `policy ${entrypoint} returned ${resultSet.length} results`);
  const first: unknown = resultSet[0];
  if (first === null || typeof first !== 'object') throw new PolicyEvaluationError('malformed_result', `policy ${entrypoint} returned a malformed result set`);
  return (first as { result?: unknown }).result;
}

const REASON_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
const CONTEXT_KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** Keys the authorizer sets itself; a policy cannot override them. */
const RESERVED_CONTEXT_KEYS = new Set(['claims', 'decisionId', 'principalId', 'policyRevision']);

/**
 * Normalise a request decision: `true`/`false`, or `{allow, reason?, context?}`
 * with a boolean `allow`, a short string `reason` and a flat `context` of
 * strings/numbers/booleans. Anything else throws (fail closed).
 */
export function normaliseDecision(result: unknown, entrypoint: string): Decision {
  if (result === undefined) throw new PolicyEvaluationError('undefined_result', `policy ${entrypoint} is undefined for this input`);
  if (typeof result === 'boolean') return { allow: result, reason: result ? 'allowed' : 'denied', context: {} };
  if (result === null || typeof result !== 'object' || Array.isArray(result)) {
    throw new PolicyEvaluationError('malformed_result', `policy ${entrypoint} returned neither a boolean nor an object`);
  }
  const obj = result as Record<string, unknown>;
  if (typeof obj.allow !== 'boolean') throw new PolicyEvaluationError('malformed_result', `policy ${entrypoint}: "allow" is not a boolean`);
  let reason = obj.allow ? 'allowed' : 'denied';
  if (obj.reason !== undefined) {
    if (typeof obj.reason !== 'string' || !REASON_PATTERN.test(obj.reason)) {
      throw new PolicyEvaluationError('malformed_result', `policy ${entrypoint}: "reason" must be a short token like insufficient_scope`);
    }
    reason = obj.reason;
  }
  const context: Record<string, ContextValue> = {};
  if (obj.context !== undefined) {
    if (obj.context === null || typeof obj.context !== 'object' || Array.isArray(obj.context)) {
      throw new PolicyEvaluationError('malformed_result', `policy ${entrypoint}: "context" is not an object`);
    }
    for (const [k, v] of Object.entries(obj.context as Record<string, unknown>)) {
      if (!CONTEXT_KEY.test(k) || RESERVED_CONTEXT_KEYS.has(k)) {
        throw new PolicyEvaluationError('malformed_result', `policy ${entrypoint}: context key "${k.slice(0, 64)}" is not allowed`);
      }
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new PolicyEvaluationError('malformed_result', `policy ${entrypoint}: context value "${k}" is not a string, number or boolean`);
      }
      context[k] = v;
    }
  }
  return { allow: obj.allow, reason, context };
}

/** The request decision for `input` (throws PolicyEvaluationError on error/undefined/malformed). */
export function decide(engine: PolicyEngine, entrypoint: string, input: unknown): Decision {
  return normaliseDecision(evaluateOne(engine, entrypoint, input), entrypoint);
}

/** What the response policy decided. */
export type ResponseVerdict =
  | { readonly kind: 'json'; readonly body: unknown }
  | { readonly kind: 'passthrough' }
  | { readonly kind: 'withheld' };

/**
 * Run the response policy. For a JSON backend body the result IS the body to
 * send; for a non-JSON body the result must be exactly `true` to pass the raw
 * bytes (explicit allow). Undefined → withheld. Errors throw.
 */
export function filterResponse(engine: PolicyEngine, entrypoint: string, input: unknown, bodyIsJson: boolean): ResponseVerdict {
  const result = evaluateOne(engine, entrypoint, input);
  if (result === undefined) return { kind: 'withheld' };
  if (bodyIsJson) return { kind: 'json', body: result };
  if (result === true) return { kind: 'passthrough' };
  if (result === false) return { kind: 'withheld' };
  throw new PolicyEvaluationError('malformed_result', `policy ${entrypoint}: a non-JSON body needs the result true (pass) or undefined/false (withhold)`);
}

/**
 * A handler's cold start: load the configured policy once, log the outcome,
 * and hand back the promise every invocation awaits (a failed load makes
 * every decision fail closed, as `ifUnavailable` tells the operator).
 */
export function loadConfiguredPolicyEngine(
  policy: PolicyConfig,
  logger: Logger,
  entrypoint: string,
  ifUnavailable: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<PolicyEngine> {
  const engine = loadPolicyEngine({
    wasmPath: policy.wasmPath,
    dataPath: policy.dataPath,
    // An explicitly named data file must exist; the default one may be absent.
    dataOptional: env.POLICY_DATA_PATH === undefined,
    revision: policy.revision,
  });
  engine.then(
    (e) => logger.info('policy loaded', { policyRevision: e.revision, entrypoint }),
    (error: unknown) => logger.error(`policy not loaded: ${ifUnavailable}`, describeError(error)),
  );
  return engine;
}
