/**
 * The local stack's policy delivery, the same mechanism as a deployment:
 * the bundle service (s3rver, local/bundle-service.ts), a signing key, the
 * first signed bundle published before the functions start, and the
 * functions' environment pointing them at it (POLICY_BUNDLE_URL=s3://…,
 * POLICY_BUNDLE_S3_ENDPOINT, the public key, short polling delays).
 * A variable already set in the environment wins (local/functions-env.ts),
 * so tests can point the functions at a dead endpoint or allow the fallback.
 */
import { buildPolicyBundle } from '../scripts/publish/build-bundle';
import { s3Client, uploadBundle, type UploadResult } from '../scripts/publish/s3-upload';
import {
  BUNDLE_KEY, BUNDLE_SERVICE_CREDENTIALS, SHADOW_KEY, localSigningKey, startBundleService, type BundleService, type SigningKeyPair,
} from './bundle-service';

/** Polling delays of the local functions (deployed default: 60-120 s). */
export const LOCAL_MIN_DELAY_SECONDS = 1;
export const LOCAL_MAX_DELAY_SECONDS = 2;

export interface PublishedBundle extends UploadResult {
  readonly revision: string;
}

export interface LocalPolicyBundles {
  readonly service: BundleService;
  /** s3://policy-bundles/bundles/bundle.tar.gz */
  readonly url: string;
  readonly key: string;
  /** Path of the private key file (`npm run policy:publish -- --signing-key <it>`); its contents are never printed. */
  readonly signingKeyFile: string;
  readonly publicKeyPem: string;
  readonly maxDelaySeconds: number;
  /** What the first publish uploaded. */
  readonly initial: PublishedBundle;
  /** Variables the local functions get (unless the environment already sets them). */
  readonly functionEnv: Record<string, string>;
  /** Build, sign and upload the policy directory again. */
  publish(): Promise<PublishedBundle>;
  close(): Promise<void>;
}

export interface StartPolicyBundlesOptions {
  readonly port: number;
  readonly policyDir: string;
  readonly signingKeyFile: string | undefined;
  /** A candidate policy directory, published once to bundles/shadow.tar.gz and named by SHADOW_BUNDLE_URL. */
  readonly shadowPolicyDir?: string;
  readonly say: (message: string) => void;
}

export async function startPolicyBundles(opts: StartPolicyBundlesOptions): Promise<LocalPolicyBundles> {
  // Every S3 client in this process (the publisher's and the functions') talks to the loopback
  // fake with its development credentials; nothing here reaches AWS or an instance metadata endpoint.
  Object.assign(process.env, BUNDLE_SERVICE_CREDENTIALS);
  const service = await startBundleService({ port: opts.port });
  let key: SigningKeyPair | undefined;
  try {
    key = localSigningKey(opts.signingKeyFile);
    const signing = key;
    const client = s3Client(service.endpoint, BUNDLE_SERVICE_CREDENTIALS.AWS_REGION);
    const publishDir = async (policyDir: string, objectKey: string): Promise<PublishedBundle> => {
      const built = buildPolicyBundle({ policyDir, signing: { privateKeyPem: signing.privateKeyPem } });
      const uploaded = await uploadBundle({ bucket: service.bucket, key: objectKey, bytes: built.bytes, revision: built.revision }, client);
      return { revision: built.revision, ...uploaded };
    };
    const publish = (): Promise<PublishedBundle> => publishDir(opts.policyDir, BUNDLE_KEY);
    const started = Date.now();
    const initial = await publish();
    const url = `s3://${service.bucket}/${BUNDLE_KEY}`;
    opts.say(`bundle service ${service.endpoint}: published ${url} revision ${initial.revision} in ${Date.now() - started} ms (signed with ${key.privateKeyFile})`);
    let shadowUrl: string | undefined;
    if (opts.shadowPolicyDir !== undefined) {
      const shadow = await publishDir(opts.shadowPolicyDir, SHADOW_KEY);
      shadowUrl = `s3://${service.bucket}/${SHADOW_KEY}`;
      opts.say(`bundle service: published the shadow (candidate) bundle ${shadowUrl} revision ${shadow.revision} from ${opts.shadowPolicyDir}`);
    }
    return {
      service,
      url,
      key: BUNDLE_KEY,
      signingKeyFile: key.privateKeyFile,
      publicKeyPem: key.publicKeyPem,
      maxDelaySeconds: Number(process.env.POLICY_BUNDLE_MAX_DELAY_SECONDS ?? LOCAL_MAX_DELAY_SECONDS) || LOCAL_MAX_DELAY_SECONDS,
      initial,
      functionEnv: {
        POLICY_BUNDLE_URL: url,
        POLICY_BUNDLE_S3_ENDPOINT: service.endpoint,
        POLICY_VERIFICATION_KEY: key.publicKeyPem,
        POLICY_BUNDLE_MIN_DELAY_SECONDS: String(LOCAL_MIN_DELAY_SECONDS),
        POLICY_BUNDLE_MAX_DELAY_SECONDS: String(LOCAL_MAX_DELAY_SECONDS),
        POLICY_BUNDLE_FALLBACK: 'none',
        ...(shadowUrl !== undefined ? { SHADOW_BUNDLE_URL: shadowUrl } : {}),
      },
      publish,
      close: async () => {
        client.destroy();
        await service.close();
        signing.dispose();
      },
    };
  } catch (error) {
    key?.dispose();
    await service.close();
    throw error;
  }
}
