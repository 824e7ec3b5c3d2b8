/**
 * Token introspection: the authorizer's RFC 7662 client
 * (functions/shared/introspection.ts) against the Okta stand-in's
 * introspection/revocation service (local/okta/introspection.ts) — client
 * authentication (private_key_jwt, client_secret_basic/post), active /
 * inactive / revoked, the positive-only cache and its bounds, and every way
 * introspection can be unavailable (fail closed).
 */
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import {
  cacheKeyOf, clientAssertion, createIntrospector, parseClientCredentials, type ClientAuthMethod, type ClientCredentials, type Introspector,
} from '../../functions/shared/introspection';
import { IntrospectionUnavailableError, InvalidTokenError } from '../../functions/shared/errors';
import { cachedSecret, SecretReadError, type SecretSource } from '../../functions/shared/secrets';
import type { VerifiedToken } from '../../functions/shared/token-verifier';
import { GATEWAY_CLIENT, ISSUING_CLIENT, startIntrospectionServer, type IntrospectionServer } from './support/introspection-server';
import { startServer, type LocalServer } from './support/servers';

let idp: IntrospectionServer;
beforeAll(async () => {
  idp = await startIntrospectionServer();
});
afterAll(() => idp.close());
beforeEach(() => idp.service.setAvailable(true));

function verified(jwt: string): VerifiedToken {
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  return { sub: String(payload.sub), payload, scopes: [] };
}

const gatewayKeyCredentials = (): Promise<ClientCredentials> => Promise.resolve({ kind: 'private_key', key: idp.gatewayKey, kid: undefined });
const gatewaySecret = (): Promise<ClientCredentials> => Promise.resolve({ kind: 'secret', clientSecret: GATEWAY_CLIENT.clientSecret });

function introspector(opts: Partial<Parameters<typeof createIntrospector>[0]> = {}): Introspector {
  return createIntrospector({
    endpoint: new URL(idp.endpoint),
    clientId: GATEWAY_CLIENT.clientId,
    clientAuth: 'private_key_jwt',
    credentials: gatewayKeyCredentials,
    timeoutMs: 1000,
    cacheMaxTtlSeconds: 30,
    cacheMaxEntries: 100,
    ...opts,
  });
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('client authentication', () => {
  it.each<[ClientAuthMethod, () => Promise<ClientCredentials>]>([
    ['private_key_jwt', gatewayKeyCredentials],
    ['client_secret_basic', gatewaySecret],
    ['client_secret_post', gatewaySecret],
  ])('%s: an active token is confirmed', async (clientAuth, credentials) => {
    const jwt = idp.token();
    await expect(introspector({ clientAuth, credentials }).introspect(jwt, verified(jwt))).resolves.toEqual({ cached: false });
  });

  it('a wrong secret is refused by the endpoint: unavailable (a credentials problem), never an allow', async () => {
    const jwt = idp.token();
    const error = await failure(introspector({ clientAuth: 'client_secret_basic', credentials: () => Promise.resolve({ kind: 'secret', clientSecret: 'wrong' }) }).introspect(jwt, verified(jwt)));
    expect(error).toBeInstanceOf(IntrospectionUnavailableError);
    expect((error as IntrospectionUnavailableError).reason).toBe('introspection_client_rejected');
  });

  it('a client assertion signed with another key is refused', async () => {
    const other = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const jwt = idp.token();
    const error = await failure(introspector({ credentials: () => Promise.resolve({ kind: 'private_key', key: other, kid: undefined }) }).introspect(jwt, verified(jwt)));
    expect((error as IntrospectionUnavailableError).reason).toBe('introspection_client_rejected');
  });

  it('the stand-in refuses a replayed client assertion and one for another audience', async () => {
    const jwt = idp.token();
    const post = (assertion: string): Promise<Response> => fetch(idp.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: jwt, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }).toString(),
    });
    const assertion = clientAssertion(GATEWAY_CLIENT.clientId, idp.endpoint, idp.gatewayKey, undefined, Date.now());
    expect((await post(assertion)).status).toBe(200);
    expect((await post(assertion)).status).toBe(401);
    expect((await post(clientAssertion(GATEWAY_CLIENT.clientId, 'https://elsewhere.example/v1/introspect', idp.gatewayKey, undefined, Date.now()))).status).toBe(401);
  });

  it('the stand-in refuses two authentication methods in one request', async () => {
    const basic = Buffer.from(`${GATEWAY_CLIENT.clientId}:${GATEWAY_CLIENT.clientSecret}`).toString('base64');
    const res = await fetch(idp.endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: idp.token(), client_id: GATEWAY_CLIENT.clientId, client_secret: GATEWAY_CLIENT.clientSecret }).toString(),
    });
    expect(res.status).toBe(401);
  });
});

