import * as crypto from 'node:crypto';
import * as net from 'node:net';
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import { Period } from 'aws-cdk-lib/aws-apigateway';
import { Architecture, LoggingFormat } from 'aws-cdk-lib/aws-lambda';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IStringParameter } from 'aws-cdk-lib/aws-ssm';
import { InvalidPropError } from '../errors';
import { resolveCors, type ResolvedCors } from './cors';
import { checkHandlerBundles, defaultHandlerBundles, type HandlerBundles } from './handler-bundles';
import { buildPolicyDirectory, checkPolicyBundle } from './policy-source';
import { API_KEY_HEADER } from './identity-sources';
import type { ApiKeyQuota, LogLevel, OpaAuthorizedApiProps, PolicyBundleLocation, PolicyBundleSource } from './props';
import { resolveSecurity, type ResolvedSecurity } from './mtls-domain';

/** Props with every default applied; produced only by `resolveProps`. */
export interface ResolvedApiConfig {
  readonly oktaIssuer: string;
  readonly oktaAudiences: readonly string[];
  readonly oktaJwksUri: string;
  readonly backendUrl: string;
  readonly allowInsecureBackend: boolean;
  readonly backendTimeout: Duration;
  readonly authorizerCacheTtl: Duration;
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  readonly apiKeyRequired: boolean;
  readonly apiKeyQuota: ApiKeyQuota;
  readonly allowedSourceIpRanges: readonly string[] | undefined;
  readonly logRetention: RetentionDays;
  readonly policyBundle: PolicyBundleLocation;
  readonly requestEntrypoint: string;
  readonly responseEntrypoint: string;
  readonly stageName: string;
  readonly logLevel: LogLevel;
  readonly tracingEnabled: boolean;
  readonly webAclArn: string | undefined;
  readonly cloudWatchRole: boolean;
  readonly authorizerMemorySize: number;
  readonly authorizerTimeout: Duration;
  readonly claimsProxyMemorySize: number;
  readonly claimsProxyTimeout: Duration;
  readonly architecture: Architecture;
  readonly removalPolicy: RemovalPolicy;
  readonly logFormat: LoggingFormat;
  readonly handlerBundles: HandlerBundles;
  /** Browser access; undefined = no CORS (no preflight method, no CORS headers). */
  readonly cors: ResolvedCors | undefined;
  /** mtlsDomain, introspection, backendMtls (mtls-domain.ts). */
  readonly security: ResolvedSecurity;
  /** Where the functions get their policy at run time, and how it is checked. */
  readonly policyBundles: ResolvedPolicyBundles;
}

/** A bundle source with its defaults; `bucket: undefined` = the bucket the construct creates. */
export type ResolvedBundleSource =
  | { readonly kind: 'packaged' }
  | { readonly kind: 'bucket'; readonly bucket: IBucket | undefined; readonly key: string }
  | { readonly kind: 'url'; readonly url: string };

export type ResolvedVerificationKey =
  | { readonly kind: 'pem'; readonly pem: string }
  | { readonly kind: 'parameter'; readonly parameter: IStringParameter };

export interface ResolvedPolicyBundles {
  readonly source: ResolvedBundleSource;
  readonly shadow: ResolvedBundleSource | undefined;
  readonly minDelaySeconds: number;
  readonly maxDelaySeconds: number;
  readonly fallback: 'packaged' | 'none';
  readonly verificationKey: ResolvedVerificationKey | undefined;
  readonly verificationKeyId: string | undefined;
  readonly verificationScope: string | undefined;
  readonly allowUnsigned: boolean;
  readonly shadowLatencyBudgetMs: number | undefined;
  /** True when a source names the created bucket (`{ kind: 'bucket' }` without `bucket`). */
  readonly createsBucket: boolean;
  readonly bucketEncryptionKey: IKey | undefined;
}

