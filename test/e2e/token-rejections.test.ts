/**
 * DESIGN.md §7 rows for bad credentials, over real HTTP: every one is a 401
 * with a Bearer challenge, and none reaches the backend.
 */
import { backendRequests, call, userToken } from './helpers/acme-client';
import { algNone, badSignature, hs256WithPublicKey, resignWith, unknownKid } from './helpers/forged-tokens';
import { startStackProcess, type StackProcess } from './helpers/stack-process';
import { rawRequest } from '../local/helpers/http';
import { requestToken } from '../../local/okta/token-client';

let stack: StackProcess;
let alice: string;

beforeAll(async () => {
  stack = await startStackProcess();
  alice = await userToken(stack, 'alice');
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

const PATH = '/v1/claims/enrollee/1001';

async function expect401(authorization: string | undefined): Promise<void> {
  const before = (await backendRequests(stack)).length;
  const res = await rawRequest(stack.gateway, 'GET', PATH, authorization === undefined ? {} : { Authorization: authorization });
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
  expect(res.json()).toMatchObject({ message: 'Unauthorized' });
  expect((await backendRequests(stack)).length).toBe(before);
}

describe('401 for missing or bad credentials', () => {
  test('the genuine token works (control)', async () => {
    expect((await call(stack, 'GET', PATH, alice)).status).toBe(200);
  });

  test('missing Authorization header', () => expect401(undefined));

  test.each([
    ['Basic scheme', 'Basic YWxpY2U6c2VjcmV0'],
    ['Bearer without a token', 'Bearer'],
    ['Bearer with two tokens', 'Bearer a.b.c d.e.f'],
    ['token without scheme', 'eyJhbGciOiJSUzI1NiJ9.e30.sig'],
    ['garbage JWT', 'Bearer not-a-jwt'],
  ])('malformed header: %s', (_name, header) => expect401(header));

  test('expired token (issued by the stand-in with a past exp)', async () => {
    await expect401(`Bearer ${await userToken(stack, 'alice', { lifetimeSeconds: -600 })}`);
  });

  test('wrong audience (a genuine token for api://billing)', async () => {
    await expect401(`Bearer ${await userToken(stack, 'alice', { audience: 'api://billing' })}`);
  });

  test('wrong issuer (signed with the real key)', () => expect401(`Bearer ${resignWith(stack.keysDir, alice, { iss: 'http://127.0.0.1:1/oauth2/default' })}`));

  test('issuer with a trailing slash', () => expect401(`Bearer ${resignWith(stack.keysDir, alice, { iss: `${stack.issuer}/` })}`));

  test('token without exp (signed with the real key)', () => expect401(`Bearer ${resignWith(stack.keysDir, alice, { exp: undefined })}`));

  test('alg none', () => expect401(`Bearer ${algNone(alice)}`));

  test('HS256 signed with the public key as the HMAC secret', () => expect401(`Bearer ${hs256WithPublicKey(stack.keysDir, alice)}`));

  test('unknown kid (a key the issuer never published)', () => expect401(`Bearer ${unknownKid(alice)}`));

  test('known kid, forged signature', () => expect401(`Bearer ${badSignature(stack.keysDir, alice)}`));

  test('an ID token is not an access token', async () => {
    const res = await requestToken({ tokenEndpoint: stack.tokenEndpoint, username: 'alice', scopes: ['openid', 'claims:read'] });
    await expect401(`Bearer ${res.idToken ?? ''}`);
  });
});
