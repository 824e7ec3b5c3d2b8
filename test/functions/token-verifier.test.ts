/**
 * Okta access-token verification against a real local JWKS endpoint:
 * every 401 case of issue #4 and the JWKS fail-closed behaviour.
 */
import { InvalidTokenError, JwksUnavailableError } from '../../functions/shared/errors';
import { JwtVerifier } from 'aws-jwt-verify';
import {
  FetchError, JwkInvalidKtyError, JwkInvalidUseError, JwksNotAvailableInCacheError, JwksValidationError, JwtExpiredError, JwtInvalidAudienceError,
  JwkValidationError, JwtInvalidIssuerError, JwtInvalidSignatureAlgorithmError, JwtInvalidSignatureError, JwtNotBeforeError, JwtParseError,
  JwtWithoutValidKidError, KidNotFoundInJwksError, NotSupportedError, ParameterValidationError, WaitPeriodNotYetEndedJwkError,
} from 'aws-jwt-verify/error';
import { createTokenVerifier, toTokenError, type TokenVerifier, type TokenVerifierOptions } from '../../functions/shared/token-verifier';
import { accessClaims, AUDIENCE, CLIENT_ID, ISSUER_PATH, rsaKey, signHs256WithPublicKey, signRs256, unsigned, verifierOptions, type TestKey } from './support/jwt';
import { JwksFetcher, MAX_JWKS_BYTES } from '../../functions/shared/jwks-fetcher';
import { startJwksServer, startServer, type JwksServer } from './support/servers';

let key: TestKey;
let otherKey: TestKey;
let jwks: JwksServer;
let issuer: string;

beforeAll(async () => {
  key = rsaKey('key-1');
  otherKey = rsaKey('key-2');
  jwks = await startJwksServer([key.jwk]);
  issuer = `${jwks.url}${ISSUER_PATH}`;
});

afterAll(async () => {
  await jwks.close();
});

beforeEach(() => {
  jwks.mode = 'ok';
  jwks.keys = [key.jwk];
});

function options(overrides: Partial<TokenVerifierOptions> = {}): TokenVerifierOptions {
  return verifierOptions(issuer, overrides);
}

async function rejection(verifier: TokenVerifier, jwt: string): Promise<unknown> {
  try {
    await verifier.verify(jwt);
  } catch (error) {
    return error;
  }
  throw new Error('token was accepted');
}

async function expectInvalid(jwt: string, reason: string, verifier = createTokenVerifier(options())): Promise<void> {
  const error = await rejection(verifier, jwt);
  expect(error).toBeInstanceOf(InvalidTokenError);
  expect((error as InvalidTokenError).reason).toBe(reason);
}

describe('valid Okta access token', () => {
  it('is accepted from the JWKS at {issuer}/v1/keys, with scp normalised to scopes', async () => {
    const verifier = createTokenVerifier(options());
    const token = await verifier.verify(signRs256(key, accessClaims(issuer)));
    expect(token.sub).toBe('alice@acme.example');
    expect(token.scopes).toEqual(['claims:read', 'claims:write']);
    expect(token.payload.enrolleeId).toBe('1001');
    expect(jwks.requests.at(-1)?.url).toBe(`${ISSUER_PATH}/v1/keys`);
  });

  it('accepts a space-separated `scope` string as scopes too', async () => {
    const claims = accessClaims(issuer, { scope: 'claims:read claims:audit' });
    delete claims.scp;
    const token = await createTokenVerifier(options()).verify(signRs256(key, claims));
    expect(token.scopes).toEqual(['claims:audit', 'claims:read']);
  });

  it('accepts one of several configured issuers', async () => {
    const verifier = createTokenVerifier(options({ issuers: ['https://other.example/oauth2/x', issuer], jwksUris: ['https://other.example/oauth2/x/v1/keys', `${issuer}/v1/keys`] }));
    await expect(verifier.verify(signRs256(key, accessClaims(issuer)))).resolves.toMatchObject({ sub: 'alice@acme.example' });
  });
});