export const DEFAULTS = {
  backendTimeout: Duration.seconds(3),
  authorizerCacheTtl: Duration.minutes(5),
  throttlingRateLimit: 100,
  throttlingBurstLimit: 200,
  apiKeyQuota: { limit: 10_000, period: Period.DAY } as ApiKeyQuota,
  logRetention: RetentionDays.THREE_MONTHS,
  requestEntrypoint: 'acme/authz/decision',
  responseEntrypoint: 'acme/filter/response',
  stageName: 'prod',
  logLevel: 'info' as LogLevel,
  memorySize: 512,
  authorizerTimeout: Duration.seconds(5),
  claimsProxyTimeoutMargin: Duration.seconds(2),
  architecture: Architecture.ARM_64,
  removalPolicy: RemovalPolicy.RETAIN,
  logFormat: LoggingFormat.TEXT,
  policyBundleKey: 'bundles/bundle.tar.gz',
  shadowBundleKey: 'bundles/shadow.tar.gz',
  policyBundleMinDelaySeconds: 60,
  policyBundleMaxDelaySeconds: 120,
} as const;

/** Longest polling delay accepted (one day). */
export const MAX_POLL_DELAY_SECONDS = 86_400;
/** Longest shadow latency budget accepted (ms). */
export const MAX_SHADOW_BUDGET_MS = 1000;
/**
 * Longest verification key accepted inline: Lambda allows 4 KB of environment
 * in total; a longer key belongs in an SSM parameter.
 */
export const MAX_INLINE_KEY_CHARS = 1600;

/** Lambda's memory bounds (MB). */
export const MIN_MEMORY_MB = 128;
export const MAX_MEMORY_MB = 10_240;
/** API Gateway ends an integration (and an authorizer call) after 29 s. */
export const MAX_FUNCTION_TIMEOUT_MS = 29_000;

/** API Gateway ends any integration after 29 s; keep the backend call well inside it. */
export const MAX_BACKEND_TIMEOUT_MS = 25_000;
export const MIN_BACKEND_TIMEOUT_MS = 100;
/** API Gateway's maximum authorizer result TTL. */
export const MAX_CACHE_TTL_SECONDS = 3600;

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const ENTRYPOINT = /^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/;
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const WEB_ACL_ARN = /^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/[^/]+\/[^/]+$/;

