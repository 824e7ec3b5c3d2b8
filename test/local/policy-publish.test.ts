/**
 * `npm run policy:publish` against the local bundle service (s3rver): the
 * uploaded object is a signed OPA bundle that verifies with the public key
 * and no other, carries the printed revision, answers If-None-Match with 304,
 * and nothing the command prints contains key material.
 */
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BundleVerificationError, readBundle } from 'rego-wasm';
import { BUNDLE_SERVICE_CREDENTIALS, localSigningKey, startBundleService, type BundleService, type SigningKeyPair } from '../../local/bundle-service';
import { parsePublishArgs, publish, PublishUsageError } from '../../scripts/policy-publish';
import { s3Client } from '../../scripts/publish/s3-upload';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

let service: BundleService;
let key: SigningKeyPair;
let client: S3Client;
const savedEnv = { ...process.env };

beforeAll(async () => {
  Object.assign(process.env, BUNDLE_SERVICE_CREDENTIALS);
  service = await startBundleService({ port: 0 });
  key = localSigningKey(undefined);
  client = s3Client(service.endpoint, 'us-east-1');
});

afterAll(async () => {
  client?.destroy();
  await service?.close();
  key?.dispose();
  process.env = savedEnv;
});

async function download(objectKey: string, ifNoneMatch?: string): Promise<{ status: number; bytes?: Uint8Array; etag?: string }> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: service.bucket, Key: objectKey, IfNoneMatch: ifNoneMatch }));
    return { status: 200, bytes: await out.Body?.transformToByteArray(), etag: out.ETag };
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === undefined) throw error;
    return { status };
  }
}

describe('publish()', () => {
  test('uploads a bundle signed with the key: it verifies with the public key, carries the revision, and is unchanged for If-None-Match', async () => {
    const args = parsePublishArgs(['--bucket', service.bucket, '--endpoint', service.endpoint, '--signing-key', key.privateKeyFile, '--key', 'test/one.tar.gz'], REPO_ROOT);
    const result = await publish(args);
    expect(result.signed).toBe(true);
    expect(result.url).toBe(`s3://${service.bucket}/test/one.tar.gz`);
    expect(result.revision).toMatch(/^[0-9a-f]{12}$/);

    const got = await download('test/one.tar.gz');
    expect(got.status).toBe(200);
    expect(got.etag).toBe(result.etag);
    const bundle = readBundle(got.bytes ?? new Uint8Array(), { verification: { publicKey: key.publicKeyPem } });
    expect(bundle.manifest.revision).toBe(result.revision);
    expect(Buffer.from(bundle.wasm ?? []).subarray(0, 4)).toEqual(Buffer.from([0x00, 0x61, 0x73, 0x6d]));
    expect(Object.keys(bundle.data)).toEqual(expect.arrayContaining(['acme']));
    // Entrypoints of policies/manifest.json.
    const listed = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'policies', 'manifest.json'), 'utf8')) as { entrypoints: string[] }).entrypoints;
    expect(listed).toEqual(expect.arrayContaining(['acme/authz/decision', 'acme/filter/response', 'system/log/mask']));
    expect(bundle.manifest.wasm?.map((w) => w.entrypoint).sort()).toEqual([...listed].sort());

    expect((await download('test/one.tar.gz', result.etag)).status).toBe(304);
  });

  test('the published bundle is refused under another key (bad_signature)', async () => {
    const other = localSigningKey(undefined);
    try {
      await publish(parsePublishArgs(['--bucket', service.bucket, '--endpoint', service.endpoint, '--signing-key', key.privateKeyFile, '--key', 'test/two.tar.gz'], REPO_ROOT));
      const got = await download('test/two.tar.gz');
      let caught: unknown;
      try {
        readBundle(got.bytes ?? new Uint8Array(), { verification: { publicKey: other.publicKeyPem } });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(BundleVerificationError);
      expect((caught as BundleVerificationError).reason).toBe('bad_signature');
    } finally {
      other.dispose();
    }
  });

  test('--unsigned uploads a bundle that a verifying reader refuses as unsigned', async () => {
    await publish(parsePublishArgs(['--bucket', service.bucket, '--endpoint', service.endpoint, '--unsigned', '--key', 'test/unsigned.tar.gz', '--revision', 'r-unsigned'], REPO_ROOT));
    const got = await download('test/unsigned.tar.gz');
    expect(readBundle(got.bytes ?? new Uint8Array()).manifest.revision).toBe('r-unsigned');
    expect(() => readBundle(got.bytes ?? new Uint8Array(), { verification: { publicKey: key.publicKeyPem } })).toThrow(/unsigned/);
  });

  test('the same policy gives the same revision; a data change gives another', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'publish-policies-'));
    try {
      const src = path.join(REPO_ROOT, 'policies');
      fs.cpSync(src, dir, { recursive: true, filter: (from) => path.relative(src, from).split(path.sep)[0] !== 'build' });
      const base = ['--bucket', service.bucket, '--endpoint', service.endpoint, '--signing-key', key.privateKeyFile, '--policy-dir', dir, '--key', 'test/rev.tar.gz'];
      const a = await publish(parsePublishArgs(base, REPO_ROOT));
      const b = await publish(parsePublishArgs(base, REPO_ROOT));
      expect(b.revision).toBe(a.revision);
      const dataFile = path.join(dir, 'data.json');
      fs.writeFileSync(dataFile, fs.readFileSync(dataFile, 'utf8').replace('"read": "claims:read"', '"read": "claims:read-v2"'));
      const c = await publish(parsePublishArgs(base, REPO_ROOT));
      expect(c.revision).not.toBe(a.revision);
      expect(c.etag).not.toBe(a.etag);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parsePublishArgs', () => {
  test.each<[string, string[], RegExp]>([
    ['no bucket', ['--unsigned'], /--bucket is required/],
    ['neither a signing key nor --unsigned', ['--bucket', 'b'], /--signing-key/],
    ['both a signing key and --unsigned', ['--bucket', 'b', '--signing-key', 'k.pem', '--unsigned'], /contradict/],
    ['an unknown flag', ['--bucket', 'b', '--unsigned', '--force'], /Unknown option/],
    ['a bad endpoint', ['--bucket', 'b', '--unsigned', '--endpoint', 'ftp://x'], /http\(s\)/],
  ])('%s is a usage error', (_name, argv, message) => {
    expect(() => parsePublishArgs(argv)).toThrow(PublishUsageError);
    expect(() => parsePublishArgs(argv)).toThrow(message);
  });

  test('defaults: key bundles/bundle.tar.gz, policy dir policies/', () => {
    const args = parsePublishArgs(['--bucket', 'b', '--unsigned'], REPO_ROOT);
    expect(args.key).toBe('bundles/bundle.tar.gz');
    expect(args.policyDir).toBe(path.join(REPO_ROOT, 'policies'));
  });
});

