/**
 * The local stack's policy bundle service: s3rver, an S3-compatible server
 * from npm (pure JavaScript), on loopback, with one bucket. The functions
 * poll it through the same `s3://` code path (AWS SDK v3 `GetObject` +
 * `If-None-Match`) as deployed ones poll the construct's policy bucket;
 * `POLICY_BUNDLE_S3_ENDPOINT` points their S3 client here.
 *
 * s3rver checks SigV4 signatures against its fixed development key pair
 * (`S3RVER` / `S3RVER`), which the local stack gives every S3 client in the
 * process (BUNDLE_SERVICE_CREDENTIALS). Objects live in a temporary folder,
 * removed on close.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import S3rver from 's3rver';

export const BUNDLE_BUCKET = 'policy-bundles';
export const BUNDLE_KEY = 'bundles/bundle.tar.gz';
export const SHADOW_KEY = 'bundles/shadow.tar.gz';

/** s3rver's built-in development credentials (not a secret: they open nothing but the loopback fake). */
export const BUNDLE_SERVICE_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
} as const;

export interface BundleService {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  close(): Promise<void>;
}

export async function startBundleService(opts: { readonly port: number }): Promise<BundleService> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-bundle-service-'));
  const server = new S3rver({
    silent: true,
    directory,
    configureBuckets: [{ name: BUNDLE_BUCKET }],
  });
  // Listening here rather than with s3rver's run(): its run() leaves a listen error (a port in
  // use) unhandled, which would crash the process instead of failing the start with EADDRINUSE.
  const httpServer = http.createServer(server.callback());
  let port: number;
  try {
    await server.configureBuckets();
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(opts.port, '127.0.0.1', () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
    port = (httpServer.address() as AddressInfo).port;
  } catch (error) {
    fs.rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  let closed = false;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket: BUNDLE_BUCKET,
    close: async () => {
      if (closed) return;
      closed = true;
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}

export interface SigningKeyPair {
  /** The private key file (for `npm run policy:publish -- --signing-key`). */
  readonly privateKeyFile: string;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  /** Removes a generated key's folder; a key the caller supplied is left alone. */
  dispose(): void;
}

/**
 * The key that signs the local stack's bundles: the PEM private key in
 * `file` when given (the e2e tests publish with it too), else an EC P-256
 * pair generated for this run in a private temporary folder (mode 0700,
 * never under the repository, removed on close).
 */
export function localSigningKey(file: string | undefined): SigningKeyPair {
  if (file !== undefined) {
    const privateKeyPem = fs.readFileSync(file, 'utf8');
    const publicKeyPem = crypto.createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
    return { privateKeyFile: file, privateKeyPem, publicKeyPem, dispose: () => undefined };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-bundle-signing-'));
  fs.chmodSync(dir, 0o700);
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const privateKeyFile = path.join(dir, 'bundle-signing-key.pem');
  fs.writeFileSync(privateKeyFile, privateKey, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'bundle-signing-key.pub.pem'), publicKey, { mode: 0o644 });
  return { privateKeyFile, privateKeyPem: privateKey, publicKeyPem: publicKey, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