/** Validate `props` and apply the documented defaults. Throws `InvalidPropError`. */
export function resolveProps(props: OpaAuthorizedApiProps): ResolvedApiConfig {
  const oktaIssuer = checkUrl('oktaIssuer', props.oktaIssuer, { httpsOnly: true });
  if (!isToken(oktaIssuer) && oktaIssuer.endsWith('/')) {
    throw new InvalidPropError('oktaIssuer', `must not end with "/" (it is compared verbatim with the token's iss claim): ${oktaIssuer}`);
  }
  const oktaAudiences = checkAudiences(props.oktaAudience);
  const oktaJwksUri =
    props.oktaJwksUri === undefined
      ? `${oktaIssuer}/v1/keys`
      : checkUrl('oktaJwksUri', props.oktaJwksUri, { httpsOnly: true });
  const backendUrl = checkUrl('backendUrl', props.backendUrl, { httpsOnly: !props.allowInsecureBackend });

  const backendTimeout = props.backendTimeout ?? DEFAULTS.backendTimeout;
  const backendMs = backendTimeout.toMilliseconds();
  if (backendMs < MIN_BACKEND_TIMEOUT_MS || backendMs > MAX_BACKEND_TIMEOUT_MS) {
    throw new InvalidPropError(
      'backendTimeout',
      `must be between ${MIN_BACKEND_TIMEOUT_MS} ms and ${MAX_BACKEND_TIMEOUT_MS} ms (API Gateway's integration limit is 29 s), got ${backendMs} ms`,
    );
  }

  const authorizerCacheTtl = props.authorizerCacheTtl ?? DEFAULTS.authorizerCacheTtl;
  const ttlMs = authorizerCacheTtl.toMilliseconds();
  if (ttlMs % 1000 !== 0 || ttlMs < 0 || ttlMs > MAX_CACHE_TTL_SECONDS * 1000) {
    throw new InvalidPropError(
      'authorizerCacheTtl',
      `must be a whole number of seconds between 0 (no caching) and ${MAX_CACHE_TTL_SECONDS}, got ${ttlMs / 1000} s`,
    );
  }

  const throttlingRateLimit = props.throttlingRateLimit ?? DEFAULTS.throttlingRateLimit;
  if (!Number.isFinite(throttlingRateLimit) || throttlingRateLimit <= 0) {
    throw new InvalidPropError('throttlingRateLimit', `must be a positive number of requests per second, got ${throttlingRateLimit}`);
  }
  const throttlingBurstLimit = props.throttlingBurstLimit ?? DEFAULTS.throttlingBurstLimit;
  if (!Number.isInteger(throttlingBurstLimit) || throttlingBurstLimit < 1) {
    throw new InvalidPropError('throttlingBurstLimit', `must be a positive integer, got ${throttlingBurstLimit}`);
  }

  const apiKeyRequired = props.apiKeyRequired ?? false;
  if (props.apiKeyQuota !== undefined && !apiKeyRequired) {
    throw new InvalidPropError('apiKeyQuota', 'is set but apiKeyRequired is false; set apiKeyRequired: true or drop the quota');
  }
  const apiKeyQuota = props.apiKeyQuota ?? DEFAULTS.apiKeyQuota;
  if (!Number.isInteger(apiKeyQuota.limit) || apiKeyQuota.limit < 1) {
    throw new InvalidPropError('apiKeyQuota', `limit must be a positive integer, got ${apiKeyQuota.limit}`);
  }

  const allowedSourceIpRanges = checkCidrs(props.allowedSourceIpRanges);
  const cors = props.cors === undefined ? undefined : resolveCors(props.cors, apiKeyRequired ? API_KEY_HEADER : undefined);

  const requestEntrypoint = checkPattern('requestEntrypoint', props.requestEntrypoint ?? DEFAULTS.requestEntrypoint, ENTRYPOINT, 'a policy path like "acme/authz/decision"');
  const responseEntrypoint = checkPattern('responseEntrypoint', props.responseEntrypoint ?? DEFAULTS.responseEntrypoint, ENTRYPOINT, 'a policy path like "acme/filter/response"');
  const stageName = checkPattern('stageName', props.stageName ?? DEFAULTS.stageName, STAGE_NAME, 'letters, digits, "-" or "_" (1-128 characters)');

  const logLevel = props.logLevel ?? DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new InvalidPropError('logLevel', `must be one of ${LOG_LEVELS.join(', ')}, got ${String(logLevel)}`);
  }

  const webAclArn =
    props.webAclArn === undefined
      ? undefined
      : checkPattern('webAclArn', props.webAclArn, WEB_ACL_ARN, 'a regional WAFv2 web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>)');

  const authorizerMemorySize = checkMemory('authorizerMemorySize', props.authorizerMemorySize ?? DEFAULTS.memorySize);
  const claimsProxyMemorySize = checkMemory('claimsProxyMemorySize', props.claimsProxyMemorySize ?? DEFAULTS.memorySize);
  const authorizerTimeout = props.authorizerTimeout ?? DEFAULTS.authorizerTimeout;
  const authorizerTimeoutMs = authorizerTimeout.toMilliseconds();
  if (authorizerTimeoutMs < 1000 || authorizerTimeoutMs > MAX_FUNCTION_TIMEOUT_MS) {
    throw new InvalidPropError('authorizerTimeout', `must be between 1 s and 29 s, got ${authorizerTimeout.toHumanString()}`);
  }
  const claimsProxyTimeout = props.claimsProxyTimeout ?? backendTimeout.plus(DEFAULTS.claimsProxyTimeoutMargin);
  const claimsProxyTimeoutMs = claimsProxyTimeout.toMilliseconds();
  if (claimsProxyTimeoutMs <= backendTimeout.toMilliseconds() || claimsProxyTimeoutMs > MAX_FUNCTION_TIMEOUT_MS) {
    throw new InvalidPropError(
      'claimsProxyTimeout',
      `must exceed backendTimeout (${backendTimeout.toHumanString()}) and be at most 29 s, got ${claimsProxyTimeout.toHumanString()}`,
    );
  }
  const architecture = props.architecture ?? DEFAULTS.architecture;
  if (architecture !== Architecture.ARM_64 && architecture !== Architecture.X86_64) {
    throw new InvalidPropError('architecture', `must be Architecture.ARM_64 or Architecture.X86_64, got ${String(architecture?.name)}`);
  }
  const logFormat = props.logFormat ?? DEFAULTS.logFormat;
  if (logFormat !== LoggingFormat.TEXT && logFormat !== LoggingFormat.JSON) {
    throw new InvalidPropError('logFormat', `must be LoggingFormat.TEXT or LoggingFormat.JSON, got ${String(logFormat)}`);
  }

  const security = resolveSecurity(props, { oktaIssuer, backendUrl, authorizerTimeout });
  // In introspection's policy mode the authorizer also evaluates the introspection entrypoint.
  const introspectionEntrypoints = security.introspection?.mode === 'policy' ? [security.introspection.entrypoint] : [];
  const policyBundle = resolvePolicy(props, [requestEntrypoint, responseEntrypoint, ...introspectionEntrypoints]);
  const handlerBundles = props.handlerBundles === undefined ? defaultHandlerBundles() : checkHandlerBundles(props.handlerBundles);

  return {
    oktaIssuer,
    oktaAudiences,
    oktaJwksUri,
    backendUrl,
    allowInsecureBackend: props.allowInsecureBackend ?? false,
    backendTimeout,
    authorizerCacheTtl,
    throttlingRateLimit,
    throttlingBurstLimit,
    apiKeyRequired,
    apiKeyQuota,
    allowedSourceIpRanges,
    logRetention: props.logRetention ?? DEFAULTS.logRetention,
    policyBundle,
    requestEntrypoint,
    responseEntrypoint,
    stageName,
    logLevel,
    tracingEnabled: props.tracingEnabled ?? true,
    webAclArn,
    cloudWatchRole: props.cloudWatchRole ?? true,
    authorizerMemorySize,
    authorizerTimeout,
    claimsProxyMemorySize,
    claimsProxyTimeout,
    architecture,
    removalPolicy: props.removalPolicy ?? DEFAULTS.removalPolicy,
    logFormat,
    handlerBundles,
    cors,
    security,
    policyBundles: resolvePolicyBundles(props),
  };
}

