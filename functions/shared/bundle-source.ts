/**
 * Where remote policy bundles come from: an HTTP(S) bundle service (OPA's
 * protocol: GET with `If-None-Match: <last ETag>`, 200 = a new bundle, 304 =
 * unchanged) or an S3 object (`GetObject` with `IfNoneMatch`, through the AWS
 * SDK v3 the Lambda runtime provides; it is external in the esbuild bundle
 * and loaded only when an `s3://` source is configured). Every download has a
 * timeout and a size cap (capped-body.ts); failures are PolicyBundleError with
 * a reason and never carry a body, a credential or a query string.
 */
import type { BundleSourceConfig } from './config';
import { readCapped, type ByteSource } from './capped-body';
import { PolicyBundleError } from './errors';

export type BundleFetchResult =
  | { readonly status: 'modified'; readonly bytes: Buffer; readonly etag: string | undefined }
  | { readonly status: 'not_modified' };

export interface BundleSource {
  /** Safe label for logs: the URL without query, or s3://bucket/key. */
  readonly name: string;
  /** Fetch the bundle unless it still has `etag`. Rejects with PolicyBundleError. */
  fetch(etag: string | undefined): Promise<BundleFetchResult>;
}

export interface DownloadLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

/** OPA's bundle service protocol over fetch. `fetchFn` is for tests and the bench. */
export function createHttpBundleSource(url: URL, limits: DownloadLimits, fetchFn: typeof fetch = fetch): BundleSource {
  const name = `${url.origin}${url.pathname}`;
  return {
    name,
    async fetch(etag) {
      const headers: Record<string, string> = { accept: 'application/gzip, application/octet-stream' };
      if (etag !== undefined) headers['if-none-match'] = etag;
      const signal = AbortSignal.timeout(limits.timeoutMs);
      let response: Response;
      try {
        response = await fetchFn(url, { headers, signal, redirect: 'error' });
      } catch (first) {
        // A kept-alive connection can be dead after the container was frozen: one immediate retry (not after a timeout).
        if (downloadError(first, name).reason === 'download_timeout') throw downloadError(first, name);
        try {
          response = await fetchFn(url, { headers, signal, redirect: 'error' });
        } catch (error) {
          throw downloadError(error, name);
        }
      }
      if (response.status === 304) {
        await response.body?.cancel().catch(() => undefined);
        return { status: 'not_modified' };
      }
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => undefined);
        throw new PolicyBundleError('http_status', `bundle service ${name} answered ${response.status}`);
      }
      let bytes: Buffer | undefined;
      try {
        bytes = await readCapped(response.body, limits.maxBytes, response.headers.get('content-length'));
      } catch (error) {
        throw downloadError(error, name);
      }
      if (bytes === undefined) throw new PolicyBundleError('too_large', `bundle from ${name} is larger than ${limits.maxBytes} bytes`);
      return { status: 'modified', bytes, etag: response.headers.get('etag') ?? undefined };
    },
  };
}

function downloadError(error: unknown, name: string): PolicyBundleError {
  // By name: a DOMException from fetch's AbortSignal is not always `instanceof Error` across realms.
  const errorName = (error as { name?: unknown } | null)?.name;
  const timedOut = errorName === 'TimeoutError' || errorName === 'AbortError';
  return timedOut
    ? new PolicyBundleError('download_timeout', `bundle download from ${name} timed out`)
    : new PolicyBundleError('download_failed', `bundle download from ${name} failed: ${typeof errorName === 'string' ? errorName.slice(0, 64) : 'error'}`);
}

/** The part of `GetObjectCommandOutput` read here. */
export interface S3GetObjectOutput {
  readonly Body?: unknown;
  readonly ETag?: string;
  readonly ContentLength?: number;
}

/** The S3 client boundary: `GetObject` with `IfNoneMatch` (tests pass a fake). */
export interface S3GetObject {
  getObject(request: { Bucket: string; Key: string; IfNoneMatch?: string }, abortSignal: AbortSignal): Promise<S3GetObjectOutput>;
}

interface S3Module {
  S3Client: new (config: { endpoint?: string; forcePathStyle?: boolean }) => { send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> };
  GetObjectCommand: new (input: { Bucket: string; Key: string; IfNoneMatch?: string }) => unknown;
}

/** The real client, from the Lambda runtime's `@aws-sdk/client-s3` (credentials and region from the function's environment). */
export function awsS3GetObject(endpoint: URL | undefined, forcePathStyle: boolean): S3GetObject {
  // Loaded lazily: only an s3:// source needs it, and it is not in the bundle.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('@aws-sdk/client-s3') as S3Module;
  const client = new sdk.S3Client({ endpoint: endpoint?.toString(), forcePathStyle });
  return {
    getObject: async (request, abortSignal) => (await client.send(new sdk.GetObjectCommand(request), { abortSignal })) as S3GetObjectOutput,
  };
}

/** The HTTP status an AWS SDK v3 error carries (304 arrives as an error). */
function sdkStatus(error: unknown): number | undefined {
  const meta = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata;
  return typeof meta?.httpStatusCode === 'number' ? meta.httpStatusCode : undefined;
}

export function createS3BundleSource(bucket: string, key: string, limits: DownloadLimits, client: S3GetObject): BundleSource {
  const name = `s3://${bucket}/${key}`;
  return {
    name,
    async fetch(etag) {
      const signal = AbortSignal.timeout(limits.timeoutMs);
      let output: S3GetObjectOutput;
      try {
        output = await client.getObject({ Bucket: bucket, Key: key, ...(etag === undefined ? {} : { IfNoneMatch: etag }) }, signal);
      } catch (error) {
        const status = sdkStatus(error);
        if (status === 304) return { status: 'not_modified' };
        if (status !== undefined) throw new PolicyBundleError('http_status', `S3 GetObject ${name} answered ${status}`);
        throw downloadError(error, name);
      }
      const body = output.Body as (ByteSource & { destroy?: () => void }) | undefined;
      let bytes: Buffer | undefined;
      try {
        bytes = await readCapped(body, limits.maxBytes, output.ContentLength === undefined ? undefined : String(output.ContentLength));
      } catch (error) {
        throw downloadError(error, name);
      } finally {
        if (bytes === undefined) body?.destroy?.();
      }
      if (bytes === undefined) throw new PolicyBundleError('too_large', `bundle ${name} is larger than ${limits.maxBytes} bytes`);
      return { status: 'modified', bytes, etag: output.ETag };
    },
  };
}

/** The source for a configured location (undefined for the packaged bundle). */
export function bundleSourceFor(config: BundleSourceConfig, limits: DownloadLimits, s3?: S3GetObject): BundleSource | undefined {
  switch (config.kind) {
    case 'packaged':
      return undefined;
    case 'http':
      return createHttpBundleSource(config.url, limits);
    case 's3':
      return createS3BundleSource(config.bucket, config.key, limits, s3 ?? awsS3GetObject(config.endpoint, config.forcePathStyle));
  }
}