describe('answers', () => {
  it('the stand-in reports Okta fields for an active token, and active:false for a forged or expired one', async () => {
    const basic = Buffer.from(`${GATEWAY_CLIENT.clientId}:${GATEWAY_CLIENT.clientSecret}`).toString('base64');
    const ask = async (token: string): Promise<Record<string, unknown>> => (await (await fetch(idp.endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    })).json()) as Record<string, unknown>;
    const jwt = idp.token();
    expect(await ask(jwt)).toMatchObject({ active: true, sub: 'alice@acme.example', client_id: ISSUING_CLIENT.clientId, token_type: 'Bearer', scope: 'claims:read claims:write' });
    const [h, p] = jwt.split('.');
    expect(await ask(`${h}.${p}.${Buffer.from('forged').toString('base64url')}`)).toEqual({ active: false });
    expect(await ask(idp.token({ exp: Math.floor(Date.now() / 1000) - 5 }))).toEqual({ active: false });
  });

  it('a revoked token is inactive → InvalidTokenError token_inactive (401)', async () => {
    const jwt = idp.token();
    const intro = introspector({ cacheMaxTtlSeconds: 0 });
    await intro.introspect(jwt, verified(jwt));
    expect(await idp.revoke(jwt)).toBe(200);
    const error = await failure(intro.introspect(jwt, verified(jwt)));
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect((error as InvalidTokenError).reason).toBe('token_inactive');
  });

  it('only the issuing client revokes a token (RFC 7009 §2.1); revoking another client\'s token changes nothing', async () => {
    const jwt = idp.token();
    const basic = Buffer.from(`${GATEWAY_CLIENT.clientId}:${GATEWAY_CLIENT.clientSecret}`).toString('base64');
    const res = await fetch(idp.revokeEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: jwt }).toString(),
    });
    expect(res.status).toBe(200);
    await expect(introspector({ cacheMaxTtlSeconds: 0 }).introspect(jwt, verified(jwt))).resolves.toEqual({ cached: false });
  });

  it('an active answer about another subject is not accepted', async () => {
    const fake = await startServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end('{"active":true,"sub":"mallory"}'); });
    try {
      const jwt = idp.token();
      const error = await failure(introspector({ endpoint: new URL(fake.url) }).introspect(jwt, verified(jwt)));
      expect((error as InvalidTokenError).reason).toBe('token_inactive');
    } finally {
      await fake.close();
    }
  });
});

describe('the positive-only cache', () => {
  it('reuses an active answer until the TTL, then asks again and sees the revocation', async () => {
    let now = Date.now();
    const intro = introspector({ cacheMaxTtlSeconds: 10, now: () => now });
    const jwt = idp.token();
    const before = idp.service.status().introspections;
    await expect(intro.introspect(jwt, verified(jwt))).resolves.toEqual({ cached: false });
    await idp.revoke(jwt);
    now += 9_000;
    await expect(intro.introspect(jwt, verified(jwt))).resolves.toEqual({ cached: true });
    expect(idp.service.status().introspections).toBe(before + 1);
    now += 1_001;
    expect(((await failure(intro.introspect(jwt, verified(jwt)))) as InvalidTokenError).reason).toBe('token_inactive');
  });

  it('never caches an inactive answer: every retry asks the issuer', async () => {
    const intro = introspector();
    const jwt = idp.token();
    await idp.revoke(jwt);
    const before = idp.service.status().introspections;
    for (let i = 0; i < 3; i++) await failure(intro.introspect(jwt, verified(jwt)));
    expect(idp.service.status().introspections).toBe(before + 3);
  });

  it('an entry never outlives the token\'s exp', async () => {
    const exp = Math.floor(Date.now() / 1000) + 5;
    let now = Date.now();
    const intro = introspector({ cacheMaxTtlSeconds: 300, now: () => now });
    const jwt = idp.token({ exp });
    await intro.introspect(jwt, verified(jwt));
    now = exp * 1000 + 1;
    const before = idp.service.status().introspections;
    // Past exp (on the introspector's clock) the issuer is asked again (its own clock still says active).
    await expect(intro.introspect(jwt, verified(jwt))).resolves.toEqual({ cached: false });
    expect(idp.service.status().introspections).toBe(before + 1);
  });

  it('is bounded in size (the oldest entry goes first)', async () => {
    const intro = introspector({ cacheMaxEntries: 2 });
    const [a, b, c] = [idp.token(), idp.token(), idp.token()];
    for (const t of [a, b, c]) await intro.introspect(t, verified(t));
    await expect(intro.introspect(c, verified(c))).resolves.toEqual({ cached: true });
    await expect(intro.introspect(a, verified(a))).resolves.toEqual({ cached: false });
  });

  it('keys by issuer + jti, or a sha256 of the token without a usable jti; the token never appears in a key', () => {
    const jwt = idp.token({ jti: 'AT.abc' });
    expect(cacheKeyOf(jwt, verified(jwt))).toBe(`jti:${idp.issuer}\nAT.abc`);
    const noJti = idp.token({ jti: undefined });
    const key = cacheKeyOf(noJti, verified(noJti));
    expect(key).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain(noJti.split('.')[2]);
  });
});

