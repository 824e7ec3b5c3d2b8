/**
 * The policy a function enforces (or a shadow candidate), kept fresh from a
 * bundle source with OPA's polling semantics, driven from invocations
 * (Lambda freezes a container between them, so there are no timers):
 *
 * - a request never waits for the network once a policy is active: when the
 *   next check is due, `engine()` starts it in the background and returns the
 *   active policy; the new one serves LATER requests;
 * - the next check is due at a random delay in [min, max] seconds after the
 *   previous one finished (OPA's `min_delay_seconds`/`max_delay_seconds`);
 * - download → verify → parse → instantiate (bundle-source.ts,
 *   policy-engine.ts `loadBundleEngine`); any failure is logged with its
 *   reason and the rejected revision, and the last good policy keeps serving;
 * - cold start: the first download is awaited by the first requests; with no
 *   good bundle the packaged policy serves only when the operator allowed
 *   that fallback, otherwise every request fails closed (PolicyBundleError
 *   `no_policy` → 503 + Retry-After) while retries back off.
 */
import { bundleSourceFor, createHttpBundleSource, type BundleSource, type S3GetObject } from './bundle-source';
import type { BundleSourceConfig, BundleVerificationConfig, PolicyConfig } from './config';
import { PolicyBundleError, reasonOf } from './errors';
import { describeError, type Logger } from './logger';
import { engineOrUnavailable, loadBundleEngine, loadConfiguredPolicyEngine, type PolicyEngine } from './policy-engine';

/** The policy serving now. */
export interface ActivePolicy {
  readonly engine: PolicyEngine;
  /** `remote` (from the source) or `packaged` (shipped with the function). */
  readonly origin: 'remote' | 'packaged';
  /** When it was activated (ms since epoch). */
  readonly activatedAtMs: number;
}

export interface PolicyStoreOptions {
  /** Bundle name in decision logs and log lines (`authz`, `shadow`). */
  readonly name: string;
  /** Remote source; undefined = the packaged policy only (no polling). */
  readonly source: BundleSource | undefined;
  /** Loads the packaged policy (the default, or the fallback). */
  readonly packaged: (() => Promise<PolicyEngine>) | undefined;
  /** Cold start with no good remote bundle: serve the packaged policy? */
  readonly fallbackToPackaged: boolean;
  /** Bytes → engine (verify, parse, instantiate); rejects with PolicyBundleError. */
  readonly load: (bytes: Buffer) => Promise<PolicyEngine>;
  readonly minDelaySeconds: number;
  readonly maxDelaySeconds: number;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly random?: () => number;
  /** Called after each check (metrics): what happened and the reason of a failure. */
  readonly onCheck?: (outcome: 'activated' | 'not_modified' | 'rejected', reason: string | undefined) => void;
}

export interface PolicyStore {
  readonly name: string;
  /**
   * The engine for this request: synchronous once a policy is active (and a
   * due check starts in the background); a promise only while the cold-start
   * load runs. Throws/rejects PolicyBundleError `no_policy` when there is none.
   */
  engine(): PolicyEngine | Promise<PolicyEngine>;
  /** The policy serving now, if any (no side effect). */
  active(): ActivePolicy | undefined;
  /** Resolves when no check is in flight (tests, bench, local stack). */
  idle(): Promise<void>;
}

/** Retry delay while no policy is active: 1 s doubling, at most the minimum polling delay. */
function coldRetryMs(failures: number, minDelaySeconds: number): number {
  return Math.min(2 ** Math.max(0, failures - 1), minDelaySeconds) * 1000;
}

