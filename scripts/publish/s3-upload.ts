/**
 * Upload a bundle to S3 (or an S3-compatible server such as the local
 * stack's bundle service) with the AWS SDK v3, the client the functions poll
 * with. Credentials and region come from the SDK's default chain; with an
 * `endpoint` (a local server) the client uses path-style addressing.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export interface UploadOptions {
  readonly bucket: string;
  readonly key: string;
  readonly bytes: Uint8Array;
  readonly revision: string;
  /** An S3-compatible server, e.g. http://127.0.0.1:4569 (path-style). Default: AWS S3. */
  readonly endpoint?: string;
  /** Default: the SDK's (AWS_REGION, the profile), else us-east-1 for a local endpoint. */
  readonly region?: string;
}

export interface UploadResult {
  readonly etag: string;
  /** Set when the bucket is versioned (the construct's bucket is). */
  readonly versionId?: string;
}

export function s3Client(endpoint: string | undefined, region: string | undefined): S3Client {
  return new S3Client({
    ...(endpoint !== undefined ? { endpoint, forcePathStyle: true } : {}),
    ...(region !== undefined ? { region } : endpoint !== undefined && process.env.AWS_REGION === undefined ? { region: 'us-east-1' } : {}),
    // A bundle is one small PUT: plain Content-MD5-free payload signing works with S3 and with S3-compatible servers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
}

export async function uploadBundle(opts: UploadOptions, client: S3Client = s3Client(opts.endpoint, opts.region)): Promise<UploadResult> {
  const out = await client.send(
    new PutObjectCommand({
      Bucket: opts.bucket,
      Key: opts.key,
      Body: opts.bytes,
      ContentType: 'application/gzip',
      // Lets an operator see which policy an object holds without downloading it (header-safe revisions only).
      ...(/^[\x20-\x7e]{1,256}$/.test(opts.revision) ? { Metadata: { revision: opts.revision } } : {}),
    }),
  );
  if (out.ETag === undefined) throw new Error(`s3://${opts.bucket}/${opts.key}: the upload returned no ETag`);
  return { etag: out.ETag, ...(out.VersionId !== undefined ? { versionId: out.VersionId } : {}) };
}
