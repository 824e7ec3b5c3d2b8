/**
 * The Okta stand-in: a real OpenID Connect / OAuth 2.0 server (panva's
 * `oidc-provider`, OpenID-certified) laid out like an Okta custom
 * authorization server:
 *
 *   issuer     {base}/oauth2/default
 *   discovery  {issuer}/.well-known/openid-configuration (+ oauth-authorization-server)
 *   JWKS       {issuer}/v1/keys          token {issuer}/v1/token
 *   introspect {issuer}/v1/introspect    revoke {issuer}/v1/revoke
 *
 * Access tokens are RS256 JWTs with Okta's claims (`ver, jti, iss, aud, iat,
 * exp, cid, uid, sub, scp[]`, plus `enrolleeId`, `enrolleeType`, `groups`,
 * `dependants` for ACME members) and no `typ` header, like Okta's.
 *
 * Grants: `client_credentials` for the service clients, and a DEV-ONLY grant
 * (`urn:acme:params:oauth:grant-type:dev-user`, client `acme-dev-cli`, callers
 * on 127.0.0.1 only) that issues a member's access token — and an ID token when
 * `openid` is requested — without a browser. Dev-grant knobs for negative
 * tests: `lifetime` (seconds, may be negative → an already expired token) and
 * `resource` (another audience).
 *
 * `oidc-provider` is ESM-only: it is loaded with a dynamic import.
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import {
  API_SCOPES, CLIENTS, DEFAULT_AUDIENCE, DEV_CLIENT_ID, DEV_USER_GRANT, INTROSPECTION_CLIENT, OIDC_SCOPES, OTHER_AUDIENCE, findUser,
} from './directory';
import { createIntrospectionService, type IntrospectionClient, type IntrospectionStatus } from './introspection';
import { KeyRing, KeyRingError, publicPart, type KeyRingStatus, type PublicJwk, type SigningJwk } from './keys';
import { listenOnLoopback } from '../listen';
import { handleInteraction, interactiveConfiguration, spaClientMetadata, type InteractiveProvider } from './spa-client';

export const AUTH_SERVER_PATH = '/oauth2/default';
/** LOCAL-ONLY key rotation and JWKS outage controls (loopback callers with ADMIN_HEADER only). */
export const ADMIN_PATH = '/__admin';
/** Required on admin requests: a browser page cannot send it cross-origin without a CORS preflight, which is never answered. */
export const ADMIN_HEADER = 'x-okta-stand-in-admin';
/** JWKS fetch times kept for tests (newest last). */
const MAX_FETCH_TIMES = 10_000;

export interface OktaStandInOptions {
  /** 0 = ephemeral. */
  readonly port: number;
  /** Directory that keeps the private signing key across restarts; undefined = in memory only. */
  readonly keysDir?: string;
  /** Access-token lifetime in seconds (Okta's default rule: 1 hour). */
  readonly accessTokenTtlSeconds?: number;
  /** Called for each token issued (never with the token itself). */
  readonly onIssue?: (event: { clientId: string; sub: string; grant: string; scope: string }) => void;
  /** Redirect URIs of the member portal's SPA client (local/okta/spa-client.ts); none = no browser sign-in. */
  readonly spaRedirectUris?: readonly string[];
  /** Public keys for private_key_jwt at introspect/revoke, by client id (e.g. the gateway's INTROSPECTION_CLIENT). */
  readonly clientPublicKeys?: Readonly<Record<string, crypto.KeyObject>>;
}

export interface OktaStandIn {
  readonly issuer: string;
  readonly port: number;
  readonly audience: string;
  readonly jwksUri: string;
  readonly tokenEndpoint: string;
  readonly introspectionEndpoint: string;
  readonly revocationEndpoint: string;
  /** The signing key at start. */
  readonly publicJwk: PublicJwk;
  /** Rotation state, JWKS fetch count and outage switch (also served at ADMIN_PATH). */
  readonly admin: OktaAdmin;
  close(): Promise<void>;
}

/** What the admin endpoint reports. */
export interface OktaAdminStatus extends KeyRingStatus, IntrospectionStatus {
  readonly jwksAvailable: boolean;
  /** GET {issuer}/v1/keys requests served or refused since start. */
  readonly jwksFetches: number;
  /** When each of the last fetches arrived (ms since the epoch). */
  readonly jwksFetchTimes: readonly number[];
}