export function createPolicyStore(opts: PolicyStoreOptions): PolicyStore {
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const { logger, name, source } = opts;
  let active: ActivePolicy | undefined;
  let etag: string | undefined;
  let inflight: Promise<void> | undefined;
  let nextCheckAt = Number.POSITIVE_INFINITY;
  let failures = 0;

  const scheduleNext = (): void => {
    const span = Math.max(0, opts.maxDelaySeconds - opts.minDelaySeconds);
    nextCheckAt = active === undefined ? now() + coldRetryMs(failures, opts.minDelaySeconds) : now() + (opts.minDelaySeconds + random() * span) * 1000;
  };

  const activate = (engine: PolicyEngine, origin: ActivePolicy['origin']): void => {
    const previous = active?.engine.revision;
    active = { engine, origin, activatedAtMs: now() };
    logger.info('policy activated', { bundle: name, origin, policyRevision: engine.revision, previousRevision: previous, source: source?.name });
  };

  /** One download-verify-load cycle; never rejects. */
  const check = async (): Promise<void> => {
    if (source === undefined) return;
    try {
      const fetched = await source.fetch(etag);
      if (fetched.status === 'not_modified') {
        failures = 0;
        logger.debug('policy bundle unchanged', { bundle: name, policyRevision: active?.engine.revision });
        opts.onCheck?.('not_modified', undefined);
        return;
      }
      const engine = await opts.load(fetched.bytes);
      etag = fetched.etag;
      failures = 0;
      activate(engine, 'remote');
      opts.onCheck?.('activated', undefined);
    } catch (error) {
      failures += 1;
      const reason = reasonOf(error);
      logger.error(active === undefined ? 'policy bundle rejected; no policy is serving' : 'policy bundle rejected; the last good policy keeps serving', {
        bundle: name,
        source: source.name,
        reason,
        rejectedRevision: error instanceof PolicyBundleError ? error.revision : undefined,
        policyRevision: active?.engine.revision,
        ...describeError(error),
      });
      opts.onCheck?.('rejected', reason);
    }
  };

  const startCheck = (): Promise<void> => {
    const run = check().finally(() => {
      scheduleNext();
      inflight = undefined;
    });
    inflight = run;
    return run;
  };

  const loadPackaged = async (why: string): Promise<void> => {
    if (opts.packaged === undefined) return;
    try {
      activate(await opts.packaged(), 'packaged');
    } catch (error) {
      logger.error(`packaged policy not loaded (${why})`, { bundle: name, reason: reasonOf(error), ...describeError(error) });
      throw error;
    }
  };

  // Cold start.
  let coldStart: Promise<void> | undefined;
  /** A packaged-only store whose load failed: its error is every request's (today's behaviour). */
  let packagedFailure: unknown;
  if (source === undefined) {
    coldStart = loadPackaged('no bundle source').catch((error: unknown) => {
      packagedFailure = error;
    });
  } else {
    coldStart = startCheck().then(async () => {
      if (active !== undefined || !opts.fallbackToPackaged) return;
      logger.warn('no good policy bundle at cold start: serving the packaged policy (POLICY_BUNDLE_FALLBACK=packaged)', { bundle: name, source: source.name });
      await loadPackaged('fallback').catch(() => undefined);
    });
  }
  const coldStartDone = coldStart.finally(() => {
    coldStart = undefined;
  });

  const current = (): PolicyEngine => {
    if (active !== undefined) {
      if (source !== undefined && inflight === undefined && now() >= nextCheckAt) void startCheck();
      return active.engine;
    }
    if (packagedFailure !== undefined) throw packagedFailure;
    if (source !== undefined && inflight === undefined && now() >= nextCheckAt) void startCheck();
    throw new PolicyBundleError('no_policy', `no good policy bundle from ${source?.name ?? 'the package'} yet: failing closed`);
  };

  return {
    name,
    engine: () => (coldStart === undefined ? current() : coldStartDone.then(current)),
    active: () => active,
    idle: async () => {
      await coldStartDone;
      while (inflight !== undefined) await inflight;
    },
  };
}

/** The shape of a PolicyStore or of an engine promise (tests, the packaged policy). */
export type PolicySource = PolicyStore | Promise<PolicyEngine>;

/** A store serving one already-loading engine (no source, no polling). */
export function policyStoreOf(source: PolicySource, logger: Logger, name = 'authz'): PolicyStore {
  if (!(source instanceof Promise)) return source;
  return createPolicyStore({
    name,
    source: undefined,
    packaged: () => engineOrUnavailable(source),
    fallbackToPackaged: false,
    load: () => Promise.reject(new Error('no bundle source')),
    minDelaySeconds: 1,
    maxDelaySeconds: 1,
    logger,
  });
}

/** The store's engine for this request, awaiting only during the cold start. */
export async function engineOf(store: PolicyStore): Promise<PolicyEngine> {
  return store.engine();
}

interface SsmModule {
  SSMClient: new (config: Record<string, never>) => { send(command: unknown): Promise<{ Parameter?: { Value?: string } }> };
  GetParameterCommand: new (input: { Name: string; WithDecryption: boolean }) => unknown;
}

