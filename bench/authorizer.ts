/**
 * Authorizer figures (issue #4), measured in one run against the local Okta
 * stand-in (child process, loopback):
 *
 * - warm in-process latency of the REAL authorizer handler over 10k requests
 *   (token verification + input mapping + request policy + IAM policy), next
 *   to aws-jwt-verify verifying the same token alone (JWKS cached), and the
 *   share the rest adds on top of verification (target ≤ 25%);
 * - where the rest goes, in the same rounds: the same authorizer with the
 *   verification replaced by its result (request mapping + request policy +
 *   IAM answer), the policy decision alone (SDK call) on the same input, and
 *   aws-jwt-verify then the policy decision back to back in one call (which
 *   costs more than the two measured apart; in experiments the penalty hit
 *   the wasm evaluation after node's RSA verify, not JSON work, which points
 *   at CPU cache and branch-predictor state rather than at either's code);
 * - the floor of this design: the same authorizer, verification replaced
 *   by its result, with a policy that only returns a constant decision, so
 *   what remains is request mapping, the SDK's call (with input by need, a
 *   constant policy is given an empty input) and the IAM answer. If the
 *   floor alone exceeds the 25% budget, no engine speed-up can meet it;
 * - input by need (issue #12): the policy decision alone with the input the
 *   engine hands the policy (pruned to the paths the Acme policy reads) next
 *   to the same decision on the full input (target ≤ 0.75×); and the
 *   authorizer without verification as a share of verification alone
 *   (target ≤ 50% at p50). The cold start is its own area (bench/cold-start.ts);
 * - key rotation (issue #17), with the token verifier's clock moved past the
 *   refresh interval so no request waits for a slot: an unknown-`kid` request
 *   (one JWKS fetch from the stand-in, then 401), the per-request cost of
 *   1000 different unknown `kid`s at once (one shared fetch), a refresh of a
 *   set past its max age (fetch + validation, no verification), and the
 *   first use of a token signed with a freshly rotated key (fetch + key
 *   import + verification).
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JwtVerifier } from 'aws-jwt-verify';
import { build, loadPolicyWasm } from 'rego-wasm';
import { oktaKeys } from '../local/okta/admin-client';
import { requestToken } from '../local/okta/token-client';
import { startStackProcess } from '../local/stack-process';
import { createAuthorizer } from '../functions/authorizer/authorizer';
import { loadAuthorizerConfig } from '../functions/shared/config';
import { createDecisionLog } from '../functions/shared/decision-log';
import { createLogger } from '../functions/shared/logger';
import { decide, loadPolicyEngine } from '../functions/shared/policy-engine';
import { buildRequestInput, inputByNeed, requestFacts } from '../functions/shared/request-input';
import { createTokenVerifier, type TokenVerifierOptions } from '../functions/shared/token-verifier';
import { InvalidTokenError } from '../functions/shared/errors';
import { RotationSafeJwksCache } from '../functions/shared/jwks-cache';
import { JwksFetcher } from '../functions/shared/jwks-fetcher';

const ROOT = join(__dirname, '..');
const POLICY_DIR = join(ROOT, 'policies');
const N = Number(process.env.BENCH_AUTHORIZER_REQUESTS ?? '10000');

type Handler = (event: unknown) => Promise<{ policyDocument?: { Statement?: { Effect?: string }[] } }>;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timeEach(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out[i] = Number(process.hrtime.bigint() - t0) / 1000; // µs
  }
  return out;
}

const b64json = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** The genuine token's claims under a made-up kid, signed by a key nobody published. */
function forger(genuine: string): () => string {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const payload = genuine.split('.')[1] ?? '';
  return () => {
    const input = `${b64json({ alg: 'RS256', kid: `forged-${randomBytes(8).toString('hex')}` })}.${payload}`;
    return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
  };
}

async function refused(p: Promise<unknown>): Promise<void> {
  await p.then(
    () => {
      throw new Error('a forged token was accepted');
    },
    (e: unknown) => {
      if (!(e instanceof InvalidTokenError)) throw e;
    },
  );
}

