/**
 * Token introspection (RFC 7662) at Okta's `{issuer}/v1/introspect`, for
 * tokens that already passed local verification (token-verifier.ts). It
 * answers whether the issuer still considers the token active, which local
 * validation cannot know (revocation, logout, a deactivated user or client).
 *
 * Client authentication (the authorizer is an OAuth client of the
 * authorization server):
 *   - `private_key_jwt` (RFC 7523 §2.2): a client assertion signed with the
 *     client's private key (RS256 for RSA, ES256/ES384 for EC P-256/P-384,
 *     EdDSA for Ed25519), `aud` = the introspection endpoint;
 *   - `client_secret_basic` / `client_secret_post` (RFC 6749 §2.3.1).
 * Credentials come from secrets.ts (Secrets Manager in the deployed stack)
 * as a JSON object: `{"privateKeyPem": "-----BEGIN PRIVATE KEY-----…", "kid"?: "…"}`
 * or `{"privateKeyJwk": {…}}` for private_key_jwt, `{"clientSecret": "…"}` otherwise.
 *
 * Cache: POSITIVE answers only (an inactive token is asked again next time,
 * and never cached as good), keyed by the token's issuer + `jti` (a
 * sha256 of the token when it has no usable `jti`; the token itself is never
 * a key or a log field). An entry lives at most `cacheMaxTtlSeconds` and
 * never past the token's `exp` (nor the `exp` the endpoint reports), so a
 * token revoked at Okta is refused at the latest `cacheMaxTtlSeconds` later.
 *
 * Failures: `active: false` → InvalidTokenError `token_inactive` (401);
 * unreachable, timeout, 5xx, client auth refused, bad JSON →
 * IntrospectionUnavailableError (503 unless the caller downgrades).
 */
import * as crypto from 'node:crypto';
import { readCapped } from './capped-body';
import { IntrospectionUnavailableError, InvalidTokenError } from './errors';
import { jsonSecret, SecretReadError } from './secrets';
import type { VerifiedToken } from './token-verifier';

export type TokenValidation = 'local' | 'introspected';
export type ClientAuthMethod = 'private_key_jwt' | 'client_secret_basic' | 'client_secret_post';
export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = ['private_key_jwt', 'client_secret_basic', 'client_secret_post'];

/** Parsed introspection client credentials. */
export type ClientCredentials =
  | { readonly kind: 'private_key'; readonly key: crypto.KeyObject; readonly kid: string | undefined }
  | { readonly kind: 'secret'; readonly clientSecret: string };

export interface IntrospectorOptions {
  readonly endpoint: URL;
  readonly clientId: string;
  readonly clientAuth: ClientAuthMethod;
  /** Cached per container (secrets.ts cachedSecret). */
  readonly credentials: () => Promise<ClientCredentials>;
  readonly timeoutMs: number;
  /** Longest a positive answer is reused; 0 = every request asks. */
  readonly cacheMaxTtlSeconds: number;
  readonly cacheMaxEntries: number;
  /** Clock in ms (tests). @default Date.now */
  readonly now?: () => number;
}

export interface IntrospectionOutcome {
  /** The positive answer came from the cache. */
  readonly cached: boolean;
}

export interface Introspector {
  /** @throws InvalidTokenError (`token_inactive`) | IntrospectionUnavailableError */
  introspect(jwt: string, token: VerifiedToken): Promise<IntrospectionOutcome>;
}

const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_JTI_LENGTH = 256;

/** Parse the credentials secret for the configured method (never echoes it). */
export function parseClientCredentials(method: ClientAuthMethod): (raw: string) => ClientCredentials {
  return (raw) => {
    const obj = jsonSecret(raw);
    if (method !== 'private_key_jwt') {
      if (typeof obj.clientSecret !== 'string' || obj.clientSecret === '') throw new SecretReadError(`${method} needs "clientSecret" in the secret`);
      return { kind: 'secret', clientSecret: obj.clientSecret };
    }
    const kid = typeof obj.kid === 'string' && obj.kid !== '' ? obj.kid : undefined;
    let key: crypto.KeyObject;
    try {
      if (typeof obj.privateKeyPem === 'string') key = crypto.createPrivateKey(obj.privateKeyPem);
      else if (obj.privateKeyJwk !== null && typeof obj.privateKeyJwk === 'object') key = crypto.createPrivateKey({ key: obj.privateKeyJwk as crypto.JsonWebKey, format: 'jwk' });
      else throw new SecretReadError('private_key_jwt needs "privateKeyPem" or "privateKeyJwk" in the secret');
    } catch (error) {
      if (error instanceof SecretReadError) throw error;
      throw new SecretReadError('the private key in the secret cannot be read');
    }
    assertionAlgorithm(key);
    return { kind: 'private_key', key, kid };
  };
}

