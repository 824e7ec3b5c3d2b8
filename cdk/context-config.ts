import * as fs from 'node:fs';
import { Duration } from 'aws-cdk-lib';
import { Period } from 'aws-cdk-lib/aws-apigateway';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ContextValueError } from './errors';
import { REPO_POLICY_DIR } from './repo-paths';
import type { LogLevel, OpaAuthorizedApiProps, PolicyBundleLocation, PolicyBundleSource } from './construct/props';

/**
 * Context keys the app reads (`cdk deploy -c key=value` or cdk.json "context").
 * Values given on the command line arrive as strings; cdk.json may use JSON
 * numbers and booleans. Only the first three are required.
 */
export const CONTEXT_KEYS = {
  oktaIssuer: 'required: Okta authorization server issuer (https://<tenant>.okta.com/oauth2/<server>)',
  oktaAudience: 'required: accepted audience(s), comma-separated (e.g. api://default)',
  backendUrl: 'required: base URL of the protected backend (https)',
  oktaJwksUri: 'JWKS URI (default <issuer>/v1/keys)',
  allowInsecureBackend: 'true to allow an http:// backend (default false)',
  backendTimeoutMs: 'backend timeout in ms (default 3000, max 25000)',
  authorizerCacheTtlSeconds: 'authorizer result cache TTL in s (default 300, 0 disables, max 3600)',
  throttlingRateLimit: 'stage rate limit in requests/s (default 100)',
  throttlingBurstLimit: 'stage burst limit (default 200)',
  apiKeyRequired: 'true to require an API key + usage plan (default false)',
  apiKeyQuotaLimit: 'usage-plan quota: requests per period (default 10000)',
  apiKeyQuotaPeriod: 'usage-plan quota period: DAY, WEEK or MONTH (default DAY)',
  allowedSourceIpRanges: 'comma-separated CIDR ranges allowed to call the API (default: any)',
  logRetentionDays: 'log retention in days, one of CloudWatch\'s values (default 90)',
  policyDir: 'folder of Rego sources compiled at synth (default policies/ of this repository)',
  policyWasmFile: 'prebuilt policy.wasm to deploy instead of compiling policyDir',
  policyDataFile: 'policy data JSON shipped with policyWasmFile',
  requestEntrypoint: 'request policy entrypoint (default acme/authz/decision)',
  responseEntrypoint: 'response policy entrypoint (default acme/filter/response)',
  stageName: 'stage name (default prod)',
  logLevel: 'function log level: debug, info, warn, error (default info)',
  tracingEnabled: 'false to turn X-Ray tracing off (default true)',
  webAclArn: 'regional WAFv2 web ACL ARN to associate (default none)',
  cloudWatchRole: 'false if the account already has an API Gateway CloudWatch role (default true)',
  stackName: 'CloudFormation stack name (default OpaAuthorizedApi)',
  policyBundleSource: 'where the functions get the policy at run time: packaged (default), bucket (a created policy bucket) or an https:// bundle service URL',
  policyVerificationKeyFile: 'PEM public key file remote bundles must be signed with (required with a remote policyBundleSource)',
  policyBundleFallback: 'packaged or none (default none): what serves at cold start with no good remote bundle',
  policyBundleMinDelaySeconds: 'bundle polling: shortest delay between checks in s (default 60)',
  policyBundleMaxDelaySeconds: 'bundle polling: longest delay between checks in s (default 120)',
} as const;

export type ContextKey = keyof typeof CONTEXT_KEYS;

/**
 * Example values used ONLY by `npm run synth` when no tenant is given, so that
 * CI can synthesise and nag-check the stack offline. `cdk deploy` (cdk/app.ts)
 * never falls back to them.
 */
export const EXAMPLE_CONTEXT: Readonly<Record<'oktaIssuer' | 'oktaAudience' | 'backendUrl', string>> = {
  oktaIssuer: 'https://example.okta.com/oauth2/default',
  oktaAudience: 'api://default',
  backendUrl: 'https://claims-backend.example.com',
};

export const DEFAULT_STACK_NAME = 'OpaAuthorizedApi';

export interface AppConfig {
  readonly stackName: string;
  readonly props: OpaAuthorizedApiProps;
}

type ContextReader = (key: string) => unknown;