/** Key-rotation costs against the stand-in (see the header). Rotates the stand-in's key: run last. */
async function benchRotation(okta: string, tokenEndpoint: string, options: TokenVerifierOptions, token: string): Promise<Record<string, number>> {
  const interval = options.jwksRefreshMinIntervalMs ?? 2000;
  let clock = Date.now();
  const verifier = createTokenVerifier({ ...options, now: () => clock });
  await verifier.hydrate();
  const forge = forger(token);

  const forged = Array.from({ length: 200 }, forge);
  let i = 0;
  const unknown = await timeEach(forged.length, async () => {
    clock += interval + 1;
    await refused(verifier.verify(forged[i++] as string));
  });
  unknown.sort((a, b) => a - b);

  clock += interval + 1;
  const burst = Array.from({ length: 1000 }, forge);
  const t0 = process.hrtime.bigint();
  await Promise.all(burst.map((t) => refused(verifier.verify(t))));
  const burstUs = Number(process.hrtime.bigint() - t0) / 1000;

  let cacheClock = Date.now();
  const cache = new RotationSafeJwksCache({
    fetcher: new JwksFetcher(options.jwksFetchTimeoutMs),
    algorithms: options.algorithms,
    maxAgeSeconds: options.jwksMaxAgeSeconds,
    refreshMinIntervalMs: interval,
    clock: { now: () => cacheClock, sleep: () => Promise.reject(new Error('the bench never waits for a slot')) },
  });
  const jwksUri = options.jwksUris[0] as string;
  const refresh = await timeEach(200, async () => {
    cacheClock += options.jwksMaxAgeSeconds * 1000 + 1;
    await cache.getJwks(jwksUri);
  });
  refresh.sort((a, b) => a - b);

  const firstUse: number[] = [];
  for (let r = 0; r < 5; r++) {
    await oktaKeys(okta, 'rotate');
    const rotated = (await requestToken({ tokenEndpoint, username: 'alice' })).accessToken;
    clock += interval + 1;
    firstUse.push(...(await timeEach(1, () => verifier.verify(rotated))));
    await oktaKeys(okta, 'retire');
  }
  firstUse.sort((a, b) => a - b);

  return {
    rotation_unknown_kid_request_p50_us: percentile(unknown, 50),
    rotation_unknown_kid_request_p99_us: percentile(unknown, 99),
    rotation_unknown_kid_1000_at_once_per_request_us: burstUs / burst.length,
    rotation_jwks_refresh_p50_us: percentile(refresh, 50),
    rotation_jwks_refresh_p99_us: percentile(refresh, 99),
    rotation_new_key_first_use_median_us: percentile(firstUse, 50),
  };
}