describe('unavailable → IntrospectionUnavailableError (fail closed)', () => {
  const reasonOf = async (intro: Introspector): Promise<string> => {
    const jwt = idp.token();
    const error = await failure(intro.introspect(jwt, verified(jwt)));
    expect(error).toBeInstanceOf(IntrospectionUnavailableError);
    return (error as IntrospectionUnavailableError).reason;
  };

  it('the issuer answers 503', async () => {
    idp.service.setAvailable(false);
    expect(await reasonOf(introspector())).toBe('introspection_error');
  });

  it('nothing listens', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    expect(await reasonOf(introspector({ endpoint: new URL(`http://127.0.0.1:${port}/v1/introspect`) }))).toBe('introspection_unreachable');
  });

  describe('misbehaving endpoints', () => {
    let hang: LocalServer;
    let notJson: LocalServer;
    let noActive: LocalServer;
    beforeAll(async () => {
      hang = await startServer(() => undefined);
      notJson = await startServer((_q, res) => { res.writeHead(200).end('<html>'); });
      noActive = await startServer((_q, res) => { res.writeHead(200).end('{"active":"yes"}'); });
    });
    afterAll(async () => {
      await Promise.all([hang.close(), notJson.close(), noActive.close()]);
    });
    it('no answer within the timeout', async () => {
      expect(await reasonOf(introspector({ endpoint: new URL(hang.url), timeoutMs: 100 }))).toBe('introspection_timeout');
    });
    it('not JSON, or no boolean active', async () => {
      expect(await reasonOf(introspector({ endpoint: new URL(notJson.url) }))).toBe('introspection_bad_response');
      expect(await reasonOf(introspector({ endpoint: new URL(noActive.url) }))).toBe('introspection_bad_response');
    });
  });

  it('credentials that cannot be read', async () => {
    expect(await reasonOf(introspector({ credentials: () => Promise.reject(new SecretReadError('GetSecretValue failed (AccessDeniedException)')) }))).toBe('introspection_credentials');
  });
});

describe('credentials secret', () => {
  it('parses a PEM private key or a client secret for the configured method, never echoing the value', () => {
    const pem = idp.gatewayKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const parsedKey = parseClientCredentials('private_key_jwt')(JSON.stringify({ privateKeyPem: pem, kid: 'k-1' }));
    expect(parsedKey).toMatchObject({ kind: 'private_key', kid: 'k-1' });
    expect(parseClientCredentials('client_secret_post')(JSON.stringify({ clientSecret: 's3cr3t-value' }))).toEqual({ kind: 'secret', clientSecret: 's3cr3t-value' });
    for (const [method, raw] of [['client_secret_basic', '{"privateKeyPem":"x"}'], ['private_key_jwt', '{"privateKeyPem":"s3cr3t-value"}'], ['private_key_jwt', 's3cr3t-value']] as const) {
      let message = '';
      try {
        parseClientCredentials(method)(raw);
      } catch (error) {
        expect(error).toBeInstanceOf(SecretReadError);
        message = (error as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain('s3cr3t-value');
    }
  });

  it('is read once per container; a failed read is retried on the next call', async () => {
    let calls = 0;
    const source: SecretSource = { kind: 'secrets_manager', secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x' };
    const read = cachedSecret(source, (raw) => raw, async () => {
      calls++;
      if (calls === 1) throw new SecretReadError('throttled');
      return 'value';
    });
    await expect(read()).rejects.toThrow('throttled');
    await expect(read()).resolves.toBe('value');
    await expect(read()).resolves.toBe('value');
    expect(calls).toBe(2);
  });
});
