/** The part of s3rver's API (it ships no types) the local bundle service uses. */
declare module 's3rver' {
  import type { RequestListener } from 'node:http';
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    configureBuckets?: { name: string; configs?: unknown[] }[];
  }

  class S3rver {
    constructor(options: S3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    /** Creates the `configureBuckets` buckets in the store (what `run()` does before listening). */
    configureBuckets(): Promise<void>;
    /** The Koa request handler. */
    callback(): RequestListener;
  }
  export = S3rver;
}
