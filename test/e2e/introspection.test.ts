/**
 * Token introspection on the local stack (README "Token introspection"),
 * over real HTTP: the gateway's authorizer introspects at the Okta
 * stand-in's /v1/introspect (private_key_jwt with the key the stack made at
 * start-up); a token revoked at /v1/revoke is refused within the cache bound
 * in introspection mode and still accepted in local mode; introspection down
 * fails closed; a policy can require introspection for writes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { oktaIntrospectionAvailable } from '../../local/okta/admin-client';
import { DEV_CLIENT_ID, findClient } from '../../local/okta/directory';
import { call, userToken } from './helpers/acme-client';
import { outputMatching, REPO_ROOT, startStackProcess, type StackProcess } from './helpers/stack-process';

const CACHE_TTL_SECONDS = 2;
const RECORD = '/v1/claims/enrollee/1001';
const CLAIM = { dateOfService: '2026-11-02', provider: 'Acme Clinic', procedure: 'checkup', enrolleeResponsibilityAmount: 20 };

/** Revoke as the client the token was issued to (acme-dev-cli), as a member's app would at sign-out. */
async function revoke(stack: StackProcess, token: string): Promise<void> {
  const client = findClient(DEV_CLIENT_ID);
  if (!client) throw new Error('dev client missing from the directory');
  const basic = Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64');
  const res = await fetch(`${stack.issuer}/v1/revoke`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
  });
  expect(res.status).toBe(200);
}

/** The first time `check` holds, in ms from now (undefined if not within `ms`). */
async function within(ms: number, check: () => Promise<boolean>): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start <= ms) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

describe('introspection mode "all" (authorizer cache off, introspection cache 2 s)', () => {
  let stack: StackProcess;
  beforeAll(async () => {
    stack = await startStackProcess({ INTROSPECTION_MODE: 'all', INTROSPECTION_CACHE_TTL_SECONDS: String(CACHE_TTL_SECONDS), AUTHORIZER_CACHE_TTL: '0' });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  test('an active token passes; once revoked it is refused (401) within the introspection cache bound', async () => {
    const alice = await userToken(stack, 'alice');
    expect((await call(stack, 'GET', RECORD, alice)).status).toBe(200);
    await revoke(stack, alice);
    // The bound is the cache TTL after the last positive answer, plus one request's latency (slack for a loaded CI machine).
    const refusedAfter = await within((CACHE_TTL_SECONDS + 5) * 1000, async () => (await call(stack, 'GET', RECORD, alice)).status === 401);
    expect(refusedAfter).toBeDefined();
    expect(refusedAfter).toBeLessThanOrEqual((CACHE_TTL_SECONDS + 2) * 1000);
    const res = await call(stack, 'GET', RECORD, alice);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    // Another member's token is unaffected.
    expect((await call(stack, 'GET', '/v1/claims/enrollee/1002', await userToken(stack, 'bob'))).status).toBe(200);
    expect(stack.output()).not.toContain(alice);
  });

  test('introspection down: 503 + Retry-After (fail closed) for a token it has not confirmed; back up: 200', async () => {
    const okta = new URL(stack.issuer).origin;
    const bob = await userToken(stack, 'bob');
    await oktaIntrospectionAvailable(okta, false);
    try {
      const res = await call(stack, 'GET', '/v1/claims/enrollee/1002', bob);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.body).not.toContain('1002');
    } finally {
      await oktaIntrospectionAvailable(okta, true);
    }
    expect((await call(stack, 'GET', '/v1/claims/enrollee/1002', bob)).status).toBe(200);
  });
});

describe('local validation (INTROSPECTION_MODE unset, the default)', () => {
  let stack: StackProcess;
  beforeAll(async () => {
    stack = await startStackProcess({ AUTHORIZER_CACHE_TTL: '0' });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  test('a revoked token is still accepted until it expires: local validation cannot see a revocation', async () => {
    const alice = await userToken(stack, 'alice');
    await revoke(stack, alice);
    await new Promise((r) => setTimeout(r, (CACHE_TTL_SECONDS + 1) * 1000));
    expect((await call(stack, 'GET', RECORD, alice)).status).toBe(200);
  });
});

describe('a policy that requires introspection for writes (data: products.claims.introspection.access = ["write"])', () => {
  let dir: string;
  const stacks: StackProcess[] = [];
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-introspection-policies-'));
    // The whole policy folder, sub-packages (system/log/mask.rego) included; not a previous build.
    fs.cpSync(path.join(REPO_ROOT, 'policies'), dir, { recursive: true, filter: (src) => path.basename(src) !== 'build' });
    const data = JSON.parse(fs.readFileSync(path.join(dir, 'data.json'), 'utf8')) as { acme: { api: { products: { claims: { introspection: unknown } } } } };
    data.acme.api.products.claims.introspection = { access: ['write'], on_unavailable: 'fail_closed' };
    fs.writeFileSync(path.join(dir, 'data.json'), JSON.stringify(data));
  });
  afterAll(async () => {
    for (const s of stacks) await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('mode policy: writes are introspected (allowed, then 401 once revoked), reads stay local', async () => {
    const stack = await startStackProcess({ LOCAL_POLICY_DIR: dir, LOCAL_WATCH: '0', INTROSPECTION_MODE: 'policy', INTROSPECTION_CACHE_TTL_SECONDS: '0', AUTHORIZER_CACHE_TTL: '0' });
    stacks.push(stack);
    const alice = await userToken(stack, 'alice');
    expect((await call(stack, 'POST', RECORD, alice, CLAIM)).status).toBe(201);
    await revoke(stack, alice);
    expect((await call(stack, 'POST', RECORD, alice, CLAIM)).status).toBe(401);
    // The read is not sensitive: validated locally, a revocation is not seen.
    expect((await call(stack, 'GET', RECORD, alice)).status).toBe(200);
  }, 90_000);

  test('without introspection the same write is refused by the policy (403 introspection_required)', async () => {
    const stack = await startStackProcess({ LOCAL_POLICY_DIR: dir, LOCAL_WATCH: '0', AUTHORIZER_CACHE_TTL: '0' });
    stacks.push(stack);
    const alice = await userToken(stack, 'alice');
    const res = await call(stack, 'POST', RECORD, alice, CLAIM);
    expect(res.status).toBe(403);
    expect(await outputMatching(stack, /"reason":"introspection_required"/)).toMatch(/"reason":"introspection_required"/);
    expect((await call(stack, 'GET', RECORD, alice)).status).toBe(200);
  }, 90_000);
});
