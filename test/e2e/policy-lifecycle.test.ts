/**
 * Issue #11's policy lifecycle on the local stack, over real HTTP: the
 * functions poll the bundle service (s3rver) through the S3 code path, as
 * deployed functions poll the policy bucket.
 *
 * - a newly published signed bundle changes decisions within the polling
 *   interval, without a restart;
 * - an unsigned, a tampered and a wrong-key bundle are each rejected (logged
 *   with their reason) while the previous bundle keeps serving;
 * - with the bundle service unreachable at cold start, requests fail closed
 *   (503 + Retry-After), or are served by the packaged policy only when
 *   POLICY_BUNDLE_FALLBACK=packaged allows it;
 * - a shadow (candidate) bundle that disagrees with the enforced one is
 *   logged and does not change the answer.
 *
 * The authorizer cache is off (AUTHORIZER_CACHE_TTL=0) so each request is a
 * fresh decision, and the watcher is off (LOCAL_WATCH=0): the test publishes.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BUNDLE_SERVICE_CREDENTIALS } from '../../local/bundle-service';
import { LOCAL_MAX_DELAY_SECONDS } from '../../local/policy-delivery';
import { buildPolicyBundle } from '../../scripts/publish/build-bundle';
import { s3Client, uploadBundle } from '../../scripts/publish/s3-upload';
import { call, userToken } from './helpers/acme-client';
import { REPO_ROOT, startStackProcess, type StackProcess } from './helpers/stack-process';

const OWN_RECORD = '/v1/claims/enrollee/1001';
/** How long a publish may take to show: the longest polling delay, plus download and load on a busy 2-core machine. */
const PICKUP_BUDGET_MS = (LOCAL_MAX_DELAY_SECONDS + 4) * 1000;

const savedEnv = { ...process.env };
let keysDir: string;
let signingKeyFile: string;
let otherKeyPem: string;

function ecKeyPair(): { privateKey: string; publicKey: string } {
  return crypto.generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

/** A copy of policies/ (sub-packages included, build output not) to edit. */
function policyCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-lifecycle-policies-'));
  const src = path.join(REPO_ROOT, 'policies');
  fs.cpSync(src, dir, { recursive: true, filter: (from) => path.relative(src, from).split(path.sep)[0] !== 'build' });
  return dir;
}