describe('rejected tokens are 401 invalid_token', () => {
  const now = (): number => Math.floor(Date.now() / 1000);

  it('expired token: 401', async () => {
    await expectInvalid(signRs256(key, accessClaims(issuer, { iat: now() - 7200, exp: now() - 3600 })), 'expired');
  });

  it('token without exp: 401 (the library would accept it)', async () => {
    const claims = accessClaims(issuer);
    delete claims.exp;
    await expectInvalid(signRs256(key, claims), 'missing_exp');
  });

  it('token without sub, or with an empty or non-string sub: 401 (no principal to authorize)', async () => {
    const claims = accessClaims(issuer);
    delete claims.sub;
    await expectInvalid(signRs256(key, claims), 'missing_sub');
    await expectInvalid(signRs256(key, accessClaims(issuer, { sub: '' })), 'missing_sub');
    await expectInvalid(signRs256(key, accessClaims(issuer, { sub: 42 })), 'malformed_token');
  });

  it('audience array: accepted when it contains the API audience, rejected otherwise', async () => {
    const verifier = createTokenVerifier(options());
    await expect(verifier.verify(signRs256(key, accessClaims(issuer, { aud: ['api://billing', AUDIENCE] })))).resolves.toMatchObject({ sub: 'alice@acme.example' });
    await expectInvalid(signRs256(key, accessClaims(issuer, { aud: ['api://billing', 'api://other'] })), 'wrong_audience', verifier);
    await expectInvalid(signRs256(key, accessClaims(issuer, { aud: [] })), 'wrong_audience', verifier);
  });

  it('iat in the future beyond the skew: 401', async () => {
    await expectInvalid(signRs256(key, accessClaims(issuer, { iat: now() + 600 })), 'iat_in_future');
  });

  it('not-yet-valid token (nbf in the future): 401', async () => {
    await expectInvalid(signRs256(key, accessClaims(issuer, { nbf: now() + 600 })), 'not_yet_valid');
  });

  it('wrong audience: 401', async () => {
    await expectInvalid(signRs256(key, accessClaims(issuer, { aud: 'api://other' })), 'wrong_audience');
  });

  it('wrong issuer: 401', async () => {
    await expectInvalid(signRs256(key, accessClaims('https://evil.example/oauth2/default')), 'wrong_issuer');
  });

  it('issuer with a trailing slash is a different issuer: 401', async () => {
    await expectInvalid(signRs256(key, accessClaims(`${issuer}/`)), 'wrong_issuer');
  });

  it('alg none with an empty signature: 401', async () => {
    await expectInvalid(unsigned(key, accessClaims(issuer)), 'malformed_token');
  });

  it('alg none with a junk signature: 401', async () => {
    await expectInvalid(unsigned(key, accessClaims(issuer), 'AAAA'), 'algorithm_not_allowed');
  });

  it('HS256 signed with the RSA public key (key confusion): 401', async () => {
    await expectInvalid(signHs256WithPublicKey(key, accessClaims(issuer)), 'algorithm_not_allowed');
  });

  it('RS384 when only RS256 is allowed: 401', async () => {
    jwks.keys = [{ ...key.jwk, alg: 'RS384', kid: 'key-384' }];
    const { createSign } = await import('node:crypto');
    const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    const data = `${b64({ alg: 'RS384', kid: 'key-384' })}.${b64(accessClaims(issuer))}`;
    const sig = createSign('RSA-SHA384').update(data).sign(key.privateKey).toString('base64url');
    await expectInvalid(`${data}.${sig}`, 'algorithm_not_allowed');
  });

  it('tampered payload (bad signature): 401', async () => {
    const [h, , s] = signRs256(key, accessClaims(issuer)).split('.');
    const forged = Buffer.from(JSON.stringify(accessClaims(issuer, { enrolleeId: '2001' }))).toString('base64url');
    await expectInvalid(`${h}.${forged}.${s}`, 'bad_signature');
  });

  it('signed by a key that is not in the JWKS (unknown kid): 401', async () => {
    await expectInvalid(signRs256(otherKey, accessClaims(issuer)), 'unknown_kid');
  });

  it('token with a crit header: 401', async () => {
    await expectInvalid(signRs256(key, accessClaims(issuer), { crit: ['exp'] }), 'crit_header');
  });

  it('ID token (aud = client id, nonce, no scp): 401 even when the client id is a configured audience', async () => {
    const idToken = accessClaims(issuer, { aud: CLIENT_ID, nonce: 'n-1', at_hash: 'abc', amr: ['pwd'] });
    delete idToken.scp;
    await expectInvalid(signRs256(key, idToken), 'wrong_audience');
    await expectInvalid(signRs256(key, idToken), 'id_token', createTokenVerifier(options({ audiences: [AUDIENCE, CLIENT_ID] })));
  });

  it('token with the API audience carrying a nonce (ID-token claim): 401', async () => {
    await expectInvalid(signRs256(key, accessClaims(issuer, { nonce: 'n-1' })), 'id_token');
  });

  it('access token with auth_time/amr (allowed by RFC 9068) is accepted', async () => {
    await expect(createTokenVerifier(options()).verify(signRs256(key, accessClaims(issuer, { auth_time: 1, amr: ['pwd'] })))).resolves.toBeDefined();
  });

  it('token with the API audience but no scp/cid (not an access token): 401', async () => {
    const claims = accessClaims(issuer);
    delete claims.scp;
    await expectInvalid(signRs256(key, claims), 'not_access_token');
  });

  it('malformed JWT text: 401', async () => {
    await expectInvalid('abc.def.ghi', 'malformed_token');
  });
});