export type KeyAction = 'add' | 'activate' | 'retire' | 'rotate';
export const KEY_ACTIONS: readonly KeyAction[] = ['add', 'activate', 'retire', 'rotate'];

export interface OktaAdmin {
  status(): OktaAdminStatus;
  /** @throws KeyRingError when the step does not apply (e.g. retire with one key). */
  keys(action: KeyAction): OktaAdminStatus;
  /** false: the JWKS endpoint answers 503 (an Okta outage). */
  setJwksAvailable(available: boolean): OktaAdminStatus;
  /** false: the introspection endpoint answers 503 (an Okta outage). */
  setIntrospectionAvailable(available: boolean): OktaAdminStatus;
}

// ---- the few oidc-provider shapes used here (the package ships no types) ----
interface OidcClient { readonly clientId: string }
interface OidcToken {
  accountId?: string;
  scope?: string;
  gty?: string;
  resourceServer?: unknown;
  readonly client?: OidcClient;
  readonly clientId?: string;
  readonly expiration: number;
  readonly tokenType: string;
  save(): Promise<string>;
}
interface OidcIdToken { scope?: string; issue(opts: { use: 'idtoken' }): Promise<string> }
interface OidcParams { readonly [name: string]: string | undefined }
interface OidcCtx {
  readonly ip: string;
  readonly req: http.IncomingMessage;
  body: unknown;
  readonly oidc: { readonly client?: OidcClient; readonly params?: OidcParams; entity(name: string, value: unknown): void };
}
interface ResourceServerInfo {
  scope: string;
  audience: string;
  accessTokenFormat: 'jwt';
  accessTokenTTL: number;
  jwt: { sign: { alg: 'RS256' } };
}
interface OidcProvider extends InteractiveProvider {
  proxy: boolean;
  readonly AccessToken: new (init: Record<string, unknown>) => OidcToken;
  readonly IdToken: new (claims: Record<string, unknown>, opts: { ctx: OidcCtx; client: OidcClient }) => OidcIdToken;
  readonly ResourceServer: new (identifier: string, info: ResourceServerInfo) => unknown;
  registerGrantType(name: string, handler: (ctx: OidcCtx) => Promise<void>, params: string[]): void;
  callback(): (req: http.IncomingMessage, res: http.ServerResponse) => void;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
interface OidcModule {
  default: new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
  errors: {
    InvalidGrant: new (detail: string) => Error;
    InvalidRequest: new (detail: string) => Error;
    InvalidTarget: new (detail?: string) => Error;
    UnauthorizedClient: new (detail: string) => Error;
    InvalidScope: new (detail: string, scope: string) => Error;
  };
}

async function importOidcProvider(): Promise<OidcModule> {
  const specifier = 'oidc-provider';
  // Node < 22 makes oidc-provider print an "Unsupported runtime" notice; it works on Node 20.19+.
  return (await import(specifier)) as OidcModule;
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

const KNOWN_AUDIENCES = [DEFAULT_AUDIENCE, OTHER_AUDIENCE];

function resourceServerInfo(audience: string, ttl: number): ResourceServerInfo {
  return { scope: API_SCOPES.join(' '), audience, accessTokenFormat: 'jwt', accessTokenTTL: ttl, jwt: { sign: { alg: 'RS256' } } };
}

function lifetimeParam(raw: string | undefined, errors: OidcModule['errors']): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^-?\d{1,6}$/.test(raw)) throw new errors.InvalidRequest('lifetime must be a whole number of seconds');
  return Number(raw);
}