/** Bundle source, polling, fallback, verification and shadow props. Throws `InvalidPropError`. */
export function resolvePolicyBundles(props: OpaAuthorizedApiProps): ResolvedPolicyBundles {
  const source = resolveBundleSource('policyBundleSource', props.policyBundleSource ?? { kind: 'packaged' }, DEFAULTS.policyBundleKey);
  const remote = source.kind !== 'packaged';
  const shadow = props.shadowBundleSource === undefined
    ? undefined
    : resolveBundleSource('shadowBundleSource', props.shadowBundleSource, DEFAULTS.shadowBundleKey);
  if (shadow?.kind === 'packaged') {
    throw new InvalidPropError('shadowBundleSource', "must be a bucket or url source (the packaged policy is the enforced one, it cannot also be the candidate)");
  }
  if (shadow !== undefined && source.kind === 'bucket' && shadow.kind === 'bucket' && shadow.bucket === source.bucket && shadow.key === source.key) {
    throw new InvalidPropError('shadowBundleSource', `names the same object as policyBundleSource (${shadow.key}); give the candidate its own key`);
  }
  const needsRemoteConfig = remote || shadow !== undefined;
  const onlyRemote = (prop: string, given: boolean): void => {
    if (given && !needsRemoteConfig) {
      throw new InvalidPropError(prop, "applies only to a remote policy (policyBundleSource { kind: 'bucket' } or { kind: 'url' }, or a shadowBundleSource)");
    }
  };

  onlyRemote('policyBundlePolling', props.policyBundlePolling !== undefined);
  const minDelaySeconds = pollDelay('policyBundlePolling', 'minDelay', props.policyBundlePolling?.minDelay, DEFAULTS.policyBundleMinDelaySeconds);
  const maxDelaySeconds = pollDelay('policyBundlePolling', 'maxDelay', props.policyBundlePolling?.maxDelay, Math.max(DEFAULTS.policyBundleMaxDelaySeconds, minDelaySeconds));
  if (maxDelaySeconds < minDelaySeconds) {
    throw new InvalidPropError('policyBundlePolling', `maxDelay (${maxDelaySeconds} s) must not be shorter than minDelay (${minDelaySeconds} s)`);
  }

  const fallback = props.policyBundleFallback ?? 'none';
  if (fallback !== 'packaged' && fallback !== 'none') {
    throw new InvalidPropError('policyBundleFallback', `must be 'packaged' or 'none', got ${JSON.stringify(fallback)}`);
  }
  if (props.policyBundleFallback !== undefined && !remote) {
    throw new InvalidPropError('policyBundleFallback', "applies only to a remote policyBundleSource ({ kind: 'bucket' } or { kind: 'url' })");
  }

  onlyRemote('policyVerificationKey', props.policyVerificationKey !== undefined);
  onlyRemote('policyVerificationKeyId', props.policyVerificationKeyId !== undefined);
  onlyRemote('policyVerificationScope', props.policyVerificationScope !== undefined);
  onlyRemote('allowUnsignedPolicyBundles', props.allowUnsignedPolicyBundles !== undefined);
  const verificationKey = props.policyVerificationKey === undefined ? undefined : checkVerificationKey(props.policyVerificationKey);
  const allowUnsigned = props.allowUnsignedPolicyBundles ?? false;
  if (needsRemoteConfig && verificationKey === undefined && !allowUnsigned) {
    throw new InvalidPropError(
      'policyVerificationKey',
      'is required with a remote policy bundle: the public key (PEM, or an SSM parameter holding it) its signature is checked with ' +
        '(allowUnsignedPolicyBundles: true accepts unsigned bundles, for tests only)',
    );
  }
  if (verificationKey !== undefined && allowUnsigned) {
    throw new InvalidPropError('allowUnsignedPolicyBundles', 'contradicts policyVerificationKey: give one or the other');
  }
  const verificationKeyId = optionalText('policyVerificationKeyId', props.policyVerificationKeyId);
  const verificationScope = optionalText('policyVerificationScope', props.policyVerificationScope);
  if ((verificationKeyId !== undefined || verificationScope !== undefined) && verificationKey === undefined) {
    throw new InvalidPropError(verificationKeyId !== undefined ? 'policyVerificationKeyId' : 'policyVerificationScope', 'needs policyVerificationKey');
  }

  let shadowLatencyBudgetMs: number | undefined;
  if (props.shadowLatencyBudget !== undefined) {
    if (shadow === undefined) throw new InvalidPropError('shadowLatencyBudget', 'applies only with a shadowBundleSource');
    shadowLatencyBudgetMs = props.shadowLatencyBudget.toMilliseconds();
    if (!Number.isInteger(shadowLatencyBudgetMs) || shadowLatencyBudgetMs < 1 || shadowLatencyBudgetMs > MAX_SHADOW_BUDGET_MS) {
      throw new InvalidPropError('shadowLatencyBudget', `must be a whole number of ms between 1 and ${MAX_SHADOW_BUDGET_MS}, got ${shadowLatencyBudgetMs} ms`);
    }
  }

  const createsBucket = [source, shadow].some((s) => s?.kind === 'bucket' && s.bucket === undefined);
  if (props.policyBucketEncryptionKey !== undefined && !createsBucket) {
    throw new InvalidPropError('policyBucketEncryptionKey', "applies only to the bucket the construct creates (a { kind: 'bucket' } source without bucket)");
  }
  return {
    source,
    shadow,
    minDelaySeconds,
    maxDelaySeconds,
    fallback,
    verificationKey,
    verificationKeyId,
    verificationScope,
    allowUnsigned,
    shadowLatencyBudgetMs,
    createsBucket,
    bucketEncryptionKey: props.policyBucketEncryptionKey,
  };
}

