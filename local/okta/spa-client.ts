/**
 * The stand-in's browser sign-in: the member portal's public SPA client
 * (Authorization Code + PKCE, no secret, like an Okta "Single-Page App"
 * integration) and the interactive login page with DEV-ONLY passwords.
 *
 * - client `acme-member-portal`: grant `authorization_code`, auth method
 *   `none`; PKCE S256 is required (oidc-provider requires it for public
 *   clients); redirect and post-logout URIs = the portal's origin + `/`;
 *   CORS on the token endpoint for exactly those origins (oidc-provider's
 *   default `clientBasedCORS` for `none` clients);
 * - login page `{issuer}/interaction/{uid}`: username (`alice` or
 *   `alice@acme.example`) + password `dev-<username>` (e.g. `dev-alice`);
 *   wrong password → the page again with an error, no detail which part was wrong;
 * - consent is implied for this first-party client (Okta's "trusted app"):
 *   the grant covers `openid profile email claims:read claims:write` on the
 *   default audience;
 * - logout (`/v1/logout`) ends the session without the confirmation page
 *   (the form posts itself), then redirects to the registered URI.
 */
import * as crypto from 'node:crypto';
import type * as http from 'node:http';
import { DEFAULT_AUDIENCE, findUser, type DirectoryUser } from './directory';

export const SPA_CLIENT_ID = 'acme-member-portal';
export const SPA_SCOPES = 'openid profile email claims:read claims:write';
const SPA_API_SCOPES = 'claims:read claims:write';

/** DEV-ONLY: the stand-in's password of a directory user (documented in local/README.md). */
export function devPassword(user: DirectoryUser): string {
  return `dev-${user.username}`;
}

/** oidc-provider client metadata of the portal, for these redirect URIs (the portal's origin + `/`). */
export function spaClientMetadata(redirectUris: readonly string[]): Record<string, unknown> {
  return {
    client_id: SPA_CLIENT_ID,
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [...redirectUris],
    post_logout_redirect_uris: [...redirectUris],
    scope: SPA_SCOPES,
  };
}

// ---- the few oidc-provider shapes used here (the package ships no types) ----
interface Grant {
  addOIDCScope(scope: string): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}
interface InteractionDetails {
  readonly uid: string;
  readonly prompt: { readonly name: string };
  readonly params: Readonly<Record<string, unknown>>;
}
export interface InteractiveProvider {
  interactionDetails(req: http.IncomingMessage, res: http.ServerResponse): Promise<InteractionDetails>;
  interactionFinished(req: http.IncomingMessage, res: http.ServerResponse, result: Record<string, unknown>, opts: { mergeWithLastSubmission: boolean }): Promise<void>;
}
interface GrantCtx {
  readonly oidc: {
    readonly client?: { readonly clientId: string };
    readonly session?: { readonly accountId?: string; grantIdFor(clientId: string): string | undefined };
    readonly result?: { readonly consent?: { readonly grantId?: string } };
    readonly provider: { readonly Grant: { new (init: { clientId: string; accountId: string }): Grant; find(id: string): Promise<Grant | undefined> } };
  };
  body: unknown;
}

function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The provider configuration this module adds (merged into the stand-in's). */
export function interactiveConfiguration(authServerPath: string): Record<string, unknown> {
  return {
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${authServerPath}/interaction/${interaction.uid}` },
    // ID token claims of a signed-in member.
    findAccount: (_ctx: unknown, id: string) => {
      const user = findUser(id);
      if (!user) return undefined;
      return { accountId: user.login, claims: () => ({ sub: user.login, name: user.name, preferred_username: user.login, email: user.login }) };
    },
    // First-party client: consent is implied, with exactly the portal's scopes.
    loadExistingGrant: async (ctx: GrantCtx) => {
      const { client, session, result, provider } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const existing = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      if (existing) return provider.Grant.find(existing);
      if (client.clientId !== SPA_CLIENT_ID) return undefined;
      const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      // The API scopes are granted both ways: oidc-provider checks the authorization request's scopes as
      // OIDC scopes (no `resource` parameter there, as with Okta) and the token's against the resource server.
      grant.addOIDCScope(SPA_SCOPES);
      grant.addResourceScope(DEFAULT_AUDIENCE, SPA_API_SCOPES);
      await grant.save();
      return grant;
    },
    logoutSource: async (ctx: GrantCtx, form: string) => {
      ctx.body = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Signing out</title></head><body>
${form}<input type="hidden" form="op.logoutForm" name="logout" value="yes">
<p>Signing you out… <button type="submit" form="op.logoutForm">Continue</button></p>
<script>document.forms[0].submit()</script></body></html>`;
    },
  };
}

