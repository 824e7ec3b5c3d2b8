import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Period } from 'aws-cdk-lib/aws-apigateway';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { configFromContext, DEFAULT_STACK_NAME } from '../../cdk/context-config';
import { REPO_POLICY_DIR } from '../../cdk/repo-paths';
import { ContextValueError } from '../../cdk/errors';

const REQUIRED = {
  oktaIssuer: 'https://acme.okta.com/oauth2/default',
  oktaAudience: 'api://default',
  backendUrl: 'https://claims.acme.example',
};

const reader = (values: Record<string, unknown>) => (key: string) => values[key];

function expectContextError(values: Record<string, unknown>, key: string, reason: RegExp): void {
  let caught: unknown;
  try {
    configFromContext(reader(values));
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ContextValueError);
  expect((caught as ContextValueError).key).toBe(key);
  expect((caught as ContextValueError).message).toMatch(reason);
  expect((caught as ContextValueError).message).toContain(`-c ${key}=`);
}

describe('context values (-c key=value) become construct props', () => {
  test('only the tenant and backend are required; everything else keeps the construct defaults', () => {
    const config = configFromContext(reader(REQUIRED));
    expect(config.stackName).toBe(DEFAULT_STACK_NAME);
    expect(config.props.policyDirectory).toBe(REPO_POLICY_DIR);
    expect(config.props.oktaIssuer).toBe(REQUIRED.oktaIssuer);
    expect(config.props.oktaAudience).toEqual(['api://default']);
    expect(config.props.backendUrl).toBe(REQUIRED.backendUrl);
    const unset = Object.entries(config.props).filter(([, v]) => v !== undefined).map(([k]) => k).sort();
    expect(unset).toEqual(['backendUrl', 'oktaAudience', 'oktaIssuer', 'policyDirectory']);
  });

  test.each(['oktaIssuer', 'oktaAudience', 'backendUrl'])('a missing %s is an error that shows the -c flag', (key) => {
    const values: Record<string, unknown> = { ...REQUIRED };
    delete values[key];
    expectContextError(values, key, /is required: (?!required)/);
  });

  test('command-line strings are parsed into typed props', () => {
    const config = configFromContext(
      reader({
        ...REQUIRED,
        oktaAudience: 'api://claims, api://default',
        backendTimeoutMs: '8000',
        authorizerCacheTtlSeconds: '0',
        throttlingRateLimit: '12.5',
        throttlingBurstLimit: '40',
        apiKeyRequired: 'true',
        apiKeyQuotaLimit: '500',
        apiKeyQuotaPeriod: 'week',
        allowedSourceIpRanges: '203.0.113.0/24,198.51.100.0/24',
        logRetentionDays: '365',
        policyWasmFile: '/tmp/p.wasm',
        policyDataFile: '/tmp/d.json',
        tracingEnabled: 'false',
        stackName: 'AcmeClaimsApi',
        logLevel: 'debug',
      }),
    );
    const p = config.props;
    expect(config.stackName).toBe('AcmeClaimsApi');
    expect(config.props.policyDirectory).toBeUndefined();
    expect(p.oktaAudience).toEqual(['api://claims', 'api://default']);
    expect((p.backendTimeout as Duration).toMilliseconds()).toBe(8000);
    expect((p.authorizerCacheTtl as Duration).toSeconds()).toBe(0);
    expect(p.throttlingRateLimit).toBe(12.5);
    expect(p.throttlingBurstLimit).toBe(40);
    expect(p.apiKeyRequired).toBe(true);
    expect(p.apiKeyQuota).toEqual({ limit: 500, period: Period.WEEK });
    expect(p.allowedSourceIpRanges).toEqual(['203.0.113.0/24', '198.51.100.0/24']);
    expect(p.logRetention).toBe(RetentionDays.ONE_YEAR);
    expect(p.policyBundle).toEqual({ wasmFile: '/tmp/p.wasm', dataFile: '/tmp/d.json' });
    expect(p.tracingEnabled).toBe(false);
    expect(p.logLevel).toBe('debug');
  });

  test('cdk.json may use JSON numbers and booleans', () => {
    const config = configFromContext(reader({ ...REQUIRED, apiKeyRequired: true, backendTimeoutMs: 5000 }));
    expect(config.props.apiKeyRequired).toBe(true);
    expect((config.props.backendTimeout as Duration).toMilliseconds()).toBe(5000);
  });

  test.each<[string, Record<string, unknown>, string, RegExp]>([
    ['non-numeric timeout', { backendTimeoutMs: '3s' }, 'backendTimeoutMs', /non-negative integer/],
    ['boolean typo', { apiKeyRequired: 'yes' }, 'apiKeyRequired', /true or false/],
    ['unknown quota period', { apiKeyQuotaPeriod: 'YEAR' }, 'apiKeyQuotaPeriod', /DAY, WEEK or MONTH/],
    ['retention CloudWatch does not offer', { logRetentionDays: '42' }, 'logRetentionDays', /not a CloudWatch Logs retention value/],
    ['data file without wasm', { policyDataFile: '/tmp/d.json' }, 'policyWasmFile', /required when policyDataFile/],
    ['object where a string belongs', { stageName: { name: 'prod' } }, 'stageName', /expected a string/],
  ])('%s is rejected naming the key', (_name, extra, key, reason) => {
    expectContextError({ ...REQUIRED, ...extra }, key, reason);
  });
});

describe('policy bundle context values', () => {
  test('bucket + a public key file + polling + fallback become the bundle props', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctx-key-'));
    try {
      const keyFile = path.join(dir, 'pub.pem');
      fs.writeFileSync(keyFile, '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n');
      const { props } = configFromContext(reader({
        ...REQUIRED,
        policyBundleSource: 'bucket',
        policyVerificationKeyFile: keyFile,
        policyBundleFallback: 'packaged',
        policyBundleMinDelaySeconds: '10',
        policyBundleMaxDelaySeconds: 30,
      }));
      expect(props.policyBundleSource).toEqual({ kind: 'bucket' });
      expect(props.policyVerificationKey).toBe(fs.readFileSync(keyFile, 'utf8'));
      expect(props.policyBundleFallback).toBe('packaged');
      expect(props.policyBundlePolling?.minDelay?.toSeconds()).toBe(10);
      expect(props.policyBundlePolling?.maxDelay?.toSeconds()).toBe(30);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an https:// value is a bundle service URL; packaged is the default', () => {
    expect(configFromContext(reader({ ...REQUIRED, policyBundleSource: 'https://b.acme.example/b.tar.gz' })).props.policyBundleSource)
      .toEqual({ kind: 'url', url: 'https://b.acme.example/b.tar.gz' });
    expect(configFromContext(reader({ ...REQUIRED, policyBundleSource: 'packaged' })).props.policyBundleSource).toEqual({ kind: 'packaged' });
  });

  test.each<[string, Record<string, unknown>, string, RegExp]>([
    ['an s3:// source (the app creates the bucket; import one through the construct)', { policyBundleSource: 's3://b/k' }, 'policyBundleSource', /packaged, bucket or an https/],
    ['an unknown fallback', { policyBundleFallback: 'allow' }, 'policyBundleFallback', /packaged or none/],
    ['an unreadable key file', { policyVerificationKeyFile: '/nonexistent/key.pem' }, 'policyVerificationKeyFile', /cannot read/],
    ['a fractional delay', { policyBundleMinDelaySeconds: '1.5' }, 'policyBundleMinDelaySeconds', /non-negative integer/],
  ])('%s is refused', (_name, values, key, reason) => {
    expectContextError({ ...REQUIRED, ...values }, key, reason);
  });
});