/** S3 keys become IAM resource ARNs: `*` and `?` would widen the grant. */
const S3_KEY = /^[A-Za-z0-9!\-_.'()/]{1,1024}$/;

function resolveBundleSource(prop: string, source: PolicyBundleSource, defaultKey: string): ResolvedBundleSource {
  const kind = (source as { kind?: unknown } | undefined)?.kind;
  switch (kind) {
    case 'packaged':
      return { kind: 'packaged' };
    case 'bucket': {
      const s = source as Extract<PolicyBundleSource, { kind: 'bucket' }>;
      const key = s.key ?? defaultKey;
      if (!isToken(key) && (!S3_KEY.test(key) || key.startsWith('/') || key.endsWith('/') || key.split('/').some((seg) => seg === '' || seg === '.' || seg === '..'))) {
        throw new InvalidPropError(
          prop,
          `key must be an S3 object key of letters, digits and !-_.'()/ without empty, "." or ".." segments (no * or ?, which would widen the read grant), got ${JSON.stringify(key)}`,
        );
      }
      return { kind: 'bucket', bucket: s.bucket, key };
    }
    case 'url': {
      const s = source as Extract<PolicyBundleSource, { kind: 'url' }>;
      return { kind: 'url', url: checkUrl(`${prop}`, s.url, { httpsOnly: true }) };
    }
    default:
      throw new InvalidPropError(prop, `kind must be 'packaged', 'bucket' or 'url', got ${JSON.stringify(kind)}`);
  }
}

function pollDelay(prop: string, field: string, value: Duration | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = value.toMilliseconds();
  if (ms % 1000 !== 0 || ms < 1000 || ms > MAX_POLL_DELAY_SECONDS * 1000) {
    throw new InvalidPropError(prop, `${field} must be a whole number of seconds between 1 and ${MAX_POLL_DELAY_SECONDS}, got ${ms / 1000} s`);
  }
  return ms / 1000;
}

function optionalText(prop: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '' || /[\u0000-\u001f]/.test(value)) {
    throw new InvalidPropError(prop, `must be a non-empty string without control characters, got ${JSON.stringify(value)}`);
  }
  return value;
}