const LOGIN_STYLE = 'body{font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;background:#f4f6f8;margin:0}main{max-width:22rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 3px #0003}label{display:block;margin-top:1rem;font-weight:600}input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #555;border-radius:4px}button{margin-top:1.5rem;width:100%;padding:.6rem;font:inherit;font-weight:600;color:#fff;background:#0b5cad;border:0;border-radius:4px;cursor:pointer}:focus-visible{outline:3px solid #f2a900;outline-offset:2px}[role=alert]{color:#a4000f;font-weight:600}small{color:#444}';

function loginPage(action: string, clientId: string, error: string | undefined, username: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sign in · Acme Okta (local stand-in)</title><style>${LOGIN_STYLE}</style></head><body><main>
<h1>Sign in to Acme</h1><p><small>Local Okta stand-in for ${htmlEscape(clientId)}. Dev passwords: <code>dev-&lt;username&gt;</code>.</small></p>
${error ? `<p role="alert">${htmlEscape(error)}</p>` : ''}
<form method="post" action="${htmlEscape(action)}" autocomplete="off">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" required value="${htmlEscape(username)}" autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form></main></body></html>`;
}

const MAX_FORM_BYTES = 4096;

function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM_BYTES) {
        req.destroy();
        reject(new Error('form too large'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function sameSecret(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  // No form-action: Chromium applies it to the redirect chain that ends at the client's redirect URI.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
};

/**
 * Serve `{authServerPath}/interaction/{uid}[/login]`; false when `url` is not
 * an interaction URL (the caller passes the request on to the provider).
 */
export function handleInteraction(provider: InteractiveProvider, authServerPath: string, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const url = req.url ?? '';
  const m = new RegExp(`^${authServerPath}/interaction/([A-Za-z0-9_-]{1,64})(/login)?$`).exec(url);
  if (!m) return url.startsWith(`${authServerPath}/interaction/`) ? (res.writeHead(404).end(), true) : false;
  const uid = m[1] ?? '';
  const isLogin = m[2] !== undefined;
  const run = async (): Promise<void> => {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : '';
    const action = `${authServerPath}/interaction/${uid}/login`;
    if (!isLogin && req.method === 'GET') {
      res.writeHead(200, PAGE_HEADERS).end(loginPage(action, clientId, undefined, typeof details.params.login_hint === 'string' ? details.params.login_hint : ''));
      return;
    }
    if (!isLogin || req.method !== 'POST') {
      res.writeHead(405, { allow: isLogin ? 'POST' : 'GET' }).end();
      return;
    }
    const form = await readForm(req);
    const username = form.get('username') ?? '';
    const user = findUser(username);
    // Compare even for an unknown user, so the answer time does not tell which part was wrong.
    const ok = sameSecret(form.get('password') ?? '', user ? devPassword(user) : `\0${crypto.randomUUID()}`) && user !== undefined;
    if (!ok || !user) {
      res.writeHead(401, PAGE_HEADERS).end(loginPage(action, clientId, 'Unknown username or wrong password.', username.slice(0, 64)));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: user.login } }, { mergeWithLastSubmission: false });
  };
  run().catch(() => {
    if (!res.headersSent) res.writeHead(400, PAGE_HEADERS).end('<!DOCTYPE html><title>Sign-in expired</title><p>This sign-in request expired or is invalid. Go back to the application and sign in again.</p>');
  });
  return true;
}