function buildConfiguration(jwk: SigningJwk, ttl: number, mod: OidcModule, spaRedirectUris: readonly string[]): Record<string, unknown> {
  const { errors } = mod;
  const { logoutSource, ...interactive } = interactiveConfiguration(AUTH_SERVER_PATH);
  return {
    ...interactive,
    clients: [...(spaRedirectUris.length > 0 ? [spaClientMetadata(spaRedirectUris)] : []), ...CLIENTS.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      grant_types: [...c.grantTypes],
      response_types: [],
      redirect_uris: [],
      scope: c.scope,
      token_endpoint_auth_method: 'client_secret_basic',
    }))],
    // `none`: the portal's public PKCE client (the only client registered with it).
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', ...(spaRedirectUris.length > 0 ? ['none'] : [])],
    jwks: { keys: [jwk] },
    scopes: [...OIDC_SCOPES, ...API_SCOPES],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => DEFAULT_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => {
          if (!KNOWN_AUDIENCES.includes(indicator)) throw new errors.InvalidTarget();
          return resourceServerInfo(indicator, ttl);
        },
      },
    },
    routes: {
      authorization: '/v1/authorize',
      token: '/v1/token',
      jwks: '/v1/keys',
      introspection: '/v1/introspect',
      revocation: '/v1/revoke',
      userinfo: '/v1/userinfo',
      end_session: '/v1/logout',
    },
    ttl: { AccessToken: ttl, ClientCredentials: ttl, IdToken: ttl },
    // Member claims travel in `extra`; the JWT customizer puts them in Okta's places.
    extraTokenClaims: (_ctx: unknown, token: OidcToken) => {
      const user = token.accountId === undefined ? undefined : findUser(token.accountId);
      if (!user) return undefined;
      return {
        uid: user.uid,
        enrolleeId: user.enrolleeId,
        enrolleeType: user.enrolleeType,
        groups: [...user.groups],
        ...(user.dependants.length > 0 ? { dependants: [...user.dependants] } : {}),
      };
    },
    formats: {
      customizers: {
        jwt: (ctx: OidcCtx | undefined, token: OidcToken, jwt: { header?: Record<string, unknown>; payload: Record<string, unknown> }) => {
          const p = jwt.payload;
          const scope = typeof p.scope === 'string' ? p.scope : '';
          // Okta: no `typ` header, `scp` array, `cid`, `ver`, jti with an AT. prefix, no `scope`/`client_id`.
          jwt.header = { typ: undefined };
          p.ver = 1;
          p.jti = `AT.${String(p.jti)}`;
          p.cid = p.client_id;
          p.scp = scope === '' ? [] : scope.split(' ');
          delete p.scope;
          delete p.client_id;
          const lifetime = token.gty === DEV_USER_GRANT ? lifetimeParam(ctx?.oidc.params?.lifetime, errors) : undefined;
          if (lifetime !== undefined && typeof p.iat === 'number') {
            if (lifetime < 0) p.iat = p.iat + lifetime - 60; // an expired token was issued in the past
            p.exp = (p.iat as number) + (lifetime < 0 ? 60 : lifetime);
          }
        },
      },
    },
    renderError: (ctx: OidcCtx, out: Record<string, unknown>) => {
      ctx.body = out;
    },
  };
}

function devUserGrant(provider: OidcProvider, mod: OidcModule, ttl: number) {
  const { errors } = mod;
  return async (ctx: OidcCtx): Promise<void> => {
    const client = ctx.oidc.client;
    const params = ctx.oidc.params ?? {};
    if (!client || client.clientId !== DEV_CLIENT_ID) {
      throw new errors.UnauthorizedClient(`the dev-user grant is only for client ${DEV_CLIENT_ID}`);
    }
    if (!isLoopback(ctx.req.socket.remoteAddress)) {
      throw new errors.UnauthorizedClient('the dev-user grant is only served to 127.0.0.1');
    }
    const user = findUser(params.username ?? '');
    if (!user) throw new errors.InvalidGrant('unknown username');
    const devClient = CLIENTS.find((c) => c.clientId === DEV_CLIENT_ID);
    const allowed = new Set((devClient?.scope ?? '').split(' '));
    const requested = (params.scope ?? devClient?.defaultScope ?? '').split(' ').filter((s) => s !== '');
    const denied = requested.filter((s) => !allowed.has(s));
    if (denied.length > 0) throw new errors.InvalidScope('requested scope is not allowed', denied.join(' '));
    lifetimeParam(params.lifetime, errors);
    const audience = params.resource ?? DEFAULT_AUDIENCE;
    if (!KNOWN_AUDIENCES.includes(audience)) throw new errors.InvalidTarget();

    const apiScopes = requested.filter((s) => (API_SCOPES as readonly string[]).includes(s));
    const token = new provider.AccessToken({
      accountId: user.login,
      client,
      gty: DEV_USER_GRANT,
      grantId: crypto.randomUUID(),
      scope: apiScopes.join(' ') || undefined,
    });
    token.resourceServer = new provider.ResourceServer(audience, resourceServerInfo(audience, ttl));
    ctx.oidc.entity('AccessToken', token);
    const accessToken = await token.save();

    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: token.tokenType,
      expires_in: token.expiration,
      scope: [...requested].join(' '),
    };
    if (requested.includes('openid')) {
      const idToken = new provider.IdToken(
        { sub: user.login, name: user.name, preferred_username: user.login, email: user.login },
        { ctx, client },
      );
      idToken.scope = requested.filter((s) => (OIDC_SCOPES as readonly string[]).includes(s)).join(' ');
      body.id_token = await idToken.issue({ use: 'idtoken' });
    }
    ctx.body = body;
  };
}