function isStringParameter(value: unknown): value is IStringParameter {
  return typeof value === 'object' && value !== null && typeof (value as { parameterName?: unknown }).parameterName === 'string';
}

/** A PEM public key (RSA or EC) or an SSM parameter; a private key is refused before anything else is said about it. */
function checkVerificationKey(value: string | IStringParameter): ResolvedVerificationKey {
  if (isStringParameter(value)) return { kind: 'parameter', parameter: value };
  if (typeof value !== 'string') {
    throw new InvalidPropError('policyVerificationKey', 'must be a PEM public key or an ssm.IStringParameter');
  }
  if (isToken(value)) return { kind: 'pem', pem: value };
  if (/PRIVATE KEY/.test(value)) {
    throw new InvalidPropError(
      'policyVerificationKey',
      'is a PRIVATE key: give the public key only (the private key signs bundles where you publish them and must never reach the template or the functions)',
    );
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey({ key: value, format: 'pem' });
  } catch {
    throw new InvalidPropError('policyVerificationKey', 'is not a PEM public key (-----BEGIN PUBLIC KEY----- ...)');
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec') {
    throw new InvalidPropError('policyVerificationKey', `must be an RSA or EC public key, got ${String(key.asymmetricKeyType)}`);
  }
  if (value.length > MAX_INLINE_KEY_CHARS) {
    throw new InvalidPropError(
      'policyVerificationKey',
      `is ${value.length} characters; Lambda allows 4 KB of environment in all, so keys over ${MAX_INLINE_KEY_CHARS} belong in an SSM parameter (pass the ssm.IStringParameter)`,
    );
  }
  return { kind: 'pem', pem: value };
}

