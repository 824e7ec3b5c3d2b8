/**
 * The stand-in's token introspection (RFC 7662, `{issuer}/v1/introspect`)
 * and revocation (RFC 7009, `{issuer}/v1/revoke`) for its JWT access tokens.
 * oidc-provider refuses to introspect or revoke structured (JWT) tokens, and
 * Okta does both, so the stand-in serves them itself, as Okta does:
 *
 *   - client authentication on both: `client_secret_basic`,
 *     `client_secret_post`, or `private_key_jwt` (RFC 7523 client assertion,
 *     `aud` = the endpoint URL or the issuer, at most 5 minutes of life, each
 *     `jti` once) for clients registered with a public key; exactly one method
 *     per request, else 401 `invalid_client`;
 *   - introspect: `{"active": false}` for anything that is not a token this
 *     issuer signed (any key of the ring), expired, or revoked; otherwise
 *     `active: true` with Okta's fields (scope, client_id, username, exp,
 *     iat, sub, aud, iss, jti, token_type, uid);
 *   - revoke: 200 always for a token that is not this client's or unknown
 *     (RFC 7009 §2.2), the token's `jti` is remembered as revoked when the
 *     client is the one it was issued to (Okta: clients revoke their own tokens).
 *
 * LOCAL-ONLY control (for the fail-closed tests): `setAvailable(false)`
 * makes introspect answer 503, like an Okta outage.
 */
import * as crypto from 'node:crypto';
import type * as http from 'node:http';
import { readCapped } from '../../functions/shared/capped-body';
import type { PublicJwk } from './keys';

/** A client allowed to call introspect/revoke: a secret, a public key for private_key_jwt, or both. */
export interface IntrospectionClient {
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly publicKey?: crypto.KeyObject;
}

export interface IntrospectionServiceOptions {
  readonly issuer: string;
  /** The signing keys the JWKS lists (current state of the ring). */
  readonly publicJwks: () => readonly PublicJwk[];
  readonly clients: () => readonly IntrospectionClient[];
  readonly now?: () => number;
}

export interface IntrospectionStatus {
  readonly introspectionAvailable: boolean;
  readonly introspections: number;
  readonly revocations: number;
  readonly revokedTokens: number;
}