/** Reads the verification key from SSM (the Lambda runtime's `@aws-sdk/client-ssm`, loaded only when configured). */
export type ParameterReader = (name: string) => Promise<string>;

const awsParameterReader: ParameterReader = async (name) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('@aws-sdk/client-ssm') as SsmModule;
  const out = await new sdk.SSMClient({}).send(new sdk.GetParameterCommand({ Name: name, WithDecryption: true }));
  const value = out.Parameter?.Value;
  if (typeof value !== 'string' || value.trim() === '') throw new Error('the parameter has no value');
  return value.replace(/\\n/g, '\n');
};

/** The verification key, read once per container (a failed read is retried by the next check). */
function verificationKey(verification: BundleVerificationConfig, readParameter: ParameterReader): () => Promise<string> {
  let pending: Promise<string> | undefined;
  return () => {
    if (verification.publicKey !== undefined) return Promise.resolve(verification.publicKey);
    const name = verification.keyParameter ?? '';
    pending ??= readParameter(name).catch((error: unknown) => {
      pending = undefined;
      throw new PolicyBundleError('verification_key_unavailable', `verification key parameter ${name} not read`, { cause: error });
    });
    return pending;
  };
}

export interface ConfiguredStoresOptions {
  readonly policy: PolicyConfig;
  readonly logger: Logger;
  /** Entrypoints every bundle must export (the handler's own). */
  readonly entrypoints: readonly string[];
  /** What a failed packaged load means for requests (logged). */
  readonly ifUnavailable: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Test/bench boundaries. */
  readonly fetchFn?: typeof fetch;
  readonly s3?: S3GetObject;
  readonly readParameter?: ParameterReader;
  readonly onCheck?: (bundle: string, outcome: 'activated' | 'not_modified' | 'rejected', reason: string | undefined) => void;
}

/** The enforced policy store and the optional shadow store a handler's configuration asks for. */
export function configuredPolicyStores(opts: ConfiguredStoresOptions): { enforced: PolicyStore; shadow: PolicyStore | undefined } {
  const { policy, logger } = opts;
  const bundle = policy.bundle;
  const limits = { timeoutMs: bundle.downloadTimeoutMs, maxBytes: bundle.maxBundleBytes };
  const key = bundle.verification === undefined ? undefined : verificationKey(bundle.verification, opts.readParameter ?? awsParameterReader);
  const load = async (bytes: Buffer): Promise<PolicyEngine> =>
    loadBundleEngine(bytes, {
      verification: bundle.verification === undefined || key === undefined ? undefined : { ...bundle.verification, publicKey: await key() },
      requiredEntrypoints: opts.entrypoints,
      maxBytes: bundle.maxBundleBytes * 8,
    });
  const sourceOf = (config: BundleSourceConfig): BundleSource | undefined =>
    config.kind === 'http' ? createHttpBundleSource(config.url, limits, opts.fetchFn) : bundleSourceFor(config, limits, opts.s3);
  const packaged = (): Promise<PolicyEngine> =>
    loadConfiguredPolicyEngine(policy, logger, opts.entrypoints.join(', '), opts.ifUnavailable, opts.env ?? process.env);
  const enforced = createPolicyStore({
    name: 'authz',
    source: sourceOf(bundle.source),
    packaged: bundle.source.kind === 'packaged' || bundle.fallback === 'packaged' ? packaged : undefined,
    fallbackToPackaged: bundle.fallback === 'packaged',
    load,
    minDelaySeconds: bundle.minDelaySeconds,
    maxDelaySeconds: bundle.maxDelaySeconds,
    logger,
    onCheck: (outcome, reason) => opts.onCheck?.('authz', outcome, reason),
  });
  const shadow =
    bundle.shadow === undefined
      ? undefined
      : createPolicyStore({
          name: 'shadow',
          source: sourceOf(bundle.shadow),
          packaged: bundle.shadow.kind === 'packaged' ? packaged : undefined,
          fallbackToPackaged: false,
          load,
          minDelaySeconds: bundle.minDelaySeconds,
          maxDelaySeconds: bundle.maxDelaySeconds,
          logger,
          onCheck: (outcome, reason) => opts.onCheck?.('shadow', outcome, reason),
        });
  return { enforced, shadow };
}
