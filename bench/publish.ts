/**
 * Publishing a policy without a deployment (issue #11): what
 * `npm run policy:publish` costs, and how long a publish takes to change
 * decisions on the local stack, where the functions poll the bundle service
 * (s3rver on loopback) every 1–2 s after an invocation, as deployed ones poll
 * S3 every 60–120 s.
 *
 * - `build_sign_ms`: build policies/ with rego-wasm and sign it (ES256), in process, median of 5;
 * - `upload_ms`: PutObject of that bundle to s3rver on loopback, median of 5;
 * - `publish_to_decision_ms`: on a running stack (authorizer cache off, watcher off), from the
 *   end of the upload to the first request answered by the new policy, while a client sends a
 *   request every 50 ms; median and max of 4 publishes, alternating deny/allow bundles. Bounded
 *   by the polling delay (max 2 s) plus one download and load.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUNDLE_SERVICE_CREDENTIALS, startBundleService } from '../local/bundle-service';
import { requestToken } from '../local/okta/token-client';
import { startStackProcess } from '../local/stack-process';
import { buildPolicyBundle } from '../scripts/publish/build-bundle';
import { s3Client, uploadBundle } from '../scripts/publish/s3-upload';

const REPO_ROOT = path.resolve(__dirname, '..');
const OWN_RECORD = '/v1/claims/enrollee/1001';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function policyCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-publish-policies-'));
  const src = path.join(REPO_ROOT, 'policies');
  fs.cpSync(src, dir, { recursive: true, filter: (from) => path.relative(src, from).split(path.sep)[0] !== 'build' });
  return dir;
}

export async function benchPublish(): Promise<Record<string, number>> {
  Object.assign(process.env, BUNDLE_SERVICE_CREDENTIALS);
  const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-publish-keys-'));
  const keyFile = path.join(keysDir, 'signing.pem');
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  fs.writeFileSync(keyFile, privateKey, { mode: 0o600 });
  const allowDir = policyCopy();
  const denyDir = policyCopy();
  const dataFile = path.join(denyDir, 'data.json');
  fs.writeFileSync(dataFile, fs.readFileSync(dataFile, 'utf8').replace('"read": "claims:read"', '"read": "claims:reaX"'));
  const out: Record<string, number> = {};
  try {
    const builds: number[] = [];
    let bytes: Uint8Array = new Uint8Array();
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      bytes = buildPolicyBundle({ policyDir: allowDir, signing: { privateKeyPem: privateKey } }).bytes;
      builds.push(performance.now() - t);
    }
    out.build_sign_ms = Math.round(median(builds));
    out.bundle_bytes = bytes.length;

    const service = await startBundleService({ port: 0 });
    const client = s3Client(service.endpoint, BUNDLE_SERVICE_CREDENTIALS.AWS_REGION);
    try {
      const uploads: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await uploadBundle({ bucket: service.bucket, key: 'bench/bundle.tar.gz', bytes, revision: 'bench' }, client);
        uploads.push(performance.now() - t);
      }
      out.upload_ms = Math.round(median(uploads));
    } finally {
      client.destroy();
      await service.close();
    }

    const stack = await startStackProcess({
      LOCAL_POLICY_DIR: allowDir, LOCAL_WATCH: '0', AUTHORIZER_CACHE_TTL: '0', LOCAL_QUIET: '1', LOCAL_BUNDLE_SIGNING_KEY: keyFile,
    });
    const svc = stack.bundleService;
    if (svc === undefined) throw new Error('the stack runs no bundle service');
    const stackClient = s3Client(svc.endpoint, BUNDLE_SERVICE_CREDENTIALS.AWS_REGION);
    try {
      const token = (await requestToken({ tokenEndpoint: stack.tokenEndpoint, username: 'alice' })).accessToken;
      const status = async (): Promise<number> => (await fetch(`${stack.gateway}${OWN_RECORD}`, { headers: { authorization: `Bearer ${token}` } })).status;
      const pickups: number[] = [];
      for (let i = 0; i < 4; i++) {
        const [dir, expected] = i % 2 === 0 ? [denyDir, 403] : [allowDir, 200];
        const built = buildPolicyBundle({ policyDir: dir, signing: { privateKeyPem: privateKey } });
        await uploadBundle({ bucket: svc.bucket, key: svc.key, bytes: built.bytes, revision: built.revision }, stackClient);
        const t = performance.now();
        for (;;) {
          if ((await status()) === expected) break;
          if (performance.now() - t > 30_000) throw new Error(`publish ${i} did not change the decision within 30 s`);
          await new Promise((r) => setTimeout(r, 50));
        }
        pickups.push(performance.now() - t);
      }
      out.publish_to_decision_median_ms = Math.round(median(pickups));
      out.publish_to_decision_max_ms = Math.round(Math.max(...pickups));
    } finally {
      stackClient.destroy();
      await stack.stop();
    }
  } finally {
    for (const d of [keysDir, allowDir, denyDir]) fs.rmSync(d, { recursive: true, force: true });
  }
  return out;
}
