/**
 * Environment configuration of both functions, parsed and validated once per
 * container. Every variable is documented in functions/README.md.
 */
import * as path from 'node:path';
import { ConfigError } from './errors';
import { DEFAULT_JWKS_REFRESH_MIN_INTERVAL_MS } from './jwks-cache';
import type { TokenVerifierOptions } from './token-verifier';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface PolicyConfig {
  /** policy.wasm location. */
  readonly wasmPath: string;
  /** data.json location (optional file: absent → empty data document). */
  readonly dataPath: string;
  /** Revision label for decision logs; undefined → sha256 prefix of the wasm. */
  readonly revision: string | undefined;
  /** Where the enforced policy comes from and how it is kept fresh. */
  readonly bundle: BundleConfig;
}

/** Where a policy bundle is fetched from. */
export type BundleSourceConfig =
  /** policy.wasm + data.json packaged with the function (no polling). */
  | { readonly kind: 'packaged' }
  /** OPA's bundle service protocol: GET with If-None-Match, 200 new / 304 unchanged. */
  | { readonly kind: 'http'; readonly url: URL }
  /** S3 GetObject with IfNoneMatch (AWS SDK v3, provided by the Lambda runtime). */
  | {
      readonly kind: 's3';
      readonly bucket: string;
      readonly key: string;
      /** A local S3-compatible server only (POLICY_BUNDLE_S3_ENDPOINT). */
      readonly endpoint: URL | undefined;
      readonly forcePathStyle: boolean;
    };

/** How a remote bundle's `/.signatures.json` is verified (rego-wasm's verifyBundle options). */
export interface BundleVerificationConfig {
  /** Public key PEM (POLICY_VERIFICATION_KEY) ... */
  readonly publicKey: string | undefined;
  /** ... or the SSM parameter holding it, read once per container. */
  readonly keyParameter: string | undefined;
  readonly keyId: string | undefined;
  readonly scope: string | undefined;
}

export interface BundleConfig {
  readonly source: BundleSourceConfig;
  /** Candidate evaluated beside the enforced policy (never changes the answer). */
  readonly shadow: BundleSourceConfig | undefined;
  /** Next check at a random delay in [min, max] seconds (OPA's polling). */
  readonly minDelaySeconds: number;
  readonly maxDelaySeconds: number;
  /** undefined only when POLICY_BUNDLE_ALLOW_UNSIGNED=true (or no remote source). */
  readonly verification: BundleVerificationConfig | undefined;
  /** Cold start with no good remote bundle: `packaged` serves the packaged one, `none` fails closed. */
  readonly fallback: 'packaged' | 'none';
  readonly downloadTimeoutMs: number;
  /** Largest accepted download (compressed bytes). */
  readonly maxBundleBytes: number;
  /** Skip the shadow evaluation when its recent evaluation time exceeds this. */
  readonly shadowLatencyBudgetMs: number;
}

export interface CommonConfig {
  readonly policy: PolicyConfig;
  /** Lower-cased API key header, never passed to policy or backend. */
  readonly apiKeyHeader: string;
  readonly logLevel: LogLevel;
  /** Field names the decision log's default mask erases wherever they appear (DECISION_LOG_ERASE_FIELDS). */
  readonly decisionLogEraseFields: readonly string[];
}

/** The token verifier's options (issuers, audiences, JWKS URIs, algorithms, skew, JWKS age and timeout) plus the rest. */
export interface AuthorizerConfig extends CommonConfig, Omit<TokenVerifierOptions, 'now' | 'sleep'> {
  readonly requestEntrypoint: string;
  /** API product label put in `input.api.product` when the policy data does not decide it. */
  readonly apiProduct: string | undefined;
  /** Longest accepted Authorization header value (bytes). */
  readonly maxTokenBytes: number;
}