describe('JWKS availability fails closed', () => {
  it('JWKS unreachable at cold start: hydrate rejects and verification fails closed', async () => {
    jwks.mode = 'error';
    const verifier = createTokenVerifier(options());
    await expect(verifier.hydrate()).rejects.toBeInstanceOf(JwksUnavailableError);
    expect(await rejection(verifier, signRs256(key, accessClaims(issuer)))).toBeInstanceOf(JwksUnavailableError);
  });

  it('JWKS endpoint that never answers: times out within JWKS_FETCH_TIMEOUT_MS and fails closed', async () => {
    jwks.mode = 'hang';
    const verifier = createTokenVerifier(options({ jwksFetchTimeoutMs: 200 }));
    const started = Date.now();
    expect(await rejection(verifier, signRs256(key, accessClaims(issuer)))).toBeInstanceOf(JwksUnavailableError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a JWKS answer that streams without end is cut at the size cap, not buffered until the timeout', async () => {
    const endless = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      res.write('{"keys":[');
      pump();
    });
    try {
      const started = Date.now();
      const error = await new JwksFetcher(5000).fetch(`${endless.url}/v1/keys`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(JwksUnavailableError);
      expect((error as Error).message).toContain(`larger than ${MAX_JWKS_BYTES} bytes`);
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      await endless.close();
    }
  });

  it('JWKS older than the max age is refetched; a failed refresh fails closed instead of trusting stale keys', async () => {
    let clock = Date.now();
    const verifier = createTokenVerifier(options({ jwksMaxAgeSeconds: 60, now: () => clock }));
    await verifier.hydrate();
    const before = jwks.fetches();
    await verifier.verify(signRs256(key, accessClaims(issuer)));
    expect(jwks.fetches()).toBe(before); // fresh cache: no fetch

    clock += 61_000;
    jwks.mode = 'error';
    expect(await rejection(verifier, signRs256(key, accessClaims(issuer)))).toBeInstanceOf(JwksUnavailableError);

    jwks.mode = 'ok';
    clock += 2_000; // the refresh backs off one interval after the failure
    await expect(verifier.verify(signRs256(key, accessClaims(issuer)))).resolves.toBeDefined();
  });

  it('a key removed from the JWKS stops verifying after the max age', async () => {
    let clock = Date.now();
    const verifier = createTokenVerifier(options({ jwksMaxAgeSeconds: 60, now: () => clock }));
    await verifier.hydrate();
    await verifier.verify(signRs256(key, accessClaims(issuer)));
    jwks.keys = [otherKey.jwk]; // Okta rotated key-1 out
    clock += 61_000;
    expect(await rejection(verifier, signRs256(key, accessClaims(issuer)))).toBeInstanceOf(InvalidTokenError);
    await expect(verifier.verify(signRs256(otherKey, accessClaims(issuer)))).resolves.toBeDefined();
  });
});

