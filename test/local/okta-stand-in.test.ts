/**
 * The Okta stand-in is a real OIDC server with Okta's URL layout and
 * access-token shapes (started through `local/start.ts`, the `npm start`
 * entry, because oidc-provider is ESM-only).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JwtVerifier } from 'aws-jwt-verify';
import { requestToken } from '../../local/okta/token-client';
import { decodeHeader, decodePayload } from '../e2e/helpers/forged-tokens';
import { REPO_ROOT, startStackProcess, type StackProcess } from '../e2e/helpers/stack-process';

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

describe('Okta stand-in', () => {
  test('serves discovery under both well-known names with Okta paths', async () => {
    for (const name of ['openid-configuration', 'oauth-authorization-server']) {
      const meta = (await (await fetch(`${stack.issuer}/.well-known/${name}`)).json()) as Record<string, unknown>;
      expect(meta.issuer).toBe(stack.issuer);
      expect(meta.jwks_uri).toBe(`${stack.issuer}/v1/keys`);
      expect(meta.token_endpoint).toBe(`${stack.issuer}/v1/token`);
      expect(meta.grant_types_supported).toEqual(expect.arrayContaining(['client_credentials']));
    }
    expect(stack.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth2\/default$/);
  });

  test('publishes one RS256 public key with a kid and no private members', async () => {
    const jwks = (await (await fetch(`${stack.issuer}/v1/keys`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String) });
    for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwks.keys[0]).not.toHaveProperty(priv);
  });

  test('a client_credentials token has Okta claims: scp array, cid, ver, AT. jti, no uid or enrollee claims, no typ header', async () => {
    const { accessToken } = await requestToken({ tokenEndpoint: stack.tokenEndpoint, clientId: 'acme-audit-service' });
    const h = decodeHeader(accessToken);
    expect(h).toEqual({ alg: 'RS256', kid: expect.any(String) });
    const p = decodePayload(accessToken);
    expect(p).toMatchObject({ ver: 1, iss: stack.issuer, aud: 'api://default', sub: 'acme-audit-service', cid: 'acme-audit-service', scp: ['claims:audit', 'claims:read'] });
    expect(String(p.jti)).toMatch(/^AT\./);
    expect(typeof p.iat).toBe('number');
    expect(p.exp).toBe((p.iat as number) + 3600);
    for (const absent of ['uid', 'enrolleeId', 'enrolleeType', 'scope', 'client_id']) expect(p).not.toHaveProperty(absent);
  });

  test('a member token (dev grant) carries uid, login sub, enrolleeId, enrolleeType, groups and dependants', async () => {
    const { accessToken } = await requestToken({ tokenEndpoint: stack.tokenEndpoint, username: 'alice' });
    expect(decodePayload(accessToken)).toMatchObject({
      sub: 'alice@acme.example', cid: 'acme-dev-cli', uid: expect.any(String), enrolleeId: '1001', enrolleeType: 'primary',
      groups: expect.arrayContaining(['Everyone']), dependants: ['1002', '1003', '1004'], scp: ['claims:read', 'claims:write'],
    });
    const bob = decodePayload((await requestToken({ tokenEndpoint: stack.tokenEndpoint, username: 'bob', scopes: ['claims:read'] })).accessToken);
    expect(bob).toMatchObject({ enrolleeId: '1002', enrolleeType: 'secondary', scp: ['claims:read'] });
    expect(bob).not.toHaveProperty('dependants');
  });

  test('its tokens verify with aws-jwt-verify against its JWKS (issuer, audience, RS256)', async () => {
    const verifier = JwtVerifier.create({ issuer: stack.issuer, audience: 'api://default', jwksUri: `${stack.issuer}/v1/keys` });
    // The library's own fetcher is https-only; hand it the JWKS fetched over loopback http.
    verifier.cacheJwks((await (await fetch(`${stack.issuer}/v1/keys`)).json()) as Parameters<typeof verifier.cacheJwks>[0]);
    const { accessToken } = await requestToken({ tokenEndpoint: stack.tokenEndpoint, username: 'carol' });
    await expect(verifier.verify(accessToken)).resolves.toMatchObject({ enrolleeId: '2001' });
  });

  test('an ID token is issued for openid: audience is the client id, no scp or cid', async () => {
    const res = await requestToken({ tokenEndpoint: stack.tokenEndpoint, username: 'alice', scopes: ['openid', 'claims:read'] });
    expect(res.idToken).toBeDefined();
    const p = decodePayload(res.idToken ?? '');
    expect(p).toMatchObject({ iss: stack.issuer, aud: 'acme-dev-cli', sub: 'alice@acme.example' });
    expect(p).not.toHaveProperty('scp');
    expect(p).not.toHaveProperty('cid');
  });

  test('a negative lifetime gives an already expired token; another resource gives another audience', async () => {
    const expired = decodePayload((await requestToken({ tokenEndpoint: stack.tokenEndpoint, username: 'alice', lifetimeSeconds: -120 })).accessToken);
    expect(expired.exp as number).toBeLessThan(Date.now() / 1000 - 100);
    const other = decodePayload((await requestToken({ tokenEndpoint: stack.tokenEndpoint, username: 'alice', audience: 'api://billing' })).accessToken);
    expect(other.aud).toBe('api://billing');
  });

  test('refuses a wrong client secret, the dev grant for a service client, an unknown user and a scope the client lacks', async () => {
    const form = (body: Record<string, string>, auth: string) => fetch(stack.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });
    const wrongSecret = await form({ grant_type: 'client_credentials' }, 'acme-audit-service:nope');
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toMatchObject({ error: 'invalid_client' });
    const devForService = await form({ grant_type: 'urn:acme:params:oauth:grant-type:dev-user', username: 'alice' }, 'acme-audit-service:dev-only-acme-audit-service-secret');
    expect(devForService.status).toBe(400);
    await expect(requestToken({ tokenEndpoint: stack.tokenEndpoint, username: 'mallory' })).rejects.toThrow(/unknown user/);
    const unknownUser = await form({ grant_type: 'urn:acme:params:oauth:grant-type:dev-user', username: 'mallory' }, 'acme-dev-cli:dev-only-acme-dev-cli-secret');
    expect(await unknownUser.json()).toMatchObject({ error: 'invalid_grant' });
    await expect(requestToken({ tokenEndpoint: stack.tokenEndpoint, clientId: 'acme-reporting-service', scopes: ['claims:audit'] })).rejects.toThrow(/invalid_scope/);
  });

  test('the private signing key lives only in the keys directory, readable by the owner only', () => {
    const file = path.join(stack.keysDir, 'okta-signing-key.json');
    expect(fs.statSync(file).mode & 0o077).toBe(0);
    const ignored = spawnSync('git', ['check-ignore', '-q', 'local/.keys/okta-signing-key.json'], { cwd: REPO_ROOT });
    expect(ignored.status).toBe(0);
  });

  test('npm run token prints only the access token', () => {
    const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
    const res = spawnSync(tsx, [path.join(REPO_ROOT, 'local', 'token.ts'), 'john', '--scope', 'claims:read'], {
      env: { ...process.env, OKTA_TOKEN_ENDPOINT: stack.tokenEndpoint }, encoding: 'utf8',
    });
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(decodePayload(res.stdout.trim())).toMatchObject({ enrolleeId: '1003', scp: ['claims:read'] });
    const usage = spawnSync(tsx, [path.join(REPO_ROOT, 'local', 'token.ts')], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stdout).toBe('');
  });
});
