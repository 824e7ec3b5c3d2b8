import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ResolvedBundleSource, ResolvedPolicyBundles } from './validate-props';

/**
 * The bucket the construct creates for policy bundles when a source is
 * `{ kind: 'bucket' }` without a bucket: versioned (a bad publish can be
 * rolled back to any earlier version), SSE-S3 or the given KMS key,
 * SSL-only, all public access blocked, objects owned by the bucket owner
 * (no ACLs), server access logs to a second bucket that keeps them for
 * audit.
 */
export class PolicyBucket extends Construct {
  readonly bucket: Bucket;
  /** Receives the policy bucket's S3 server access logs. */
  readonly accessLogsBucket: Bucket;

  constructor(scope: Construct, id: string, props: { readonly bundles: ResolvedPolicyBundles; readonly removalPolicy: RemovalPolicy }) {
    super(scope, id);
    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket is the destination of the policy bucket\'s server access logs; logging it into itself (or a third bucket) ' +
        'would record only S3\'s own log deliveries. It is SSL-only, encrypted and blocks all public access.',
    });
    const kms = props.bundles.bucketEncryptionKey;
    this.bucket = new Bucket(this, 'Bucket', {
      versioned: true,
      encryption: kms !== undefined ? BucketEncryption.KMS : BucketEncryption.S3_MANAGED,
      encryptionKey: kms,
      bucketKeyEnabled: kms !== undefined ? true : undefined,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'policy-bucket/',
      removalPolicy: props.removalPolicy,
    });
  }
}

/** `s3://bucket/key` or the bundle service URL, as the functions read `POLICY_BUNDLE_URL`. */
export function bundleUrl(source: ResolvedBundleSource, created: IBucket | undefined): string | undefined {
  switch (source.kind) {
    case 'packaged':
      return undefined;
    case 'url':
      return source.url;
    case 'bucket': {
      const bucket = source.bucket ?? created;
      if (bucket === undefined) throw new Error('internal: a bucket source without a bucket and no created bucket');
      return `s3://${bucket.bucketName}/${source.key}`;
    }
  }
}

/** The functions' environment for the bundle props (the contract in functions/README.md). */
export function policyBundleEnvironment(bundles: ResolvedPolicyBundles, created: IBucket | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  const url = bundleUrl(bundles.source, created);
  const shadow = bundles.shadow === undefined ? undefined : bundleUrl(bundles.shadow, created);
  if (url === undefined && shadow === undefined) return env;
  if (url !== undefined) {
    env.POLICY_BUNDLE_URL = url;
    env.POLICY_BUNDLE_FALLBACK = bundles.fallback;
  }
  env.POLICY_BUNDLE_MIN_DELAY_SECONDS = String(bundles.minDelaySeconds);
  env.POLICY_BUNDLE_MAX_DELAY_SECONDS = String(bundles.maxDelaySeconds);
  const key = bundles.verificationKey;
  if (key?.kind === 'pem') env.POLICY_VERIFICATION_KEY = key.pem;
  if (key?.kind === 'parameter') env.POLICY_VERIFICATION_KEY_PARAMETER = key.parameter.parameterName;
  if (bundles.verificationKeyId !== undefined) env.POLICY_VERIFICATION_KEY_ID = bundles.verificationKeyId;
  if (bundles.verificationScope !== undefined) env.POLICY_VERIFICATION_SCOPE = bundles.verificationScope;
  if (bundles.allowUnsigned) env.POLICY_BUNDLE_ALLOW_UNSIGNED = 'true';
  if (shadow !== undefined) env.SHADOW_BUNDLE_URL = shadow;
  if (bundles.shadowLatencyBudgetMs !== undefined) env.SHADOW_LATENCY_BUDGET_MS = String(bundles.shadowLatencyBudgetMs);
  return env;
}

/**
 * Read-only access for one function: `s3:GetObject` on exactly the bundle
 * objects it polls (no List, no Put, no other key), `kms:Decrypt` on the
 * bucket's key when it has one, `ssm:GetParameter` on the verification key
 * parameter.
 */
export function grantBundleRead(role: IRole, bundles: ResolvedPolicyBundles, created: IBucket | undefined): void {
  for (const source of [bundles.source, bundles.shadow]) {
    if (source?.kind !== 'bucket') continue;
    const bucket = source.bucket ?? created;
    if (bucket === undefined) continue;
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(source.key)] }));
    bucket.encryptionKey?.grantDecrypt(role);
  }
  if (bundles.verificationKey?.kind === 'parameter') bundles.verificationKey.parameter.grantRead(role);
}
