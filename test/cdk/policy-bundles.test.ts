import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OpaAuthorizedApi } from '../../cdk/construct/opa-authorized-api';
import { definesLogMask, MASK_ENTRYPOINT, policyEntrypoints } from '../../cdk/construct/policy-source';
import type { OpaAuthorizedApiProps } from '../../cdk/construct/props';
import { InvalidPropError } from '../../cdk/errors';
import { OpaApiStack } from '../../cdk/stack';
import { makeTempPolicyBundle, resourcesOfType, synthWithoutBundling, testProps, type TempPolicyBundle } from './helpers';

const { publicKey: PUBLIC_PEM, privateKey: PRIVATE_PEM } = crypto.generateKeyPairSync('ec', {
  namedCurve: 'P-256',
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

let bundle: TempPolicyBundle;
beforeAll(() => {
  bundle = makeTempPolicyBundle();
});

type Env = Record<string, unknown>;

/** Environment of both functions (authorizer, claims proxy). */
function functionEnvs(template: Template): Env[] {
  return resourcesOfType(template, 'AWS::Lambda::Function').map(
    (f) => ((f.props.Environment as { Variables: Env } | undefined)?.Variables ?? {}),
  );
}

interface Statement { Action: string | string[]; Resource: unknown; Effect: string }

/** Every IAM statement attached to the role of the function whose logical id contains `fn`. */
function statementsOf(template: Template, fn: 'Authorizer' | 'ClaimsProxy'): Statement[] {
  return resourcesOfType(template, 'AWS::IAM::Policy')
    .filter((p) => p.id.includes(fn))
    .flatMap((p) => (p.props.PolicyDocument as { Statement: Statement[] }).Statement);
}

function actionsOf(statements: Statement[]): string[] {
  return statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

/** Logical id of the created policy bucket (the versioned one; the other receives its access logs). */
function policyBucketId(template: Template): string {
  const ids = resourcesOfType(template, 'AWS::S3::Bucket').filter((b) => b.props.VersioningConfiguration !== undefined).map((b) => b.id);
  if (ids.length !== 1) throw new Error(`expected one versioned bucket, got ${ids.join(', ')}`);
  return ids[0];
}

function nagFindings(stack: Stack): string[] {
  return new AwsSolutionsChecks().validateScope(stack).violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`);
}

describe('policy bucket created by the construct', () => {
  let template: Template;
  let stack: OpaApiStack;
  beforeAll(() => {
    ({ template, stack } = synthWithoutBundling(
      testProps(bundle, { policyBundleSource: { kind: 'bucket' }, policyVerificationKey: PUBLIC_PEM }),
    ));
  });

  test('is versioned, SSE-S3 encrypted, blocks all public access and logs access to a second bucket', () => {
    const buckets = resourcesOfType(template, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(2);
    const policyBucket = buckets.find((b) => b.id === policyBucketId(template));
    const logBucket = buckets.find((b) => b.id.includes('AccessLogs'));
    expect(policyBucket).toBeDefined();
    expect(logBucket).toBeDefined();
    expect(policyBucket?.props).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: { DestinationBucketName: { Ref: logBucket?.id } },
    });
    // Retained with the stack's audit logs (removalPolicy default RETAIN).
    const resources = template.toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
    expect(resources[policyBucket?.id ?? ''].DeletionPolicy).toBe('Retain');
  });

  test('both buckets refuse requests without TLS', () => {
    const policies = resourcesOfType(template, 'AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(2);
    for (const p of policies) {
      expect(p.props.PolicyDocument).toMatchObject({
        Statement: expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      });
    }
  });

  test('both functions poll s3://<bucket>/bundles/bundle.tar.gz with the verification key, default polling and no fallback', () => {
    const bucketId = policyBucketId(template);
    for (const env of functionEnvs(template)) {
      expect(env).toMatchObject({
        POLICY_BUNDLE_URL: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }, '/bundles/bundle.tar.gz']] },
        POLICY_VERIFICATION_KEY: PUBLIC_PEM,
        POLICY_BUNDLE_MIN_DELAY_SECONDS: '60',
        POLICY_BUNDLE_MAX_DELAY_SECONDS: '120',
        POLICY_BUNDLE_FALLBACK: 'none',
      });
      expect(env).not.toHaveProperty('POLICY_BUNDLE_ALLOW_UNSIGNED');
      expect(env).not.toHaveProperty('SHADOW_BUNDLE_URL');
      // The packaged policy still ships (its revision names it).
      expect(env).toHaveProperty('POLICY_REVISION');
    }
  });

  test('each function may only s3:GetObject the bundle key: no list, no write, no other object', () => {
    const bucketId = policyBucketId(template);
    for (const fn of ['Authorizer', 'ClaimsProxy'] as const) {
      const statements = statementsOf(template, fn);
      const s3 = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:')));
      expect(s3).toEqual([
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/bundles/bundle.tar.gz']] },
        },
      ]);
      expect(actionsOf(statements).filter((a) => a.startsWith('kms:') || a.startsWith('ssm:'))).toEqual([]);
    }
  });

  test('the stack outputs the bucket name and the bundle URL', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(['ApiUrl', 'PolicyBucketName', 'PolicyBundleUrl', 'PolicyRevision']);
    const bucketId = policyBucketId(template);
    expect(outputs.PolicyBucketName.Value).toEqual({ Ref: bucketId });
  });

  test('cdk-nag finds nothing; the one acknowledgment is the log bucket not logging itself', () => {
    expect(nagFindings(stack)).toEqual([]);
    const acks: string[] = [];
    for (const node of stack.node.findAll()) {
      if (!node.node.path.includes('PolicyBucket')) continue;
      for (const entry of node.node.metadata) {
        if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && entry.data) acks.push(...Object.keys(entry.data as object));
      }
    }
    expect(acks.map((a) => a.replace(/^annotation::/i, '')).filter((a) => a.startsWith('AwsSolutions-'))).toEqual(['AwsSolutions-S1']);
  });
});

describe('bundle source variants', () => {
  test('packaged (the default) adds no bucket, no bundle variables and no S3 permission', () => {
    const { template } = synthWithoutBundling(testProps(bundle));
    expect(resourcesOfType(template, 'AWS::S3::Bucket')).toEqual([]);
    for (const env of functionEnvs(template)) {
      expect(Object.keys(env).filter((k) => k.startsWith('POLICY_BUNDLE') || k.startsWith('POLICY_VERIFICATION') || k.startsWith('SHADOW'))).toEqual([]);
    }
    expect(actionsOf([...statementsOf(template, 'Authorizer'), ...statementsOf(template, 'ClaimsProxy')]).filter((a) => a.startsWith('s3:'))).toEqual([]);
  });

  test('a KMS-encrypted created bucket grants kms:Decrypt on that key and stays nag-clean', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Kms');
    const key = new Key(stack, 'BundleKey', { enableKeyRotation: true });
    new OpaAuthorizedApi(stack, 'Api', testProps(bundle, {
      policyBundleSource: { kind: 'bucket' }, policyVerificationKey: PUBLIC_PEM, policyBucketEncryptionKey: key,
    }));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } })] },
    });
    for (const fn of ['Authorizer', 'ClaimsProxy'] as const) {
      const kms = statementsOf(template, fn).filter((s) => actionsOf([s]).some((a) => a.startsWith('kms:')));
      expect(actionsOf(kms)).toEqual(['kms:Decrypt']);
      expect(kms[0].Resource).toEqual({ 'Fn::GetAtt': [expect.stringContaining('BundleKey'), 'Arn'] });
    }
    expect(nagFindings(stack)).toEqual([]);
  });

  test('an imported bucket and key: no bucket is created, GetObject on that key, no output of a bucket name', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new OpaApiStack(app, 'Imported', {
      api: testProps(bundle, {
        policyBundleSource: { kind: 'bucket', bucket: Bucket.fromBucketName(new Stack(app, 'Other'), 'B', 'acme-policies'), key: 'prod/authz.tar.gz' },
        policyVerificationKey: PUBLIC_PEM,
      }),
    });
    const template = Template.fromStack(stack);
    expect(resourcesOfType(template, 'AWS::S3::Bucket')).toEqual([]);
    for (const env of functionEnvs(template)) expect(env.POLICY_BUNDLE_URL).toBe('s3://acme-policies/prod/authz.tar.gz');
    const s3 = statementsOf(template, 'Authorizer').filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:')));
    expect(s3).toHaveLength(1);
    expect(s3[0].Action).toBe('s3:GetObject');
    expect(JSON.stringify(s3[0].Resource)).toContain(':s3:::acme-policies/prod/authz.tar.gz');
    const outputs = Object.keys(template.toJSON().Outputs as object).sort();
    expect(outputs).toEqual(['ApiUrl', 'PolicyBundleUrl', 'PolicyRevision']);
  });

  test('a URL source with an SSM verification key: ssm:GetParameter on that parameter, no S3 access', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Url');
    const parameter = StringParameter.fromStringParameterName(stack, 'Pub', '/acme/policy/public-key');
    new OpaAuthorizedApi(stack, 'Api', testProps(bundle, {
      policyBundleSource: { kind: 'url', url: 'https://bundles.acme.example/authz/bundle.tar.gz' },
      policyVerificationKey: parameter,
      policyVerificationKeyId: 'acme-2026',
      policyVerificationScope: 'write',
      policyBundleFallback: 'packaged',
      policyBundlePolling: { minDelay: Duration.seconds(10), maxDelay: Duration.seconds(30) },
      shadowBundleSource: { kind: 'url', url: 'https://bundles.acme.example/authz/candidate.tar.gz' },
      shadowLatencyBudget: Duration.millis(5),
    }));
    const template = Template.fromStack(stack);
    for (const env of functionEnvs(template)) {
      expect(env).toMatchObject({
        POLICY_BUNDLE_URL: 'https://bundles.acme.example/authz/bundle.tar.gz',
        POLICY_VERIFICATION_KEY_PARAMETER: '/acme/policy/public-key',
        POLICY_VERIFICATION_KEY_ID: 'acme-2026',
        POLICY_VERIFICATION_SCOPE: 'write',
        POLICY_BUNDLE_FALLBACK: 'packaged',
        POLICY_BUNDLE_MIN_DELAY_SECONDS: '10',
        POLICY_BUNDLE_MAX_DELAY_SECONDS: '30',
        SHADOW_BUNDLE_URL: 'https://bundles.acme.example/authz/candidate.tar.gz',
        SHADOW_LATENCY_BUDGET_MS: '5',
      });
      expect(env).not.toHaveProperty('POLICY_VERIFICATION_KEY');
    }
    for (const fn of ['Authorizer', 'ClaimsProxy'] as const) {
      const statements = statementsOf(template, fn);
      expect(actionsOf(statements).filter((a) => a.startsWith('s3:'))).toEqual([]);
      const ssm = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('ssm:')));
      expect(ssm).toHaveLength(1);
      expect(actionsOf(ssm)).not.toContain('ssm:PutParameter');
      expect(JSON.stringify(ssm[0].Resource)).toContain(':parameter/acme/policy/public-key');
    }
  });

  test('a shadow bundle in the created bucket gets its own key and its own GetObject grant', () => {
    const { template } = synthWithoutBundling(testProps(bundle, {
      policyBundleSource: { kind: 'bucket' },
      shadowBundleSource: { kind: 'bucket' },
      policyVerificationKey: PUBLIC_PEM,
    }));
    const bucketId = policyBucketId(template);
    for (const env of functionEnvs(template)) {
      expect(env.SHADOW_BUNDLE_URL).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: bucketId }, '/bundles/shadow.tar.gz']] });
    }
    const resources = statementsOf(template, 'Authorizer')
      .filter((s) => s.Action === 's3:GetObject')
      .map((s) => JSON.stringify(s.Resource));
    expect(resources.sort()).toEqual([
      expect.stringContaining('/bundles/bundle.tar.gz'),
      expect.stringContaining('/bundles/shadow.tar.gz'),
    ]);
  });

  test('allowUnsignedPolicyBundles sets POLICY_BUNDLE_ALLOW_UNSIGNED and no key', () => {
    const { template } = synthWithoutBundling(testProps(bundle, { policyBundleSource: { kind: 'bucket' }, allowUnsignedPolicyBundles: true }));
    for (const env of functionEnvs(template)) {
      expect(env.POLICY_BUNDLE_ALLOW_UNSIGNED).toBe('true');
      expect(env).not.toHaveProperty('POLICY_VERIFICATION_KEY');
    }
  });
});

describe('bundle prop validation names the prop', () => {
  function rejected(overrides: Partial<OpaAuthorizedApiProps>): InvalidPropError {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    try {
      new OpaAuthorizedApi(new Stack(app, 'S'), 'Api', testProps(bundle, overrides));
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidPropError);
      return error as InvalidPropError;
    }
    throw new Error('expected InvalidPropError');
  }
  const bucket = { kind: 'bucket' } as const;

  test.each<[string, Partial<OpaAuthorizedApiProps>, string, RegExp]>([
    ['remote source without a key', { policyBundleSource: bucket }, 'policyVerificationKey', /is required with a remote policy bundle/],
    ['shadow without a key', { shadowBundleSource: bucket }, 'policyVerificationKey', /is required/],
    ['a private key', { policyBundleSource: bucket, policyVerificationKey: PRIVATE_PEM }, 'policyVerificationKey', /PRIVATE key: give the public key only/],
    ['not a PEM', { policyBundleSource: bucket, policyVerificationKey: 'ssh-rsa AAAA' }, 'policyVerificationKey', /not a PEM public key/],
    ['key and unsigned', { policyBundleSource: bucket, policyVerificationKey: PUBLIC_PEM, allowUnsignedPolicyBundles: true }, 'allowUnsignedPolicyBundles', /contradicts/],
    ['http bundle service', { policyBundleSource: { kind: 'url', url: 'http://bundles.acme.example/b.tar.gz' }, policyVerificationKey: PUBLIC_PEM }, 'policyBundleSource', /https/],
    ['credentials in the URL', { policyBundleSource: { kind: 'url', url: 'https://u:p@bundles.acme.example/b.tar.gz' }, policyVerificationKey: PUBLIC_PEM }, 'policyBundleSource', /credentials/],
    ['a wildcard key', { policyBundleSource: { kind: 'bucket', key: 'bundles/*' }, policyVerificationKey: PUBLIC_PEM }, 'policyBundleSource', /widen the read grant/],
    ['a key with ..', { policyBundleSource: { kind: 'bucket', key: 'a/../b.tar.gz' }, policyVerificationKey: PUBLIC_PEM }, 'policyBundleSource', /segments/],
    ['an unknown kind', { policyBundleSource: { kind: 'ftp' } as unknown as OpaAuthorizedApiProps['policyBundleSource'] }, 'policyBundleSource', /kind must be/],
    ['min delay above max', { policyBundleSource: bucket, policyVerificationKey: PUBLIC_PEM, policyBundlePolling: { minDelay: Duration.seconds(30), maxDelay: Duration.seconds(10) } }, 'policyBundlePolling', /must not be shorter than minDelay/],
    ['sub-second delay', { policyBundleSource: bucket, policyVerificationKey: PUBLIC_PEM, policyBundlePolling: { minDelay: Duration.millis(500) } }, 'policyBundlePolling', /whole number of seconds/],
    ['polling with the packaged policy', { policyBundlePolling: { minDelay: Duration.seconds(5) } }, 'policyBundlePolling', /only to a remote policy/],
    ['fallback with the packaged policy', { policyBundleFallback: 'packaged' }, 'policyBundleFallback', /only to a remote/],
    ['an unknown fallback', { policyBundleSource: bucket, policyVerificationKey: PUBLIC_PEM, policyBundleFallback: 'allow' as 'none' }, 'policyBundleFallback', /'packaged' or 'none'/],
    ['a packaged shadow', { policyBundleSource: bucket, policyVerificationKey: PUBLIC_PEM, shadowBundleSource: { kind: 'packaged' } }, 'shadowBundleSource', /bucket or url/],
    ['shadow = enforced object', { policyBundleSource: bucket, policyVerificationKey: PUBLIC_PEM, shadowBundleSource: { kind: 'bucket', key: 'bundles/bundle.tar.gz' } }, 'shadowBundleSource', /same object/],
    ['budget without shadow', { policyBundleSource: bucket, policyVerificationKey: PUBLIC_PEM, shadowLatencyBudget: Duration.millis(5) }, 'shadowLatencyBudget', /only with a shadowBundleSource/],
    ['budget too large', { policyBundleSource: bucket, policyVerificationKey: PUBLIC_PEM, shadowBundleSource: { kind: 'bucket' }, shadowLatencyBudget: Duration.seconds(5) }, 'shadowLatencyBudget', /between 1 and 1000/],
    ['key id without key', { policyBundleSource: bucket, allowUnsignedPolicyBundles: true, policyVerificationKeyId: 'k1' }, 'policyVerificationKeyId', /needs policyVerificationKey/],
  ])('%s', (_name, overrides, prop, reason) => {
    const error = rejected(overrides);
    expect(error.prop).toBe(prop);
    expect(error.message).toMatch(reason);
    // A rejected private key is never echoed back.
    expect(error.message).not.toContain(PRIVATE_PEM.split('\n')[1]);
  });

  test('a KMS key without a created bucket', () => {
    const app = new App();
    const key = new Key(new Stack(app, 'K'), 'Key');
    const error = rejected({ policyBundleSource: { kind: 'url', url: 'https://b.acme.example/b.tar.gz' }, policyVerificationKey: PUBLIC_PEM, policyBucketEncryptionKey: key });
    expect(error.prop).toBe('policyBucketEncryptionKey');
  });
});

describe('the decision-log mask entrypoint', () => {
  test('is added when a (non-test) module is package system.log, and only then', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mask-'));
    try {
      fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ entrypoints: ['acme/authz/decision'] }));
      fs.writeFileSync(path.join(dir, 'authz.rego'), 'package acme.authz\n\ndecision := true\n');
      fs.writeFileSync(path.join(dir, 'log_test.rego'), 'package system.log\n\ntest_x if true\n');
      expect(definesLogMask(dir)).toBe(false);
      expect(policyEntrypoints(dir)).toEqual(['acme/authz/decision']);
      fs.mkdirSync(path.join(dir, 'system'));
      fs.writeFileSync(path.join(dir, 'system', 'log.rego'), '# masking\npackage system.log\n\nmask contains "/input/token"\n');
      expect(definesLogMask(dir)).toBe(true);
      expect(policyEntrypoints(dir)).toEqual(['acme/authz/decision', MASK_ENTRYPOINT]);
      expect(policyEntrypoints(dir, ['a/b', MASK_ENTRYPOINT])).toEqual(['a/b', MASK_ENTRYPOINT]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