/** Map context values to construct props. Throws `ContextValueError` naming the key. */
export function configFromContext(read: ContextReader): AppConfig {
  const str = (key: ContextKey): string | undefined => {
    const value = read(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string') return value.trim();
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new ContextValueError(key, `expected a string, got ${JSON.stringify(value)}`);
  };
  const required = (key: ContextKey): string => {
    const value = str(key);
    if (value === undefined) throw new ContextValueError(key, `is required: ${CONTEXT_KEYS[key].replace(/^required: /, '')}`);
    return value;
  };
  const list = (key: ContextKey): string[] | undefined => {
    const value = str(key);
    return value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  };
  const int = (key: ContextKey): number | undefined => {
    const value = str(key);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new ContextValueError(key, `expected a non-negative integer, got ${JSON.stringify(value)}`);
    return Number(value);
  };
  const num = (key: ContextKey): number | undefined => {
    const value = str(key);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n)) throw new ContextValueError(key, `expected a number, got ${JSON.stringify(value)}`);
    return n;
  };
  const bool = (key: ContextKey): boolean | undefined => {
    const value = str(key);
    if (value === undefined) return undefined;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw new ContextValueError(key, `expected true or false, got ${JSON.stringify(value)}`);
  };

  const backendTimeoutMs = int('backendTimeoutMs');
  const cacheTtl = int('authorizerCacheTtlSeconds');
  const quotaLimit = int('apiKeyQuotaLimit');
  const quotaPeriod = str('apiKeyQuotaPeriod');
  const retention = int('logRetentionDays');
  const logLevel = str('logLevel');
  const wasmFile = str('policyWasmFile');
  const dataFile = str('policyDataFile');
  const policyDir = str('policyDir');

  if (retention !== undefined && !(Object.values(RetentionDays) as number[]).includes(retention)) {
    throw new ContextValueError('logRetentionDays', `${retention} is not a CloudWatch Logs retention value (e.g. 1, 7, 30, 90, 365)`);
  }
  let period: Period | undefined;
  if (quotaPeriod !== undefined) {
    const periods: Record<string, Period> = { DAY: Period.DAY, WEEK: Period.WEEK, MONTH: Period.MONTH };
    period = periods[quotaPeriod.toUpperCase()];
    if (period === undefined) throw new ContextValueError('apiKeyQuotaPeriod', `expected DAY, WEEK or MONTH, got ${JSON.stringify(quotaPeriod)}`);
  }
  if (dataFile !== undefined && wasmFile === undefined) {
    throw new ContextValueError('policyWasmFile', 'is required when policyDataFile is given (they form one bundle)');
  }
  if (policyDir !== undefined && wasmFile !== undefined) {
    throw new ContextValueError('policyDir', 'give either policyDir (Rego sources) or policyWasmFile (a built policy), not both');
  }
  const policyBundle: PolicyBundleLocation | undefined = wasmFile === undefined ? undefined : { wasmFile, dataFile };

  const sourceValue = str('policyBundleSource');
  let policyBundleSource: PolicyBundleSource | undefined;
  if (sourceValue === undefined || sourceValue === 'packaged') policyBundleSource = sourceValue === undefined ? undefined : { kind: 'packaged' };
  else if (sourceValue === 'bucket') policyBundleSource = { kind: 'bucket' };
  else if (sourceValue.startsWith('https://')) policyBundleSource = { kind: 'url', url: sourceValue };
  else throw new ContextValueError('policyBundleSource', `expected packaged, bucket or an https:// URL, got ${JSON.stringify(sourceValue)}`);
  const keyFile = str('policyVerificationKeyFile');
  let policyVerificationKey: string | undefined;
  if (keyFile !== undefined) {
    try {
      policyVerificationKey = fs.readFileSync(keyFile, 'utf8');
    } catch (error) {
      throw new ContextValueError('policyVerificationKeyFile', `cannot read ${keyFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const fallback = str('policyBundleFallback');
  if (fallback !== undefined && fallback !== 'packaged' && fallback !== 'none') {
    throw new ContextValueError('policyBundleFallback', `expected packaged or none, got ${JSON.stringify(fallback)}`);
  }
  const minDelay = int('policyBundleMinDelaySeconds');
  const maxDelay = int('policyBundleMaxDelaySeconds');
  const policyDirectory = wasmFile === undefined ? (policyDir ?? REPO_POLICY_DIR) : undefined;

  const props: OpaAuthorizedApiProps = {
    oktaIssuer: required('oktaIssuer'),
    oktaAudience: list('oktaAudience') ?? required('oktaAudience'),
    oktaJwksUri: str('oktaJwksUri'),
    backendUrl: required('backendUrl'),
    allowInsecureBackend: bool('allowInsecureBackend'),
    backendTimeout: backendTimeoutMs === undefined ? undefined : Duration.millis(backendTimeoutMs),
    authorizerCacheTtl: cacheTtl === undefined ? undefined : Duration.seconds(cacheTtl),
    throttlingRateLimit: num('throttlingRateLimit'),
    throttlingBurstLimit: int('throttlingBurstLimit'),
    apiKeyRequired: bool('apiKeyRequired'),
    apiKeyQuota:
      quotaLimit === undefined && period === undefined
        ? undefined
        : { limit: quotaLimit ?? 10_000, period: period ?? Period.DAY },
    allowedSourceIpRanges: list('allowedSourceIpRanges'),
    logRetention: retention as RetentionDays | undefined,
    policyDirectory,
    policyBundle,
    requestEntrypoint: str('requestEntrypoint'),
    responseEntrypoint: str('responseEntrypoint'),
    stageName: str('stageName'),
    logLevel: logLevel as LogLevel | undefined,
    tracingEnabled: bool('tracingEnabled'),
    webAclArn: str('webAclArn'),
    cloudWatchRole: bool('cloudWatchRole'),
    policyBundleSource,
    policyVerificationKey,
    policyBundleFallback: fallback,
    policyBundlePolling:
      minDelay === undefined && maxDelay === undefined
        ? undefined
        : {
            minDelay: minDelay === undefined ? undefined : Duration.seconds(minDelay),
            maxDelay: maxDelay === undefined ? undefined : Duration.seconds(maxDelay),
          },
  };
  return { stackName: str('stackName') ?? DEFAULT_STACK_NAME, props };
}
