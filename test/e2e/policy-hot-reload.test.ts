/**
 * `npm start` picks up policy changes without a restart, as a deployment
 * does: a data.json or Rego change is built, signed and published to the
 * local bundle service, the functions poll it, and the authorizer cache is
 * flushed once they have; a Rego change that does not compile is reported,
 * nothing is published and the previous policy keeps serving.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { call, userToken } from './helpers/acme-client';
import { outputMatching, REPO_ROOT, startStackProcess, type StackProcess } from './helpers/stack-process';

let stack: StackProcess;
let dir: string;

async function eventually(check: () => Promise<boolean>, ms = 15_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-hot-policies-'));
  // Sub-packages included (policies/system/log holds the decision-log mask), build output not.
  const src = path.join(REPO_ROOT, 'policies');
  fs.cpSync(src, dir, { recursive: true, filter: (from) => path.relative(src, from).split(path.sep)[0] !== 'build' });
  stack = await startStackProcess({ LOCAL_POLICY_DIR: dir, AUTHORIZER_CACHE_TTL: '300' });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a data change (the read scope renamed) takes effect without a restart, cached decisions included', async () => {
  const alice = await userToken(stack, 'alice');
  const path1001 = '/v1/claims/enrollee/1001';
  expect((await call(stack, 'GET', path1001, alice)).status).toBe(200);
  const dataFile = path.join(dir, 'data.json');
  fs.writeFileSync(dataFile, fs.readFileSync(dataFile, 'utf8').replace('"read": "claims:read"', '"read": "claims:read-v2"'));
  expect(await eventually(async () => (await call(stack, 'GET', path1001, alice)).status === 403)).toBe(true);
  expect(await outputMatching(stack, /policy published: revision [0-9a-f]{12}/)).toMatch(/policy published: revision [0-9a-f]{12}/);
});

test('a Rego file that does not compile is reported and the previous policy keeps serving', async () => {
  const alice = await userToken(stack, 'alice');
  const path1001 = '/v1/claims/enrollee/1001';
  // Back to the shipped data: alice is allowed again.
  fs.copyFileSync(path.join(REPO_ROOT, 'policies', 'data.json'), path.join(dir, 'data.json'));
  expect(await eventually(async () => (await call(stack, 'GET', path1001, alice)).status === 200)).toBe(true);
  fs.writeFileSync(path.join(dir, 'broken.rego'), 'package acme.broken\n\nx if {\n');
  expect(await eventually(async () => stack.output().includes('policy NOT published'))).toBe(true);
  expect(stack.output()).toMatch(/broken\.rego:\d+:\d+/);
  expect((await call(stack, 'GET', path1001, alice)).status).toBe(200);
  expect((await call(stack, 'GET', '/v1/claims/enrollee/2001', alice)).status).toBe(403);
});