export interface ClaimsProxyConfig extends CommonConfig {
  readonly backendUrl: URL;
  readonly backendTimeoutMs: number;
  readonly maxResponseBytes: number;
  readonly responseEntrypoint: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_REQUEST_ENTRYPOINT = 'acme/authz/decision';
const DEFAULT_RESPONSE_ENTRYPOINT = 'acme/filter/response';
const SUPPORTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** The ACME response policy's protected fields (policies/filter.rego); an operator lists their own. */
const DEFAULT_ERASE_FIELDS = 'memberSsn,ssn,procedure';
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

function value(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  return trimmed === '' ? undefined : trimmed;
}

function required(env: Env, name: string): string {
  const v = value(env, name);
  if (v === undefined) throw new ConfigError(`${name} is required`);
  return v;
}

function list(env: Env, name: string, fallback?: string): string[] {
  const raw = value(env, name) ?? fallback;
  if (raw === undefined) throw new ConfigError(`${name} is required`);
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new ConfigError(`${name} must list at least one value`);
  return items;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function isLoopback(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
}

/**
 * A URL without credentials. Error messages end up in CloudWatch, so neither
 * an unparsable value nor a `user:password@` part is ever echoed.
 */
function parsedUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a URL`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(`${name} must not carry credentials (user:password@); send them another way`);
  }
  return url;
}

/** https everywhere; plain http only for loopback (local stand-ins, tests). */
function httpUrl(name: string, raw: string): URL {
  const url = parsedUrl(name, raw);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopback(url)) return url;
  throw new ConfigError(`${name} must be an https URL (http is only allowed for 127.0.0.1/localhost), got "${raw}"`);
}

function flag(env: Env, name: string): boolean {
  const raw = (value(env, name) ?? 'false').toLowerCase();
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(`${name} must be true or false, got "${raw}"`);
  return raw === 'true';
}

/** A bundle location: unset → packaged; `https://…` (`http://` only when allowed); `s3://bucket/key`. */
function bundleSource(env: Env, name: string): BundleSourceConfig {
  const raw = value(env, name);
  if (raw === undefined) return { kind: 'packaged' };
  const url = parsedUrl(name, raw);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && flag(env, 'POLICY_BUNDLE_ALLOW_HTTP'))) {
    if (url.hash !== '') throw new ConfigError(`${name} must not carry a fragment`);
    return { kind: 'http', url };
  }
  if (url.protocol === 's3:') {
    const bucket = url.hostname;
    const key = decodeURIComponent(url.pathname.replace(/^\/+/, ''));
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ConfigError(`${name}: "${bucket}" is not an S3 bucket name`);
    if (key === '' || url.search !== '' || url.hash !== '') throw new ConfigError(`${name} must be s3://bucket/key (an object key, no query)`);
    const endpointRaw = value(env, 'POLICY_BUNDLE_S3_ENDPOINT');
    let endpoint: URL | undefined;
    if (endpointRaw !== undefined) {
      endpoint = parsedUrl('POLICY_BUNDLE_S3_ENDPOINT', endpointRaw);
      if (endpoint.protocol !== 'https:' && !(endpoint.protocol === 'http:' && (isLoopback(endpoint) || flag(env, 'POLICY_BUNDLE_ALLOW_HTTP')))) {
        throw new ConfigError('POLICY_BUNDLE_S3_ENDPOINT must be https (http only for loopback or with POLICY_BUNDLE_ALLOW_HTTP=true)');
      }
    }
    const pathStyle = value(env, 'POLICY_BUNDLE_S3_FORCE_PATH_STYLE');
    return { kind: 's3', bucket, key, endpoint, forcePathStyle: pathStyle === undefined ? endpoint !== undefined : flag(env, 'POLICY_BUNDLE_S3_FORCE_PATH_STYLE') };
  }
  throw new ConfigError(`${name} must be https://…, s3://bucket/key, or http://… with POLICY_BUNDLE_ALLOW_HTTP=true; got a ${url.protocol} URL`);
}