/** The policy with the read scope renamed: alice's token no longer has it, so her own record is 403. */
function withRenamedReadScope(dir: string): void {
  const dataFile = path.join(dir, 'data.json');
  const text = fs.readFileSync(dataFile, 'utf8');
  expect(text).toContain('"read": "claims:read"');
  fs.writeFileSync(dataFile, text.replace('"read": "claims:read"', '"read": "claims:reaX"'));
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function bundleServiceOf(stack: StackProcess): NonNullable<StackProcess['bundleService']> {
  if (stack.bundleService === undefined) throw new Error('the stack runs no bundle service');
  return stack.bundleService;
}

async function upload(stack: StackProcess, bytes: Uint8Array, revision: string): Promise<void> {
  const svc = bundleServiceOf(stack);
  const client = s3Client(svc.endpoint, BUNDLE_SERVICE_CREDENTIALS.AWS_REGION);
  try {
    await uploadBundle({ bucket: svc.bucket, key: svc.key, bytes, revision }, client);
  } finally {
    client.destroy();
  }
}

/** Status codes of `GET path` for alice, one request every 200 ms, for `ms`. */
async function statusesFor(stack: StackProcess, token: string, ms: number, urlPath = OWN_RECORD): Promise<number[]> {
  const seen: number[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    seen.push((await call(stack, 'GET', urlPath, token)).status);
    await new Promise((r) => setTimeout(r, 200));
  }
  return seen;
}

/** Milliseconds until `GET path` answers `status`, or undefined if it did not within `ms`. */
async function timeUntilStatus(stack: StackProcess, token: string, status: number, ms: number): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if ((await call(stack, 'GET', OWN_RECORD, token)).status === status) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

/** The JSON log lines the stack printed since `from` (an offset into its output). */
function logLinesSince(stack: StackProcess, from: number): Record<string, unknown>[] {
  return stack
    .output()
    .slice(from)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

async function waitForLog(stack: StackProcess, from: number, match: (line: Record<string, unknown>) => boolean, ms: number): Promise<Record<string, unknown> | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const hit = logLinesSince(stack, from).find(match);
    if (hit !== undefined || Date.now() > end) return hit;
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(() => {
  // The test publishes to the stack's bundle service with the development credentials it accepts.
  Object.assign(process.env, BUNDLE_SERVICE_CREDENTIALS);
  keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-lifecycle-keys-'));
  signingKeyFile = path.join(keysDir, 'signing.pem');
  fs.writeFileSync(signingKeyFile, ecKeyPair().privateKey, { mode: 0o600 });
  otherKeyPem = ecKeyPair().privateKey;
});

afterAll(() => {
  fs.rmSync(keysDir, { recursive: true, force: true });
  process.env = savedEnv;
});

describe('publishing to the running stack', () => {
  let stack: StackProcess;
  let dir: string;
  let alice: string;
  let signingKeyPem: string;

  beforeAll(async () => {
    dir = policyCopy();
    signingKeyPem = fs.readFileSync(signingKeyFile, 'utf8');
    stack = await startStackProcess({
      LOCAL_POLICY_DIR: dir,
      LOCAL_WATCH: '0',
      AUTHORIZER_CACHE_TTL: '0',
      LOCAL_BUNDLE_SIGNING_KEY: signingKeyFile,
    });
    alice = await userToken(stack, 'alice');
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the functions serve the bundle the stack published at start', async () => {
    const svc = bundleServiceOf(stack);
    expect(svc.bucket).toBe('policy-bundles');
    expect((await call(stack, 'GET', OWN_RECORD, alice)).status).toBe(200);
    const activated = await waitForLog(stack, 0, (l) => l.message === 'policy activated' && l.policyRevision === svc.revision && l.origin === 'remote', 10_000);
    expect(activated).toBeDefined();
  });

  test('a new signed bundle changes decisions within the polling interval, without a restart', async () => {
    const from = stack.output().length;
    withRenamedReadScope(dir);
    const changed = buildPolicyBundle({ policyDir: dir, signing: { privateKeyPem: signingKeyPem } });
    await upload(stack, changed.bytes, changed.revision);
    const took = await timeUntilStatus(stack, alice, 403, PICKUP_BUDGET_MS);
    expect(took).toBeDefined();
    expect(took).toBeLessThanOrEqual(PICKUP_BUDGET_MS);
    // Once switched, it stays switched.
    expect(new Set(await statusesFor(stack, alice, 1000))).toEqual(new Set([403]));
    expect(await waitForLog(stack, from, (l) => l.message === 'policy activated' && l.policyRevision === changed.revision, 5000)).toBeDefined();
    // Same process: started once.
    expect(stack.output().match(/LOCAL_STACK_READY/g)).toHaveLength(1);

    // And back: the original policy, published again, allows again.
    fs.copyFileSync(path.join(REPO_ROOT, 'policies', 'data.json'), path.join(dir, 'data.json'));
    const original = buildPolicyBundle({ policyDir: dir, signing: { privateKeyPem: signingKeyPem } });
    await upload(stack, original.bytes, original.revision);
    expect(await timeUntilStatus(stack, alice, 200, PICKUP_BUDGET_MS)).toBeDefined();
  }, 60_000);

  describe('a bad bundle is rejected and the previous one keeps serving', () => {
    /** Publishes `bytes` (a bundle that WOULD deny alice), then checks alice is still allowed and the rejection is logged with `reason`. */
    async function expectRejected(bytes: Uint8Array, revision: string, reason: string): Promise<void> {
      expect((await call(stack, 'GET', OWN_RECORD, alice)).status).toBe(200);
      const from = stack.output().length;
      await upload(stack, bytes, revision);
      // Polling is driven by invocations (as in Lambda): keep calling while waiting for the rejection.
      const statuses: number[] = [];
      const isRejection = (l: Record<string, unknown>): boolean =>
        l.message === 'policy bundle rejected; the last good policy keeps serving' && l.reason === reason;
      const end = Date.now() + PICKUP_BUDGET_MS;
      while (Date.now() < end && !logLinesSince(stack, from).some(isRejection)) {
        statuses.push((await call(stack, 'GET', OWN_RECORD, alice)).status);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(logLinesSince(stack, from).find(isRejection)).toMatchObject({ reason, level: 'error' });
      // Every request before, during and after the rejection kept the old answer.
      statuses.push(...(await statusesFor(stack, alice, 1500)));
      expect(new Set(statuses)).toEqual(new Set([200]));
      expect(logLinesSince(stack, from).some((l) => l.message === 'policy activated')).toBe(false);
    }

    function denyingPolicyDir(): string {
      const denying = policyCopy();
      withRenamedReadScope(denying);
      return denying;
    }

    test('unsigned', async () => {
      const denying = denyingPolicyDir();
      try {
        const unsigned = buildPolicyBundle({ policyDir: denying, revision: 'unsigned-1' });
        await expectRejected(unsigned.bytes, unsigned.revision, 'unsigned');
      } finally {
        fs.rmSync(denying, { recursive: true, force: true });
      }
    }, 60_000);

    test('signed with another key', async () => {
      const denying = denyingPolicyDir();
      try {
        const wrongKey = buildPolicyBundle({ policyDir: denying, revision: 'wrong-key-1', signing: { privateKeyPem: otherKeyPem } });
        await expectRejected(wrongKey.bytes, wrongKey.revision, 'bad_signature');
      } finally {
        fs.rmSync(denying, { recursive: true, force: true });
      }
    }, 60_000);

    test('tampered after signing (data.json edited in the archive)', async () => {
      // Signed with the right key, then the read scope is renamed inside the tar, same length:
      // the archive is well formed, the signature no longer matches data.json's digest.
      const good = buildPolicyBundle({ policyDir: dir, revision: 'tampered-1', signing: { privateKeyPem: signingKeyPem } });
      const tar = Buffer.from(gunzipSync(good.bytes));
      const at = tar.indexOf('"claims:read"');
      expect(at).toBeGreaterThan(0);
      tar.write('"claims:reaX"', at);
      await expectRejected(gzipSync(tar), 'tampered-1', 'digest_mismatch');
    }, 60_000);
  });
});

describe('the bundle service is down at cold start', () => {
  let deadEndpoint: string;
  beforeAll(async () => {
    deadEndpoint = `http://127.0.0.1:${await closedPort()}`;
  });

  test('without a fallback every request fails closed: 503 with Retry-After, never an allow', async () => {
    const stack = await startStackProcess({ LOCAL_WATCH: '0', AUTHORIZER_CACHE_TTL: '0', POLICY_BUNDLE_S3_ENDPOINT: deadEndpoint });
    try {
      const alice = await userToken(stack, 'alice');
      for (let i = 0; i < 3; i++) {
        const res = await call(stack, 'GET', OWN_RECORD, alice);
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toMatch(/^\d+$/);
        expect(res.body).not.toContain('1001');
      }
      expect(await waitForLog(stack, 0, (l) => l.reason === 'download_failed', 5000)).toBeDefined();
    } finally {
      await stack.stop();
    }
  }, 120_000);

  test('with POLICY_BUNDLE_FALLBACK=packaged the packaged policy serves (and says so)', async () => {
    const stack = await startStackProcess({
      LOCAL_WATCH: '0', AUTHORIZER_CACHE_TTL: '0', POLICY_BUNDLE_S3_ENDPOINT: deadEndpoint, POLICY_BUNDLE_FALLBACK: 'packaged',
    });
    try {
      const alice = await userToken(stack, 'alice');
      expect((await call(stack, 'GET', OWN_RECORD, alice)).status).toBe(200);
      expect((await call(stack, 'GET', '/v1/claims/enrollee/2001', alice)).status).toBe(403);
      expect(await waitForLog(stack, 0, (l) => l.message === 'policy activated' && l.origin === 'packaged', 5000)).toBeDefined();
    } finally {
      await stack.stop();
    }
  }, 120_000);
});

describe('shadow bundle', () => {
  test('a candidate that disagrees is logged with both results and never changes the answer', async () => {
    const candidate = policyCopy();
    withRenamedReadScope(candidate);
    const stack = await startStackProcess({ LOCAL_WATCH: '0', AUTHORIZER_CACHE_TTL: '0', LOCAL_SHADOW_POLICY_DIR: candidate });
    try {
      const alice = await userToken(stack, 'alice');
      const from = stack.output().length;
      // The enforced policy allows; the candidate would deny. Several requests: the shadow may load after the first.
      const statuses = await statusesFor(stack, alice, 3000);
      expect(new Set(statuses)).toEqual(new Set([200]));
      type Custom = { type?: string; shadow?: { outcome?: string; enforced_outcome?: string; revision?: string }; enforced_decision_id?: string };
      const disagreement = await waitForLog(stack, from, (l) => (l.custom as Custom | undefined)?.type === 'shadow_disagreement', 5000);
      expect(disagreement).toBeDefined();
      const custom = disagreement?.custom as Custom;
      // Both results: the enforced allow, the candidate's deny; and which decision it shadowed.
      expect(custom.shadow?.enforced_outcome).toMatch(/^allow/);
      expect(custom.shadow?.outcome).toMatch(/^deny/);
      expect(typeof custom.enforced_decision_id).toBe('string');
      const enforced = logLinesSince(stack, from).find((l) => l.decision_id === custom.enforced_decision_id);
      expect((enforced?.custom as Custom | undefined)?.type).toBe('decision');
      expect((disagreement?.bundles as { shadow?: { revision?: string } }).shadow?.revision).toBe(custom.shadow?.revision);
      expect(custom.shadow?.revision).not.toBe(bundleServiceOf(stack).revision);
      // No credential in the event.
      expect(JSON.stringify(disagreement)).not.toContain(alice);
    } finally {
      await stack.stop();
      fs.rmSync(candidate, { recursive: true, force: true });
    }
  }, 120_000);
});
