/** `npm run invoke` runs one real handler on a sample event, like `sam local invoke`. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT, startStackProcess, type StackProcess } from '../e2e/helpers/stack-process';

const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const EVENTS = path.join(REPO_ROOT, 'test', 'events');
let stack: StackProcess;

beforeAll(async () => {
  // Only the stand-in and the backend matter here; the gateway runs fixtures.
  stack = await startStackProcess({
    LOCAL_AUTHORIZER_MODULE: path.join(__dirname, 'fixtures', 'allow-own-path-authorizer.ts'),
    LOCAL_CLAIMS_PROXY_MODULE: path.join(__dirname, 'fixtures', 'echo-integration.ts'),
    LOCAL_SKIP_POLICY_BUILD: '1',
  });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

function invoke(args: string[]) {
  const oktaPort = new URL(stack.okta).port;
  const backendPort = new URL(stack.backend).port;
  return spawnSync(TSX, [path.join(REPO_ROOT, 'local', 'invoke.ts'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, OKTA_PORT: oktaPort, BACKEND_PORT: backendPort, LOG_LEVEL: 'silent' },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

test('the real authorizer on a sample event with a stand-in token for alice prints an Allow for that methodArn', () => {
  const res = invoke(['authorizer', path.join(EVENTS, 'authorizer-get-own-record.json')]);
  expect(res.status).toBe(0);
  const out = JSON.parse(res.stdout) as { principalId: string; policyDocument: { Statement: { Effect: string; Resource: unknown }[] } };
  expect(out.principalId).toBe('alice@acme.example');
  expect(out.policyDocument.Statement[0]?.Effect).toBe('Allow');
});

test('the same event for bob (a secondary member asking for alice) prints a Deny', () => {
  const res = invoke(['authorizer', path.join(EVENTS, 'authorizer-get-own-record.json'), '--user', 'bob']);
  expect(res.status).toBe(0);
  expect(JSON.parse(res.stdout)).toMatchObject({ policyDocument: { Statement: [{ Effect: 'Deny' }] } });
});

test('a bad token makes the authorizer throw Unauthorized, printed in Lambda\'s error shape with exit 1', () => {
  const res = invoke(['authorizer', path.join(EVENTS, 'authorizer-get-own-record.json'), '--token', 'not.a.jwt']);
  expect(res.status).toBe(1);
  expect(JSON.parse(res.stdout)).toEqual({ errorType: 'Error', errorMessage: 'Unauthorized' });
});

test('the real claims proxy on a sample event reaches the local backend and filters the answer', () => {
  const res = invoke(['claims-proxy', path.join(EVENTS, 'proxy-get-own-record.json')]);
  expect(res.status).toBe(0);
  const out = JSON.parse(res.stdout) as { statusCode: number; body: string };
  expect(out.statusCode).toBe(200);
  expect(JSON.parse(out.body)).toMatchObject({ enrolleeId: '1001', memberSsn: '***-**-6789' });
});

test('bad arguments print the usage and exit 2', () => {
  const res = invoke(['nope']);
  expect(res.status).toBe(2);
  expect(res.stderr).toContain('usage: npm run invoke');
});
