/**
 * Sign-in with Authorization Code + PKCE (oidc-client-ts). Tokens live only
 * in this page's memory (InMemoryWebStorage): never localStorage, gone on
 * reload or logout. sessionStorage holds only the short-lived sign-in
 * request (state + PKCE verifier) across the redirect to the issuer, and
 * oidc-client-ts removes it when the callback is processed.
 */
import { InMemoryWebStorage, UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';
import type { PortalConfig } from './config';

const MEMBER_ID = /^[A-Za-z0-9-]{1,32}$/;

export interface Session {
  readonly accessToken: string;
  /** Display name from the ID token. */
  readonly name: string;
  /** The access token's claims the page uses to choose what to ask for (the API decides). */
  readonly enrolleeId: string | undefined;
  readonly enrolleeType: string | undefined;
  readonly dependants: readonly string[];
}

export class Auth {
  private readonly manager: UserManager;
  private user: User | null = null;

  constructor(config: PortalConfig, origin: string) {
    this.manager = new UserManager({
      authority: config.issuer,
      client_id: config.clientId,
      redirect_uri: `${origin}/`,
      post_logout_redirect_uri: `${origin}/`,
      response_type: 'code',
      scope: config.scopes,
      loadUserInfo: false,
      automaticSilentRenew: false,
      monitorSession: false,
      userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
      stateStore: new WebStorageStateStore({ store: window.sessionStorage, prefix: 'acme-portal.' }),
    });
  }

  /** Finish a sign-in or sign-out redirect if this page load is one; then clean the URL. */
  async completeRedirect(location: Location): Promise<void> {
    const params = new URLSearchParams(location.search);
    if (params.has('state') && (params.has('code') || params.has('error'))) {
      try {
        this.user = await this.manager.signinRedirectCallback(location.href);
      } finally {
        history.replaceState(null, '', location.pathname);
      }
    } else if (params.has('state')) {
      history.replaceState(null, '', location.pathname);
    }
    await this.manager.clearStaleState();
  }

  session(): Session | null {
    const user = this.user;
    if (user === null || user.expired === true) return null;
    const claims = accessTokenClaims(user.access_token);
    // Member ids end up in URLs and selectors: only plain ids are used.
    const dependants = Array.isArray(claims.dependants) ? claims.dependants.filter((d): d is string => typeof d === 'string' && MEMBER_ID.test(d)) : [];
    const name = typeof user.profile.name === 'string' ? user.profile.name : user.profile.sub;
    return {
      accessToken: user.access_token,
      name,
      enrolleeId: typeof claims.enrolleeId === 'string' && MEMBER_ID.test(claims.enrolleeId) ? claims.enrolleeId : undefined,
      enrolleeType: typeof claims.enrolleeType === 'string' ? claims.enrolleeType : undefined,
      dependants,
    };
  }

  signIn(): Promise<void> {
    return this.manager.signinRedirect();
  }

  /** Forget the tokens here, then end the issuer's session (it redirects back). */
  async signOut(): Promise<void> {
    const idToken = this.user?.id_token;
    this.user = null;
    await this.manager.removeUser();
    await this.manager.signoutRedirect(idToken !== undefined ? { id_token_hint: idToken } : {});
  }
}

/**
 * The access token's payload, decoded for display decisions only (which
 * records to ask for). It is not verified here: the gateway verifies every
 * request and the policies decide what comes back.
 */
function accessTokenClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (part === undefined) return {};
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const value: unknown = JSON.parse(decodeURIComponent(Array.from(json, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('')));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