function bundleConfig(env: Env): BundleConfig {
  const source = bundleSource(env, 'POLICY_BUNDLE_URL');
  const shadow = value(env, 'SHADOW_BUNDLE_URL') === undefined ? undefined : bundleSource(env, 'SHADOW_BUNDLE_URL');
  const minDelaySeconds = integer(env, 'POLICY_BUNDLE_MIN_DELAY_SECONDS', 60, 1, 86_400);
  const maxDelaySeconds = integer(env, 'POLICY_BUNDLE_MAX_DELAY_SECONDS', Math.max(120, minDelaySeconds), 1, 86_400);
  if (maxDelaySeconds < minDelaySeconds) {
    throw new ConfigError(`POLICY_BUNDLE_MAX_DELAY_SECONDS (${maxDelaySeconds}) must be at least POLICY_BUNDLE_MIN_DELAY_SECONDS (${minDelaySeconds})`);
  }
  const publicKey = value(env, 'POLICY_VERIFICATION_KEY');
  const keyParameter = value(env, 'POLICY_VERIFICATION_KEY_PARAMETER');
  if (publicKey !== undefined && keyParameter !== undefined) {
    throw new ConfigError('set POLICY_VERIFICATION_KEY or POLICY_VERIFICATION_KEY_PARAMETER, not both');
  }
  if (publicKey !== undefined && !/^-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----$/.test(publicKey.replace(/\\n/g, '\n'))) {
    throw new ConfigError('POLICY_VERIFICATION_KEY must be a public key PEM (-----BEGIN PUBLIC KEY-----); never a private key');
  }
  const remote = source.kind !== 'packaged' || (shadow !== undefined && shadow.kind !== 'packaged');
  const allowUnsigned = flag(env, 'POLICY_BUNDLE_ALLOW_UNSIGNED');
  let verification: BundleVerificationConfig | undefined;
  if (publicKey !== undefined || keyParameter !== undefined) {
    verification = {
      publicKey: publicKey?.replace(/\\n/g, '\n'),
      keyParameter,
      keyId: value(env, 'POLICY_VERIFICATION_KEY_ID'),
      scope: value(env, 'POLICY_VERIFICATION_SCOPE'),
    };
  } else if (remote && !allowUnsigned) {
    throw new ConfigError('a remote policy bundle needs POLICY_VERIFICATION_KEY or POLICY_VERIFICATION_KEY_PARAMETER (or POLICY_BUNDLE_ALLOW_UNSIGNED=true)');
  }
  const fallback = (value(env, 'POLICY_BUNDLE_FALLBACK') ?? 'none').toLowerCase();
  if (fallback !== 'packaged' && fallback !== 'none') throw new ConfigError(`POLICY_BUNDLE_FALLBACK must be packaged or none, got "${fallback}"`);
  return {
    source,
    shadow,
    minDelaySeconds,
    maxDelaySeconds,
    verification,
    fallback,
    downloadTimeoutMs: integer(env, 'POLICY_BUNDLE_TIMEOUT_MS', 5000, 100, 60_000),
    maxBundleBytes: integer(env, 'POLICY_BUNDLE_MAX_BYTES', 8 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    shadowLatencyBudgetMs: integer(env, 'SHADOW_LATENCY_BUDGET_MS', 5, 0, 10_000),
  };
}

function entrypoint(env: Env, name: string, fallback: string): string {
  const v = value(env, name) ?? fallback;
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/.test(v)) {
    throw new ConfigError(`${name} must be a slash-separated Rego path like "acme/authz/decision", got "${v}"`);
  }
  return v;
}