function isToken(value: string): boolean {
  return Token.isUnresolved(value);
}

function checkUrl(prop: string, value: string, opts: { httpsOnly: boolean }): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidPropError(prop, 'is required (an absolute URL)');
  }
  if (isToken(value)) return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidPropError(prop, `is not an absolute URL: ${value}`);
  }
  const allowed = opts.httpsOnly ? ['https:'] : ['https:', 'http:'];
  if (!allowed.includes(url.protocol)) {
    throw new InvalidPropError(prop, `must use ${allowed.join(' or ')}, got ${url.protocol}//`);
  }
  if (url.username || url.password) {
    throw new InvalidPropError(prop, 'must not embed credentials');
  }
  if (url.search || url.hash) {
    throw new InvalidPropError(prop, 'must not carry a query string or fragment');
  }
  return value;
}

function checkAudiences(value: string | readonly string[]): readonly string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw new InvalidPropError('oktaAudience', 'is required (one or more audiences, e.g. "api://default")');
  }
  for (const aud of list) {
    if (typeof aud !== 'string' || aud.trim() === '' || (!isToken(aud) && aud.includes(','))) {
      throw new InvalidPropError('oktaAudience', `each audience must be a non-empty string without commas, got ${JSON.stringify(aud)}`);
    }
  }
  return list;
}

function checkCidrs(ranges: readonly string[] | undefined): readonly string[] | undefined {
  if (ranges === undefined) return undefined;
  if (ranges.length === 0) {
    throw new InvalidPropError('allowedSourceIpRanges', 'is empty, which would block every caller; omit it to allow all sources');
  }
  for (const cidr of ranges) {
    if (!isCidr(cidr)) {
      throw new InvalidPropError('allowedSourceIpRanges', `not a CIDR range: ${JSON.stringify(cidr)} (expected e.g. 203.0.113.0/24 or 2001:db8::/32)`);
    }
  }
  return ranges;
}

export function isCidr(value: string): boolean {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (!match) return false;
  const family = net.isIP(match[1]);
  const bits = Number(match[2]);
  if (family === 4) return bits <= 32;
  if (family === 6) return bits <= 128;
  return false;
}

function checkPattern(prop: string, value: string, pattern: RegExp, expected: string): string {
  if (typeof value !== 'string' || (!isToken(value) && !pattern.test(value))) {
    throw new InvalidPropError(prop, `must be ${expected}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Exactly one policy source; a directory is compiled here, for the entrypoints the functions evaluate. */
function resolvePolicy(props: OpaAuthorizedApiProps, entrypoints: readonly string[]): PolicyBundleLocation {
  if (props.policyDirectory !== undefined && props.policyBundle !== undefined) {
    throw new InvalidPropError('policyDirectory', 'give either policyDirectory (Rego sources) or policyBundle (a built policy.wasm), not both');
  }
  if (props.policyDirectory !== undefined) return buildPolicyDirectory(props.policyDirectory, entrypoints);
  if (props.policyBundle !== undefined) return checkPolicyBundle(props.policyBundle);
  throw new InvalidPropError('policyDirectory', 'is required: a folder of Rego sources (or give policyBundle with a built policy.wasm)');
}

function checkMemory(prop: string, value: number): number {
  if (!Number.isInteger(value) || value < MIN_MEMORY_MB || value > MAX_MEMORY_MB) {
    throw new InvalidPropError(prop, `must be an integer number of MB between ${MIN_MEMORY_MB} and ${MAX_MEMORY_MB}, got ${value}`);
  }
  return value;
}
