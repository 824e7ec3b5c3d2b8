/** `npm start` (local/start.ts): prints where everything runs, stops cleanly on SIGINT, and refuses to start with a clear message. */
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { REPO_ROOT, startStackProcess } from '../e2e/helpers/stack-process';

const FIXTURES = {
  LOCAL_AUTHORIZER_MODULE: path.join(__dirname, 'fixtures', 'allow-own-path-authorizer.ts'),
  LOCAL_CLAIMS_PROXY_MODULE: path.join(__dirname, 'fixtures', 'echo-integration.ts'),
  LOCAL_SKIP_POLICY_BUILD: '1',
};
const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

function listening(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port), u.hostname);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

test('ephemeral ports are printed with a copy-paste example, and SIGTERM stops all three servers with exit 0', async () => {
  const stack = await startStackProcess(FIXTURES);
  expect(stack.output()).toContain('npm run -s token -- alice');
  expect(stack.output()).toContain(`curl -H "Authorization: Bearer $TOKEN" ${stack.gateway}/v1/claims/enrollee/1001`);
  for (const u of [stack.okta, stack.backend, stack.gateway]) expect(await listening(u)).toBe(true);
  expect(await stack.stop()).toBe(0);
  for (const u of [stack.okta, stack.backend, stack.gateway]) expect(await listening(u)).toBe(false);
});

test('a policy that does not compile stops npm start with the compiler\'s located error', () => {
  const res = spawnSync(TSX, [path.join(REPO_ROOT, 'local', 'start.ts')], {
    env: { ...process.env, OKTA_PORT: '0', BACKEND_PORT: '0', GATEWAY_PORT: '0', PORTAL_PORT: '0', LOCAL_KEYS_DIR: 'memory', LOCAL_POLICY_DIR: path.join(__dirname, 'fixtures', 'broken-policy') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(res.status).toBe(1);
  expect(res.stderr).toMatch(/cannot start: policy build failed: .*authz\.rego:\d+:\d+/);
});

test('a port in use is reported with the variable that changes it', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const res = spawnSync(TSX, [path.join(REPO_ROOT, 'local', 'start.ts')], {
      env: { ...process.env, ...FIXTURES, OKTA_PORT: '0', BACKEND_PORT: String(port), GATEWAY_PORT: '0', PORTAL_PORT: '0', LOCAL_KEYS_DIR: 'memory' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
    expect(res.stderr).toContain('BACKEND_PORT');
  } finally {
    await new Promise<void>((r) => blocker.close(() => r()));
  }
});