function common(env: Env, handlerDir: string): CommonConfig {
  const level = (value(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  }
  const apiKeyHeader = (value(env, 'API_KEY_HEADER') ?? 'x-api-key').toLowerCase();
  if (!/^[a-z0-9-]+$/.test(apiKeyHeader)) throw new ConfigError(`API_KEY_HEADER is not a header name: "${apiKeyHeader}"`);
  const revision = value(env, 'POLICY_REVISION');
  return {
    policy: {
      wasmPath: path.resolve(handlerDir, value(env, 'POLICY_WASM_PATH') ?? 'policy.wasm'),
      dataPath: path.resolve(handlerDir, value(env, 'POLICY_DATA_PATH') ?? 'data.json'),
      revision,
      bundle: bundleConfig(env),
    },
    apiKeyHeader,
    logLevel: level as LogLevel,
    decisionLogEraseFields: list(env, 'DECISION_LOG_ERASE_FIELDS', DEFAULT_ERASE_FIELDS),
  };
}

/** Parse the authorizer's configuration. `handlerDir` anchors relative policy paths. */
export function loadAuthorizerConfig(env: Env, handlerDir: string): AuthorizerConfig {
  // Issuers are compared exactly (no trailing-slash folding), as aws-jwt-verify does.
  const issuers = list(env, 'OKTA_ISSUER');
  for (const issuer of issuers) httpUrl('OKTA_ISSUER', issuer);
  const audiences = list(env, 'OKTA_AUDIENCE');
  const jwksRaw = value(env, 'OKTA_JWKS_URI');
  const jwksUris = jwksRaw === undefined ? issuers.map((i) => `${i.replace(/\/+$/, '')}/v1/keys`) : list(env, 'OKTA_JWKS_URI');
  if (jwksUris.length !== issuers.length) {
    throw new ConfigError(`OKTA_JWKS_URI must list one URI per OKTA_ISSUER (${issuers.length}), got ${jwksUris.length}`);
  }
  for (const uri of jwksUris) httpUrl('OKTA_JWKS_URI', uri);
  const algorithms = list(env, 'JWT_ALGORITHMS', 'RS256');
  for (const alg of algorithms) {
    if (!SUPPORTED_ALGORITHMS.includes(alg)) {
      throw new ConfigError(`JWT_ALGORITHMS: "${alg}" is not supported (use ${SUPPORTED_ALGORITHMS.join(', ')}; HS*/none are never accepted)`);
    }
  }
  return {
    ...common(env, handlerDir),
    issuers,
    audiences,
    jwksUris,
    algorithms,
    clockSkewSeconds: integer(env, 'JWT_CLOCK_SKEW_SECONDS', 60, 0, 300),
    jwksMaxAgeSeconds: integer(env, 'JWKS_MAX_AGE_SECONDS', 900, 1, 86_400),
    jwksFetchTimeoutMs: integer(env, 'JWKS_FETCH_TIMEOUT_MS', 2000, 50, 10_000),
    jwksRefreshMinIntervalMs: integer(env, 'JWKS_REFRESH_MIN_INTERVAL_MS', DEFAULT_JWKS_REFRESH_MIN_INTERVAL_MS, 100, 60_000),
    requestEntrypoint: entrypoint(env, 'POLICY_REQUEST_ENTRYPOINT', DEFAULT_REQUEST_ENTRYPOINT),
    apiProduct: value(env, 'API_PRODUCT'),
    maxTokenBytes: integer(env, 'MAX_TOKEN_BYTES', 8192, 256, 65_536),
  };
}

/** Parse the claims proxy's configuration. */
export function loadClaimsProxyConfig(env: Env, handlerDir: string): ClaimsProxyConfig {
  const rawBackend = required(env, 'BACKEND_URL');
  const allowHttp = (value(env, 'BACKEND_ALLOW_HTTP') ?? 'false').toLowerCase() === 'true';
  const backendUrl = allowHttp && rawBackend.startsWith('http://') ? parsedUrl('BACKEND_URL', rawBackend) : httpUrl('BACKEND_URL', rawBackend);
  if (backendUrl.search !== '' || backendUrl.hash !== '') {
    throw new ConfigError('BACKEND_URL must not carry a query string or fragment');
  }
  return {
    ...common(env, handlerDir),
    backendUrl,
    backendTimeoutMs: integer(env, 'BACKEND_TIMEOUT_MS', 3000, 50, 28_000),
    maxResponseBytes: integer(env, 'MAX_RESPONSE_BYTES', 1_048_576, 1024, 6_000_000),
    responseEntrypoint: entrypoint(env, 'POLICY_RESPONSE_ENTRYPOINT', DEFAULT_RESPONSE_ENTRYPOINT),
  };
}
