/**
 * The custom checks of functions/shared/token-verifier.ts, each deciding
 * alone: every token below passes every other check (signature, iss, aud,
 * exp, scopes), so the one rejection named is the only thing between it and
 * an accepted token (DESIGN.md §3: access tokens only, ID tokens rejected).
 */
import { InvalidTokenError } from '../../functions/shared/errors';
import type { JwtHeader, JwtPayload } from 'aws-jwt-verify/jwt-model';
import { createTokenVerifier, customChecks, toTokenError, type TokenVerifier, type TokenVerifierOptions } from '../../functions/shared/token-verifier';
import { accessClaims, AUDIENCE, CLIENT_ID, ISSUER_PATH, rsaKey, signRs256, verifierOptions, type TestKey } from './support/jwt';
import { startJwksServer, type JwksServer } from './support/servers';

let key: TestKey;
let jwks: JwksServer;
let issuer: string;
/** Hydrated once each, so a slow JWKS fetch on a busy machine never stands in for a rejection. */
let apiOnly: TokenVerifier;
let clientIdToo: TokenVerifier;

beforeAll(async () => {
  key = rsaKey('claims-key');
  jwks = await startJwksServer([key.jwk]);
  issuer = `${jwks.url}${ISSUER_PATH}`;
  apiOnly = verifier();
  clientIdToo = verifier({ audiences: [AUDIENCE, CLIENT_ID] });
  await Promise.all([apiOnly.hydrate(), clientIdToo.hydrate()]);
});
afterAll(() => jwks.close());

function verifier(overrides: Partial<TokenVerifierOptions> = {}): TokenVerifier {
  return createTokenVerifier(verifierOptions(issuer, overrides));
}

/** The rejection reason, or 'accepted'. */
async function answer(claims: Record<string, unknown>, v = apiOnly): Promise<string> {
  try {
    await v.verify(signRs256(key, claims));
    return 'accepted';
  } catch (error) {
    if (error instanceof InvalidTokenError) return error.reason;
    throw error;
  }
}

const without = (claims: Record<string, unknown>, ...names: string[]): Record<string, unknown> => {
  const copy = { ...claims };
  for (const n of names) delete copy[n];
  return copy;
};

describe('the client-id claim (cid, or client_id) decides alone', () => {
  it('the baseline access token is accepted', async () => {
    expect(await answer(accessClaims(issuer))).toBe('accepted');
  });

  it('no cid and no client_id: not_access_token', async () => {
    expect(await answer(without(accessClaims(issuer), 'cid'))).toBe('not_access_token');
  });

  it('an empty or non-string cid: not_access_token', async () => {
    expect(await answer(accessClaims(issuer, { cid: '' }))).toBe('not_access_token');
    expect(await answer(accessClaims(issuer, { cid: 42 }))).toBe('not_access_token');
  });

  it('client_id (RFC 9068) instead of cid is accepted', async () => {
    expect(await answer({ ...without(accessClaims(issuer), 'cid'), client_id: CLIENT_ID })).toBe('accepted');
  });
});

describe('an audience that is the client id (an ID token\'s shape) decides alone', () => {
  it('aud = cid = a configured audience, with scp and no ID-token claims: not_access_token', async () => {
    const v = clientIdToo;
    expect(await answer(accessClaims(issuer, { aud: CLIENT_ID }), v)).toBe('not_access_token');
    // Another client's access token for the API audience passes the same verifier.
    expect(await answer(accessClaims(issuer, { aud: AUDIENCE, cid: '0oa-other-client' }), v)).toBe('accepted');
  });

  it('client_id equal to a configured audience: not_access_token', async () => {
    const v = clientIdToo;
    expect(await answer({ ...without(accessClaims(issuer), 'cid'), client_id: CLIENT_ID }, v)).toBe('not_access_token');
  });
});

describe('ID-token claims, each alone, on an otherwise valid access token', () => {
  it.each(['nonce', 'at_hash', 'c_hash'])('%s: id_token', async (claim) => {
    expect(await answer(accessClaims(issuer, { [claim]: 'x' }))).toBe('id_token');
  });
});

describe('scopes decide alone', () => {
  it('scp as an array of strings, or a scope string, is enough; neither, or scp with a non-string, is not_access_token', async () => {
    expect(await answer(without(accessClaims(issuer), 'scp'))).toBe('not_access_token');
    expect(await answer(accessClaims(issuer, { scp: ['claims:read', 7] }))).toBe('not_access_token');
    expect(await answer(accessClaims(issuer, { scp: 'claims:read' }))).toBe('not_access_token');
    expect(await answer({ ...without(accessClaims(issuer), 'scp'), scope: 'claims:read' })).toBe('accepted');
    expect(await answer(accessClaims(issuer, { scp: [] }))).toBe('accepted');
  });
});

describe('iat', () => {
  const now = (): number => Math.floor(Date.now() / 1000);

  it('within the skew is accepted; beyond it, or not a number, is refused', async () => {
    expect(await answer(accessClaims(issuer, { iat: now() + 30 }))).toBe('accepted');
    expect(await answer(accessClaims(issuer, { iat: now() + 120 }))).toBe('iat_in_future');
    expect(await answer(accessClaims(issuer, { iat: String(now()) }))).not.toBe('accepted');
  });

  it('a token without iat is accepted (the claim is optional)', async () => {
    expect(await answer(without(accessClaims(issuer), 'iat'))).toBe('accepted');
  });
});

describe('the custom check called alone (in the verifier, the key cache refuses an unconfigured alg first)', () => {
  const NOW_MS = 1_700_000_000_000;
  const options = (): TokenVerifierOptions => verifierOptions(issuer);
  /** The rejection reason of the check, or 'passes'. */
  function check(header: Record<string, unknown>, claims: Record<string, unknown>): string {
    try {
      customChecks(options(), () => NOW_MS)({ header: header as JwtHeader, payload: claims as JwtPayload });
      return 'passes';
    } catch (error) {
      const translated = toTokenError(error);
      if (translated instanceof InvalidTokenError) return translated.reason;
      throw error;
    }
  }
  const payload = (overrides: Record<string, unknown> = {}): Record<string, unknown> =>
    accessClaims(issuer, { iat: NOW_MS / 1000 - 10, exp: NOW_MS / 1000 + 3600, ...overrides });

  it('a configured alg passes; another alg, or none that is a string, is algorithm_not_allowed', () => {
    expect(check({ alg: 'RS256', kid: 'k' }, payload())).toBe('passes');
    expect(check({ alg: 'HS256', kid: 'k' }, payload())).toBe('algorithm_not_allowed');
    expect(check({ alg: 'none', kid: 'k' }, payload())).toBe('algorithm_not_allowed');
    expect(check({ kid: 'k' }, payload())).toBe('algorithm_not_allowed');
    expect(check({ alg: ['RS256'], kid: 'k' }, payload())).toBe('algorithm_not_allowed');
  });

  it('iat exactly at now + skew passes; one second later is iat_in_future', () => {
    expect(check({ alg: 'RS256' }, payload({ iat: NOW_MS / 1000 + 60 }))).toBe('passes');
    expect(check({ alg: 'RS256' }, payload({ iat: NOW_MS / 1000 + 61 }))).toBe('iat_in_future');
  });

  it('exp that is missing, not a number, NaN or infinite is missing_exp', () => {
    for (const exp of [undefined, '9999999999', Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(check({ alg: 'RS256' }, payload({ exp }))).toBe('missing_exp');
    }
  });
});