export interface IntrospectionService {
  /** Serve POST {issuer}/v1/introspect or /v1/revoke. */
  handle(kind: 'introspect' | 'revoke', req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
  setAvailable(available: boolean): void;
  status(): IntrospectionStatus;
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MAX_FORM_BYTES = 16 * 1024;
const MAX_ASSERTION_LIFETIME_S = 300;
const REVOKED_LIMIT = 100_000;

function send(res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache', ...extra }).end(JSON.stringify(body));
}

interface Jws {
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

function decodeJws(value: string): Jws | undefined {
  const parts = value.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as unknown;
    if (header === null || typeof header !== 'object' || payload === null || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
    return {
      header: header as Record<string, unknown>,
      payload: payload as Record<string, unknown>,
      signingInput: Buffer.from(`${parts[0]}.${parts[1]}`),
      signature: Buffer.from(parts[2] ?? '', 'base64url'),
    };
  } catch {
    return undefined;
  }
}

/** Verify a JWS with `key` for the algorithm its header names (RS256/ES256/ES384/EdDSA only). */
function verifyJws(jws: Jws, key: crypto.KeyObject): boolean {
  const alg = jws.header.alg;
  const spec: Record<string, { hash: string | null; ieee: boolean; type: string }> = {
    RS256: { hash: 'sha256', ieee: false, type: 'rsa' },
    ES256: { hash: 'sha256', ieee: true, type: 'ec' },
    ES384: { hash: 'sha384', ieee: true, type: 'ec' },
    EdDSA: { hash: null, ieee: false, type: 'ed25519' },
  };
  const s = typeof alg === 'string' ? spec[alg] : undefined;
  if (!s || key.asymmetricKeyType !== s.type) return false;
  try {
    return crypto.verify(s.hash, jws.signingInput, s.ieee ? { key, dsaEncoding: 'ieee-p1363' } : key, jws.signature);
  } catch {
    return false;
  }
}

export function createIntrospectionService(opts: IntrospectionServiceOptions): IntrospectionService {
  const now = (): number => (opts.now ?? Date.now)();
  /** jti → exp (s): kept until the token would have expired anyway. */
  const revoked = new Map<string, number>();
  const seenAssertions = new Map<string, number>();
  let available = true;
  let introspections = 0;
  let revocations = 0;

  /** The authenticated client, or undefined (→ 401 invalid_client). */
  const authenticate = (req: http.IncomingMessage, form: URLSearchParams, endpoint: string): IntrospectionClient | undefined => {
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const methods = [basic !== undefined, form.has('client_secret'), form.has('client_assertion')].filter(Boolean).length;
    if (methods !== 1) return undefined;
    const clients = opts.clients();
    const byId = (id: string | null | undefined): IntrospectionClient | undefined => clients.find((c) => c.clientId === id);
    const sameSecret = (client: IntrospectionClient | undefined, secret: string): boolean =>
      client?.clientSecret !== undefined && client.clientSecret.length === secret.length && crypto.timingSafeEqual(Buffer.from(client.clientSecret), Buffer.from(secret));
    if (basic !== undefined) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return undefined;
      let id: string;
      let secret: string;
      try {
        id = decodeURIComponent(decoded.slice(0, colon));
        secret = decodeURIComponent(decoded.slice(colon + 1));
      } catch {
        return undefined;
      }
      const client = byId(id);
      return sameSecret(client, secret) ? client : undefined;
    }
    if (form.has('client_secret')) {
      const client = byId(form.get('client_id'));
      return sameSecret(client, form.get('client_secret') ?? '') ? client : undefined;
    }
    if (form.get('client_assertion_type') !== ASSERTION_TYPE) return undefined;
    const jws = decodeJws(form.get('client_assertion') ?? '');
    if (!jws) return undefined;
    const { iss, sub, aud, exp, jti } = jws.payload;
    const client = byId(typeof iss === 'string' ? iss : undefined);
    if (!client?.publicKey || sub !== iss || (form.has('client_id') && form.get('client_id') !== iss)) return undefined;
    const audiences = Array.isArray(aud) ? aud : [aud];
    if (!audiences.some((a) => a === endpoint || a === opts.issuer)) return undefined;
    const nowS = now() / 1000;
    if (typeof exp !== 'number' || exp <= nowS || exp > nowS + MAX_ASSERTION_LIFETIME_S) return undefined;
    if (typeof jti !== 'string' || jti === '') return undefined;
    if (!verifyJws(jws, client.publicKey)) return undefined;
    for (const [seen, until] of seenAssertions) if (until <= nowS) seenAssertions.delete(seen);
    const replayKey = `${client.clientId}\n${jti}`;
    if (seenAssertions.has(replayKey)) return undefined;
    seenAssertions.set(replayKey, exp);
    return client;
  };

  /** The claims of a token this issuer signed and that is still valid, or undefined. */
  const activeClaims = (token: string): Record<string, unknown> | undefined => {
    const jws = decodeJws(token);
    if (!jws) return undefined;
    const jwk = opts.publicJwks().find((k) => k.kid === jws.header.kid);
    if (!jwk || jws.header.alg !== 'RS256') return undefined;
    if (!verifyJws(jws, crypto.createPublicKey({ key: { ...jwk }, format: 'jwk' }))) return undefined;
    const p = jws.payload;
    if (p.iss !== opts.issuer || typeof p.exp !== 'number' || p.exp <= now() / 1000) return undefined;
    if (typeof p.jti !== 'string' || revoked.has(p.jti)) return undefined;
    return p;
  };

  return {
    async handle(kind, req, res) {
      if (req.method !== 'POST') return send(res, 405, { error: 'invalid_request', error_description: 'POST only' }, { allow: 'POST' });
      if (kind === 'introspect' && !available) {
        req.resume();
        return send(res, 503, { errorCode: 'E0000009', errorSummary: 'Internal Server Error (stand-in introspection outage)' });
      }
      const raw = await readCapped(req, MAX_FORM_BYTES, req.headers['content-length']);
      if (raw === undefined) return send(res, 413, { error: 'invalid_request', error_description: 'request too large' });
      if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
        return send(res, 400, { error: 'invalid_request', error_description: 'application/x-www-form-urlencoded body required' });
      }
      const form = new URLSearchParams(raw.toString('utf8'));
      const client = authenticate(req, form, `${opts.issuer}/v1/${kind}`);
      if (!client) {
        return send(res, 401, { error: 'invalid_client', error_description: 'client authentication failed' }, { 'www-authenticate': 'Basic realm="okta-stand-in"' });
      }
      const token = form.get('token');
      if (token === null || token === '') return send(res, 400, { error: 'invalid_request', error_description: 'token is required' });
      const claims = activeClaims(token);
      if (kind === 'introspect') {
        introspections++;
        if (!claims) return send(res, 200, { active: false });
        const scp = Array.isArray(claims.scp) ? claims.scp.filter((s): s is string => typeof s === 'string') : [];
        return send(res, 200, {
          active: true,
          scope: scp.join(' '),
          username: claims.sub,
          exp: claims.exp,
          iat: claims.iat,
          sub: claims.sub,
          aud: claims.aud,
          iss: claims.iss,
          jti: claims.jti,
          token_type: 'Bearer',
          client_id: claims.cid,
          ...(typeof claims.uid === 'string' ? { uid: claims.uid } : {}),
        });
      }
      revocations++;
      if (claims && claims.cid === client.clientId && typeof claims.jti === 'string' && typeof claims.exp === 'number') {
        if (revoked.size >= REVOKED_LIMIT) for (const [jti, exp] of revoked) if (exp <= now() / 1000) revoked.delete(jti);
        revoked.set(claims.jti, claims.exp);
      }
      res.writeHead(200, { 'cache-control': 'no-store', 'content-length': '0' }).end();
    },
    setAvailable(value) {
      available = value;
    },
    status: () => ({ introspectionAvailable: available, introspections, revocations, revokedTokens: revoked.size }),
  };
}