/** Start the stand-in on 127.0.0.1:`port`. */
export async function startOktaStandIn(options: OktaStandInOptions): Promise<OktaStandIn> {
  const mod = await importOidcProvider();
  const ring = KeyRing.load(options.keysDir);
  const initial = publicPart(ring.active);
  const ttl = options.accessTokenTtlSeconds ?? 3600;

  // Listen first: the issuer URL needs the (possibly ephemeral) port.
  const server = http.createServer();
  const port = await listenOnLoopback(server, options.port);
  const issuer = `http://127.0.0.1:${port}${AUTH_SERVER_PATH}`;

  /**
   * oidc-provider signs with the keys it was built with, so a rotation builds
   * a new provider around the new active key. The JWKS itself is served from
   * the ring (below), so it can list keys that do not sign (yet, or any more).
   */
  const providerFor = (jwk: SigningJwk): OidcProvider => {
    const provider = new mod.default(issuer, buildConfiguration(jwk, ttl, mod, options.spaRedirectUris ?? []));
    provider.registerGrantType(DEV_USER_GRANT, devUserGrant(provider, mod, ttl), ['username', 'scope', 'lifetime', 'resource']);
    const onIssue = options.onIssue;
    if (onIssue) {
      provider.on('access_token.issued', (...args: unknown[]) => {
        const t = args[0] as OidcToken;
        onIssue({ clientId: t.clientId ?? '', sub: t.accountId ?? t.clientId ?? '', grant: t.gty ?? 'client_credentials', scope: t.scope ?? '' });
      });
      provider.on('client_credentials.issued', (...args: unknown[]) => {
        const t = args[0] as OidcToken;
        onIssue({ clientId: t.clientId ?? '', sub: t.clientId ?? '', grant: 'client_credentials', scope: t.scope ?? '' });
      });
    }
    return provider;
  };
  let provider = providerFor(ring.active);
  let callback = provider.callback();

  let jwksAvailable = true;
  let jwksFetches = 0;
  const jwksFetchTimes: number[] = [];
  const introspectionClients: IntrospectionClient[] = [
    ...CLIENTS.map((c) => ({ clientId: c.clientId, clientSecret: c.clientSecret })),
    { clientId: INTROSPECTION_CLIENT.clientId, clientSecret: INTROSPECTION_CLIENT.clientSecret },
  ].map((c) => ({ ...c, publicKey: options.clientPublicKeys?.[c.clientId] }));
  const introspection = createIntrospectionService({
    issuer,
    publicJwks: () => ring.publicJwks().keys,
    clients: () => introspectionClients,
  });
  const admin: OktaAdmin = {
    status: () => ({ ...ring.status(), jwksAvailable, jwksFetches, jwksFetchTimes: [...jwksFetchTimes], ...introspection.status() }),
    keys: (action) => {
      const before = ring.active.kid;
      ring[action]();
      if (ring.active.kid !== before) {
        provider = providerFor(ring.active);
        callback = provider.callback();
      }
      return admin.status();
    },
    setJwksAvailable: (available) => {
      jwksAvailable = available;
      return admin.status();
    },
    setIntrospectionAvailable: (available) => {
      introspection.setAvailable(available);
      return admin.status();
    },
  };
  const jwksPath = `${AUTH_SERVER_PATH}/v1/keys`;
  const introspectPath = `${AUTH_SERVER_PATH}/v1/introspect`;
  const revokePath = `${AUTH_SERVER_PATH}/v1/revoke`;

  server.on('request', (req: http.IncomingMessage & { originalUrl?: string }, res: http.ServerResponse) => {
    const url = req.url ?? '/';
    if (url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (url === ADMIN_PATH || url.startsWith(`${ADMIN_PATH}/`)) {
      serveAdmin(req, res, admin);
      return;
    }
    if (req.method === 'GET' && (url === jwksPath || url.startsWith(`${jwksPath}?`))) {
      jwksFetches++;
      jwksFetchTimes.push(Date.now());
      if (jwksFetchTimes.length > MAX_FETCH_TIMES) jwksFetchTimes.shift();
      if (!jwksAvailable) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"errorCode":"E0000009","errorSummary":"Internal Server Error (stand-in JWKS outage)"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ring.publicJwks()));
      return;
    }
    // oidc-provider refuses to introspect/revoke JWT access tokens; Okta does both (./introspection.ts).
    if (url === introspectPath || url === revokePath) {
      introspection.handle(url === introspectPath ? 'introspect' : 'revoke', req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"server_error"}');
      });
      return;
    }
    if (url !== AUTH_SERVER_PATH && !url.startsWith(`${AUTH_SERVER_PATH}/`) && !url.startsWith(`${AUTH_SERVER_PATH}?`)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errorCode":"E0000022","errorSummary":"The endpoint does not support the provided HTTP method"}');
      return;
    }
    if (handleInteraction(provider, AUTH_SERVER_PATH, req, res)) return;
    req.originalUrl = url;
    let inner = url.slice(AUTH_SERVER_PATH.length) || '/';
    // Okta serves the same metadata under both well-known names.
    if (inner.startsWith('/.well-known/oauth-authorization-server')) {
      inner = inner.replace('/.well-known/oauth-authorization-server', '/.well-known/openid-configuration');
      req.originalUrl = `${AUTH_SERVER_PATH}${inner}`;
    }
    req.url = inner;
    callback(req, res);
  });

  return {
    issuer,
    port,
    audience: DEFAULT_AUDIENCE,
    jwksUri: `${issuer}/v1/keys`,
    tokenEndpoint: `${issuer}/v1/token`,
    introspectionEndpoint: `${issuer}/v1/introspect`,
    revocationEndpoint: `${issuer}/v1/revoke`,
    publicJwk: initial,
    admin,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

/**
 * LOCAL-ONLY: `GET /__admin/keys` (status), `POST /__admin/keys/{add,activate,retire,rotate}`,
 * `POST /__admin/jwks/{down,up}`, `POST /__admin/introspection/{down,up}`. Served only to loopback callers that name
 * 127.0.0.1/localhost as Host (no DNS rebinding) and send ADMIN_HEADER.
 */
function serveAdmin(req: http.IncomingMessage, res: http.ServerResponse, admin: OktaAdmin): void {
  req.resume();
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  if (!isLoopback(req.socket.remoteAddress) || !['127.0.0.1', 'localhost', '[::1]'].includes(host) || req.headers[ADMIN_HEADER] === undefined) {
    sendJson(res, 403, { error: 'forbidden', error_description: `local-only admin endpoint: 127.0.0.1 callers with the ${ADMIN_HEADER} header` });
    return;
  }
  const route = (req.url ?? '').slice(ADMIN_PATH.length).replace(/\?.*$/, '');
  try {
    if (req.method === 'GET' && route === '/keys') return sendJson(res, 200, admin.status());
    if (req.method === 'POST') {
      const action = /^\/keys\/([a-z]+)$/.exec(route)?.[1];
      if (action !== undefined && (KEY_ACTIONS as readonly string[]).includes(action)) return sendJson(res, 200, admin.keys(action as KeyAction));
      if (route === '/jwks/down' || route === '/jwks/up') return sendJson(res, 200, admin.setJwksAvailable(route === '/jwks/up'));
      if (route === '/introspection/down' || route === '/introspection/up') return sendJson(res, 200, admin.setIntrospectionAvailable(route === '/introspection/up'));
    }
    sendJson(res, 404, { error: 'not_found', error_description: `GET ${ADMIN_PATH}/keys, POST ${ADMIN_PATH}/keys/{${KEY_ACTIONS.join(',')}}, POST ${ADMIN_PATH}/jwks/{down,up}, POST ${ADMIN_PATH}/introspection/{down,up}` });
  } catch (error) {
    if (error instanceof KeyRingError) return sendJson(res, 409, { error: 'conflict', error_description: error.message });
    sendJson(res, 500, { error: 'server_error' });
  }
}