describe('every verification failure is a rejected token (401) with its reason, except a JWKS outage (503)', () => {
  it.each<[string, string, unknown]>([
    ['JwtExpiredError', 'expired', new JwtExpiredError('expired', 1)],
    ['JwtNotBeforeError', 'not_yet_valid', new JwtNotBeforeError('not yet', 1)],
    ['JwtInvalidIssuerError', 'wrong_issuer', new JwtInvalidIssuerError('iss', 'a', 'b')],
    ['ParameterValidationError', 'wrong_issuer', new ParameterValidationError('no config for this iss')],
    ['JwtInvalidAudienceError', 'wrong_audience', new JwtInvalidAudienceError('aud', 'a', 'b')],
    ['JwtInvalidSignatureAlgorithmError', 'algorithm_not_allowed', new JwtInvalidSignatureAlgorithmError('alg', 'HS256', 'RS256')],
    ['JwkInvalidKtyError', 'algorithm_not_allowed', new JwkInvalidKtyError('kty', 'EC', 'RSA')],
    ['JwkInvalidUseError', 'algorithm_not_allowed', new JwkInvalidUseError('use', 'enc', 'sig')],
    ['JwtInvalidSignatureError', 'bad_signature', new JwtInvalidSignatureError('sig')],
    ['JwtWithoutValidKidError', 'unknown_kid', new JwtWithoutValidKidError('kid')],
    ['KidNotFoundInJwksError', 'unknown_kid', new KidNotFoundInJwksError('kid')],
    ['WaitPeriodNotYetEndedJwkError', 'unknown_kid', new WaitPeriodNotYetEndedJwkError('wait')],
    ['JwtParseError', 'malformed_token', new JwtParseError('parse')],
    // library errors without a reason of their own
    ['JwkValidationError', 'invalid_token', new JwkValidationError('bad jwk')],
    ['NotSupportedError', 'invalid_token', new NotSupportedError('unsupported')],
    ['JwksNotAvailableInCacheError', 'invalid_token', new JwksNotAvailableInCacheError('not cached')],
    // anything else thrown while verifying
    ['a TypeError', 'verification_failed', new TypeError('x is not a function')],
    ['a thrown string', 'verification_failed', 'boom'],
  ])('%s: InvalidTokenError %s', (_name, reason, error) => {
    const translated = toTokenError(error);
    expect(translated).toBeInstanceOf(InvalidTokenError);
    expect((translated as InvalidTokenError).reason).toBe(reason);
  });

  it.each<[string, Error]>([
    ['FetchError', new FetchError('https://idp.example/v1/keys', 'socket hang up')],
    ['JwksValidationError', new JwksValidationError('JWKS does not have keys')],
  ])('%s: JwksUnavailableError, with the message logged at error level', (_name, error) => {
    const translated = toTokenError(error);
    expect(translated).toBeInstanceOf(JwksUnavailableError);
    expect(translated.message).toBe(`JWKS unusable: ${error.message}`);
  });

  it('our own errors pass through unchanged', () => {
    const outage = new JwksUnavailableError('JWKS fetch failed');
    const rejected = new InvalidTokenError('missing_sub', 'token has no sub');
    expect(toTokenError(outage)).toBe(outage);
    expect(toTokenError(rejected)).toBe(rejected);
  });
});

describe('hydrate (cold start) rejects only with JwksUnavailableError', () => {
  afterEach(() => jest.restoreAllMocks());

  it('a failure of the library that is not a JWKS error is still JWKS unavailable, with its logged message', async () => {
    jest.spyOn(JwtVerifier.prototype, 'hydrate').mockRejectedValue(new TypeError('unexpected'));
    const error = await createTokenVerifier(options()).hydrate().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(JwksUnavailableError);
    expect((error as Error).message).toBe('JWKS could not be loaded');
  });

  it('a JWKS error is passed on as it is', async () => {
    const outage = new JwksUnavailableError('JWKS endpoint answered 503');
    jest.spyOn(JwtVerifier.prototype, 'hydrate').mockRejectedValue(outage);
    await expect(createTokenVerifier(options()).hydrate()).rejects.toBe(outage);
  });
});

describe('an unknown kid right after hydrate', () => {
  it('waits for the refresh slot on the real timer, then is unknown_kid', async () => {
    const verifier = createTokenVerifier(options({ jwksRefreshMinIntervalMs: 100 }));
    await verifier.hydrate();
    const before = jwks.fetches();
    const started = Date.now();
    await expectInvalid(signRs256(otherKey, accessClaims(issuer)), 'unknown_kid', verifier);
    expect(jwks.fetches()).toBe(before + 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });
});