/** The JWS algorithm for a private key (the key decides; nothing is negotiated). */
function assertionAlgorithm(key: crypto.KeyObject): { alg: string; hash: string | null; ieee: boolean } {
  if (key.asymmetricKeyType === 'rsa') return { alg: 'RS256', hash: 'sha256', ieee: false };
  if (key.asymmetricKeyType === 'ed25519') return { alg: 'EdDSA', hash: null, ieee: false };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { alg: 'ES256', hash: 'sha256', ieee: true };
    if (curve === 'secp384r1') return { alg: 'ES384', hash: 'sha384', ieee: true };
  }
  throw new SecretReadError('the private key must be RSA, EC P-256/P-384 or Ed25519');
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An RFC 7523 client assertion for `audience` (the endpoint), valid 60 s, one-time `jti`. */
export function clientAssertion(clientId: string, audience: string, key: crypto.KeyObject, kid: string | undefined, nowMs: number): string {
  const { alg, hash, ieee } = assertionAlgorithm(key);
  const iat = Math.floor(nowMs / 1000);
  const header = kid === undefined ? { alg, typ: 'JWT' } : { alg, typ: 'JWT', kid };
  const input = `${b64url(header)}.${b64url({ iss: clientId, sub: clientId, aud: audience, iat, exp: iat + 60, jti: crypto.randomUUID() })}`;
  const signature = crypto.sign(hash, Buffer.from(input), ieee ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${signature.toString('base64url')}`;
}

/** The cache key of a token: issuer + jti, or a sha256 of the token (never the token). */
export function cacheKeyOf(jwt: string, token: VerifiedToken): string {
  const jti = token.payload.jti;
  const iss = token.payload.iss;
  if (typeof jti === 'string' && jti !== '' && jti.length <= MAX_JTI_LENGTH && typeof iss === 'string') return `jti:${iss}\n${jti}`;
  return `sha256:${crypto.createHash('sha256').update(jwt).digest('base64url')}`;
}

/** Positive-only, bounded in size and age (Map order = insertion order = eviction order). */
class PositiveCache {
  private readonly entries = new Map<string, number>();
  constructor(private readonly maxEntries: number) {}

  has(key: string, now: number): boolean {
    const until = this.entries.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.entries.delete(key);
    return false;
  }

  set(key: string, until: number): void {
    this.entries.delete(key);
    this.entries.set(key, until);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}

export function createIntrospector(opts: IntrospectorOptions): Introspector {
  const now = opts.now ?? Date.now;
  const cache = new PositiveCache(opts.cacheMaxEntries);
  const endpoint = opts.endpoint.toString();

  const request = async (jwt: string): Promise<Record<string, unknown>> => {
    let credentials: ClientCredentials;
    try {
      credentials = await opts.credentials();
    } catch (error) {
      throw new IntrospectionUnavailableError('introspection_credentials', `introspection credentials unavailable: ${error instanceof Error ? error.message : 'error'}`, { cause: error });
    }
    const form = new URLSearchParams({ token: jwt, token_type_hint: 'access_token' });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (credentials.kind === 'private_key') {
      form.set('client_id', opts.clientId);
      form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      form.set('client_assertion', clientAssertion(opts.clientId, endpoint, credentials.key, credentials.kid, now()));
    } else if (opts.clientAuth === 'client_secret_post') {
      form.set('client_id', opts.clientId);
      form.set('client_secret', credentials.clientSecret);
    } else {
      // RFC 6749 §2.3.1: both parts form-urlencoded before base64.
      const user = encodeURIComponent(opts.clientId);
      const pass = encodeURIComponent(credentials.clientSecret);
      headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
    let status: number;
    let body: Buffer | undefined;
    try {
      const res = await fetch(endpoint, { method: 'POST', headers, body: form.toString(), redirect: 'manual', signal: controller.signal });
      status = res.status;
      body = await readCapped(res.body, MAX_RESPONSE_BYTES, res.headers.get('content-length'));
    } catch (error) {
      if (controller.signal.aborted) throw new IntrospectionUnavailableError('introspection_timeout', `introspection did not answer within ${opts.timeoutMs} ms`, { cause: error });
      throw new IntrospectionUnavailableError('introspection_unreachable', `introspection unreachable: ${error instanceof Error ? error.message : 'error'}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    if (status === 400 || status === 401) {
      // RFC 7662 §2.3: a refused client authentication. A configuration problem, never the caller's fault.
      throw new IntrospectionUnavailableError('introspection_client_rejected', `introspection refused the client authentication (${status})`);
    }
    if (status !== 200) throw new IntrospectionUnavailableError('introspection_error', `introspection answered ${status}`);
    if (body === undefined) throw new IntrospectionUnavailableError('introspection_bad_response', `introspection answer larger than ${MAX_RESPONSE_BYTES} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new IntrospectionUnavailableError('introspection_bad_response', 'introspection answer is not JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || typeof (parsed as { active?: unknown }).active !== 'boolean') {
      throw new IntrospectionUnavailableError('introspection_bad_response', 'introspection answer has no boolean "active"');
    }
    return parsed as Record<string, unknown>;
  };

  return {
    async introspect(jwt, token) {
      const key = cacheKeyOf(jwt, token);
      if (cache.has(key, now())) return { cached: true };
      const answer = await request(jwt);
      if (answer.active !== true) throw new InvalidTokenError('token_inactive', 'introspection: the token is not active');
      // An active answer about another token (a confused or hostile endpoint) is not an answer.
      if (typeof answer.sub === 'string' && answer.sub !== token.sub) throw new InvalidTokenError('token_inactive', 'introspection: active answer for another subject');
      if (opts.cacheMaxTtlSeconds > 0) {
        const bounds = [now() + opts.cacheMaxTtlSeconds * 1000];
        if (typeof token.payload.exp === 'number') bounds.push(token.payload.exp * 1000);
        if (typeof answer.exp === 'number') bounds.push(answer.exp * 1000);
        cache.set(key, Math.min(...bounds));
      }
      return { cached: false };
    },
  };
}