describe('npm run policy:publish (the command)', () => {
  // Asynchronous: the bundle service runs in this process and must keep answering.
  function run(argv: string[]): Promise<{ status: number | null; out: string }> {
    const child = spawn(TSX, [path.join(REPO_ROOT, 'scripts', 'policy-publish.ts'), ...argv], {
      cwd: REPO_ROOT, env: { ...process.env, ...BUNDLE_SERVICE_CREDENTIALS }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    return new Promise((resolve) => child.once('close', (status) => resolve({ status, out })));
  }

  test('prints the URL, revision and ETag, and no key material', async () => {
    const { status, out } = await run(['--bucket', service.bucket, '--endpoint', service.endpoint, '--signing-key', key.privateKeyFile]);
    expect(status).toBe(0);
    expect(out).toMatch(new RegExp(`published s3://${service.bucket}/bundles/bundle\\.tar\\.gz \\(\\d+ bytes, signed\\)`));
    expect(out).toMatch(/^revision [0-9a-f]{12}$/m);
    expect(out).toMatch(/^etag "[0-9a-f]+"$/m);
    for (const line of key.privateKeyPem.split('\n').filter((l) => l.length > 20)) expect(out).not.toContain(line);
    expect(out).not.toContain('PRIVATE KEY');
  }, 120_000);

  test('a file that is not a private key is refused without echoing it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'publish-badkey-'));
    try {
      const secretish = crypto.randomBytes(24).toString('hex');
      fs.writeFileSync(path.join(dir, 'key.pem'), `not a key ${secretish}\n`);
      const { status, out } = await run(['--bucket', service.bucket, '--endpoint', service.endpoint, '--signing-key', path.join(dir, 'key.pem')]);
      expect(status).toBe(1);
      expect(out).toMatch(/is not a PEM private key/);
      expect(out).not.toContain(secretish);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the bundle service', () => {
  test('a port in use fails its start with EADDRINUSE (npm start names BUNDLE_PORT) instead of crashing the process', async () => {
    await expect(startBundleService({ port: service.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    // The running one is unaffected.
    expect((await download('test/one.tar.gz')).status).toBe(200);
  });
});

describe('the local signing key', () => {
  test('a generated key is private to its owner and removed on dispose', () => {
    const k = localSigningKey(undefined);
    const dir = path.dirname(k.privateKeyFile);
    expect(fs.statSync(k.privateKeyFile).mode & 0o077).toBe(0);
    expect(fs.statSync(dir).mode & 0o077).toBe(0);
    expect(crypto.createPublicKey(k.privateKeyPem).export({ type: 'spki', format: 'pem' })).toBe(k.publicKeyPem);
    expect(path.relative(REPO_ROOT, dir).startsWith('..')).toBe(true);
    k.dispose();
    expect(fs.existsSync(dir)).toBe(false);
  });
});