export async function benchAuthorizer(): Promise<Record<string, number | string>> {
  const wasmPath = join(POLICY_DIR, 'build', 'policy.wasm');
  build({ paths: [POLICY_DIR], outfile: wasmPath });
  const stack = await startStackProcess({ LOCAL_QUIET: '1', LOCAL_KEYS_DIR: 'memory' });
  const savedEnv = new Map<string, string | undefined>();
  try {
    const token = (await requestToken({ tokenEndpoint: stack.tokenEndpoint, username: 'alice' })).accessToken;
    const issuer = stack.issuer;
    const jwksUri = `${issuer}/v1/keys`;
    const env: Record<string, string> = {
      OKTA_ISSUER: issuer,
      OKTA_AUDIENCE: 'api://default',
      OKTA_JWKS_URI: jwksUri,
      POLICY_WASM_PATH: wasmPath,
      POLICY_DATA_PATH: join(POLICY_DIR, 'data.json'),
      LOG_LEVEL: 'silent',
    };
    const event = JSON.parse(
      readFileSync(join(ROOT, 'test', 'events', 'authorizer-get-own-record.json'), 'utf8').replaceAll('__ACCESS_TOKEN__', token),
    ) as unknown;

    // ---- warm, in this process: the real handler module (it reads the
    // environment at load). The environment is restored afterwards: later
    // areas start stacks that inherit it, where an already-set value wins.
    for (const k of Object.keys(env)) savedEnv.set(k, process.env[k]);
    Object.assign(process.env, env);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require('../functions/authorizer/handler') as { handler: Handler };
    const first = await handler(event);
    if (first.policyDocument?.Statement?.[0]?.Effect !== 'Allow') throw new Error('warm authorizer did not allow');

    const verifier = JwtVerifier.create({ issuer, audience: 'api://default', jwksUri });
    const jwks = (await (await fetch(jwksUri)).json()) as Parameters<typeof verifier.cacheJwks>[0];
    verifier.cacheJwks(jwks);
    await verifier.verify(token);

    // The same authorizer and policy with the verification replaced by its
    // result, and the policy decision alone, to show where the rest goes.
    const config = loadAuthorizerConfig(process.env, join(ROOT, 'functions', 'authorizer'));
    const tokenVerifier = createTokenVerifier(config);
    await tokenVerifier.hydrate();
    const verified = await tokenVerifier.verify(token);
    const engine = await loadPolicyEngine({ wasmPath: wasmPath, dataPath: env.POLICY_DATA_PATH, dataOptional: false });
    const withoutVerification = createAuthorizer({
      config,
      verifier: { hydrate: async () => undefined, verify: async () => verified },
      engine: Promise.resolve(engine),
      logger: createLogger('silent', 'authorizer'),
      decisions: createDecisionLog(() => undefined, false),
    });
    // The floor: a policy that returns a constant decision, through the same SDK.
    // Through input by need as the engine does: a constant policy reads no input.
    const floorWasm = build({ sources: [{ file: 'floor.rego', text: 'package floor\n\ndecision := {"allow": true, "reason": "allowed"}\n' }], entrypoints: ['floor/decision'] }).bytes;
    const floorPolicy = await loadPolicyWasm(floorWasm);
    const floorNeed = inputByNeed(floorWasm);
    const floor = createAuthorizer({
      config: { ...config, requestEntrypoint: 'floor/decision' },
      verifier: { hydrate: async () => undefined, verify: async () => verified },
      engine: Promise.resolve({ revision: 'floor', evaluate: (entrypoint: string, doc: unknown) => floorPolicy.evaluate(floorNeed(entrypoint, doc), entrypoint) as ReturnType<typeof engine.evaluate> }),
      logger: createLogger('silent', 'authorizer'),
      decisions: createDecisionLog(() => undefined, false),
    });
    const floorAnswer = await floor(event as Parameters<typeof floor>[0]);
    if (floorAnswer.policyDocument?.Statement?.[0]?.Effect !== 'Allow') throw new Error('the floor policy did not allow');
    const input = buildRequestInput(requestFacts(event as Parameters<typeof requestFacts>[0]), verified, config.apiKeyHeader, config.apiProduct);
    if (!decide(engine, config.requestEntrypoint, input).allow) throw new Error('the policy alone did not allow');
    // The same policy given the full input (what the engine did before input by need).
    const fullPolicy = await loadPolicyWasm(readFileSync(wasmPath));
    fullPolicy.setData(JSON.parse(readFileSync(env.POLICY_DATA_PATH, 'utf8')) as object);
    const fullInputEngine = { revision: 'full', evaluate: (entrypoint: string, doc: unknown) => fullPolicy.evaluate(doc, entrypoint) as ReturnType<typeof engine.evaluate> };
    if (!decide(fullInputEngine, config.requestEntrypoint, input).allow) throw new Error('the policy on the full input did not allow');

    // interleave rounds so machine noise hits all alike
    const series = { auth: [] as number[], verify: [] as number[], rest: [] as number[], policy: [] as number[], policyFull: [] as number[], both: [] as number[], floor: [] as number[] };
    const rounds = 10;
    for (let r = 0; r < rounds; r++) {
      series.verify.push(...(await timeEach(N / rounds, () => verifier.verify(token))));
      series.auth.push(...(await timeEach(N / rounds, () => handler(event))));
      series.rest.push(...(await timeEach(N / rounds, () => withoutVerification(event as Parameters<typeof withoutVerification>[0]))));
      series.policy.push(...(await timeEach(N / rounds, async () => decide(engine, config.requestEntrypoint, input))));
      series.policyFull.push(...(await timeEach(N / rounds, async () => decide(fullInputEngine, config.requestEntrypoint, input))));
      series.floor.push(...(await timeEach(N / rounds, () => floor(event as Parameters<typeof floor>[0]))));
      // the two alone, back to back in one call: more than their sum
      series.both.push(...(await timeEach(N / rounds, async () => decide(engine, config.requestEntrypoint, (await verifier.verify(token), input)))));
    }
    for (const xs of Object.values(series)) xs.sort((a, b) => a - b);
    const rotation = await benchRotation(stack.okta, stack.tokenEndpoint, config, token);
    const a50 = percentile(series.auth, 50);
    const v50 = percentile(series.verify, 50);
    return {
      requests: N,
      authorizer_p50_us: a50,
      authorizer_p99_us: percentile(series.auth, 99),
      jwt_verify_only_p50_us: v50,
      jwt_verify_only_p99_us: percentile(series.verify, 99),
      added_over_verification_p50_pct: ((a50 - v50) / v50) * 100,
      authorizer_without_verification_p50_us: percentile(series.rest, 50),
      without_verification_pct_of_verification_p50: (percentile(series.rest, 50) / v50) * 100,
      policy_decision_only_p50_us: percentile(series.policy, 50),
      policy_decision_full_input_p50_us: percentile(series.policyFull, 50),
      input_by_need_decision_ratio_p50: percentile(series.policy, 50) / percentile(series.policyFull, 50),
      verify_then_policy_decision_p50_us: percentile(series.both, 50),
      floor_constant_policy_without_verification_p50_us: percentile(series.floor, 50),
      floor_pct_of_verification_p50: (percentile(series.floor, 50) / v50) * 100,
      ...rotation,
    };
  } finally {
    for (const [k, v] of savedEnv) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await stack.stop();
  }
}
