/**
 * The Okta stand-in rotates its signing key like Okta (publish a new key,
 * sign with it, retire the old one) through its LOCAL-ONLY admin endpoint,
 * driven by the test helper (local/okta/admin-client.ts) and by
 * `npm run rotate-keys`; it counts JWKS fetches and can fake a JWKS outage.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JwtVerifier } from 'aws-jwt-verify';
import { oktaJwksAvailable, oktaKeys, oktaStatus, OktaAdminError } from '../../local/okta/admin-client';
import { KEY_FILE, KEY_RING_FILE, KeyRing, KeyRingError } from '../../local/okta/keys';
import { ADMIN_HEADER } from '../../local/okta/server';
import { requestToken } from '../../local/okta/token-client';
import { decodeHeader } from '../e2e/helpers/forged-tokens';
import { REPO_ROOT, startStackProcess, type StackProcess } from '../e2e/helpers/stack-process';
import { rawRequest } from './helpers/http';

let stack: StackProcess;

beforeAll(async () => {
  stack = await startStackProcess({
    LOCAL_AUTHORIZER_MODULE: path.join(__dirname, 'fixtures', 'allow-own-path-authorizer.ts'),
    LOCAL_CLAIMS_PROXY_MODULE: path.join(__dirname, 'fixtures', 'echo-integration.ts'),
    LOCAL_SKIP_POLICY_BUILD: '1',
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

async function publishedKids(): Promise<string[]> {
  const jwks = (await (await fetch(`${stack.issuer}/v1/keys`)).json()) as { keys: Array<Record<string, unknown>> };
  for (const k of jwks.keys) for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(k).not.toHaveProperty(priv);
  return jwks.keys.map((k) => String(k.kid));
}

async function tokenKid(): Promise<string> {
  return String(decodeHeader((await requestToken({ tokenEndpoint: stack.tokenEndpoint, username: 'alice' })).accessToken).kid);
}

describe('Okta stand-in key rotation', () => {
  test('add publishes a new key, activate signs with it, retire removes the old one; tokens verify against the published JWKS', async () => {
    const start = await oktaStatus(stack.okta);
    expect(start.published).toEqual([start.active]);
    const oldKid = start.active;
    expect(await tokenKid()).toBe(oldKid);

    const added = await oktaKeys(stack.okta, 'add');
    expect(added.active).toBe(oldKid); // published ahead, not signing yet
    const newKid = added.published[1] as string;
    expect(added.published).toEqual([oldKid, newKid]);
    expect((await publishedKids()).sort()).toEqual([oldKid, newKid].sort());
    expect(await tokenKid()).toBe(oldKid);

    expect((await oktaKeys(stack.okta, 'activate')).active).toBe(newKid);
    const { accessToken } = await requestToken({ tokenEndpoint: stack.tokenEndpoint, username: 'alice' });
    expect(decodeHeader(accessToken).kid).toBe(newKid);
    const verifier = JwtVerifier.create({ issuer: stack.issuer, audience: 'api://default', jwksUri: `${stack.issuer}/v1/keys` });
    verifier.cacheJwks((await (await fetch(`${stack.issuer}/v1/keys`)).json()) as Parameters<typeof verifier.cacheJwks>[0]);
    await expect(verifier.verify(accessToken)).resolves.toMatchObject({ sub: 'alice@acme.example' });

    expect((await oktaKeys(stack.okta, 'retire')).published).toEqual([newKid]);
    expect(await publishedKids()).toEqual([newKid]);
    await expect(oktaKeys(stack.okta, 'retire')).rejects.toMatchObject({ status: 409 });
    await expect(oktaKeys(stack.okta, 'activate')).rejects.toBeInstanceOf(OktaAdminError);

    // rotate = add + activate in one step; the previous key stays published
    const rotated = await oktaKeys(stack.okta, 'rotate');
    expect(rotated.published).toEqual([newKid, rotated.active]);
    expect(rotated.active).not.toBe(newKid);
    expect(await tokenKid()).toBe(rotated.active);

    // the ring is kept in LOCAL_KEYS_DIR, private, and the single-key file follows the signing key
    const ringFile = path.join(stack.keysDir, KEY_RING_FILE);
    expect(fs.statSync(ringFile).mode & 0o777).toBe(0o600);
    expect((JSON.parse(fs.readFileSync(path.join(stack.keysDir, KEY_FILE), 'utf8')) as { kid: string }).kid).toBe(rotated.active);
    await oktaKeys(stack.okta, 'retire');
  });

  test('counts JWKS fetches and fakes an outage: 503 while down, keys again when up', async () => {
    const before = (await oktaStatus(stack.okta)).jwksFetches;
    expect((await oktaJwksAvailable(stack.okta, false)).jwksAvailable).toBe(false);
    expect((await fetch(`${stack.issuer}/v1/keys`)).status).toBe(503);
    await oktaJwksAvailable(stack.okta, true);
    expect((await fetch(`${stack.issuer}/v1/keys`)).status).toBe(200);
    const after = await oktaStatus(stack.okta);
    expect(after.jwksFetches - before).toBe(2);
    expect(after.jwksFetchTimes.length).toBe(after.jwksFetches);
  });

  test('the admin endpoint is local-only: it needs the admin header and a loopback Host', async () => {
    const okta = stack.okta;
    expect((await rawRequest(okta, 'POST', '/__admin/keys/rotate', {})).status).toBe(403);
    expect((await rawRequest(okta, 'POST', '/__admin/keys/rotate', { [ADMIN_HEADER]: '1', Host: 'evil.example' })).status).toBe(403);
    expect((await rawRequest(okta, 'POST', '/__admin/keys/explode', { [ADMIN_HEADER]: '1' })).status).toBe(404);
    expect((await oktaStatus(okta)).published).toHaveLength(1); // nothing rotated
  });

  test('npm run rotate-keys talks to the running stand-in', () => {
    const port = new URL(stack.okta).port;
    const run = (args: string[]): ReturnType<typeof spawnSync> =>
      spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [path.join(REPO_ROOT, 'local', 'rotate-keys.ts'), ...args], {
        cwd: REPO_ROOT,
        env: { ...process.env, OKTA_PORT: port },
        encoding: 'utf8',
        timeout: 30_000,
      });
    const rotated = run([]);
    expect(rotated.status).toBe(0);
    expect(String(rotated.stdout)).toMatch(/signing key {2}\S+\nJWKS keys {4}\S+, \S+ \(signing\)/);
    expect(String(rotated.stdout)).toContain('rotate-keys -- retire');
    const retired = run(['retire']);
    expect(retired.status).toBe(0);
    expect(String(retired.stdout)).toMatch(/JWKS keys {4}\S+ \(signing\)\n/);
    const bad = run(['explode']);
    expect(bad.status).toBe(1);
    expect(String(bad.stderr)).toContain('usage: npm run rotate-keys');
  });
});

describe('KeyRing', () => {
  test('is reloaded from its directory after a restart, and refuses steps that do not apply', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'okta-ring-'));
    try {
      const ring = KeyRing.load(dir);
      const first = ring.active.kid;
      expect(() => ring.retire()).toThrow(KeyRingError);
      expect(() => ring.activate()).toThrow(KeyRingError);
      ring.rotate();
      const again = KeyRing.load(dir);
      expect(again.status()).toEqual(ring.status());
      expect(again.status().published).toEqual([first, ring.active.kid]);
      expect(again.publicJwks().keys[0]?.kid).toBe(ring.active.kid); // the signing key first
      for (let i = again.status().published.length; i < 4; i++) again.add();
      expect(() => again.add()).toThrow(KeyRingError); // bounded
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
