/**
 * Ask the running Okta stand-in for a token over HTTP (never by signing
 * locally): `client_credentials` for service clients, the dev-only user grant
 * for ACME members. Shared by `npm run token`, the tests and the bench.
 */
import { TokenRequestError, UsageError } from '../errors';
import { DEV_CLIENT_ID, DEV_USER_GRANT, findClient, findUser } from './directory';

export interface TokenRequest {
  /** Token endpoint, e.g. http://127.0.0.1:9000/oauth2/default/v1/token. */
  readonly tokenEndpoint: string;
  /** A member (alice, bob, ...) for a user token; omit for client_credentials. */
  readonly username?: string;
  /** Defaults to acme-dev-cli for user tokens. */
  readonly clientId?: string;
  readonly scopes?: readonly string[];
  /** Dev grant only: seconds; negative → already expired. */
  readonly lifetimeSeconds?: number;
  /** Resource indicator (audience); default api://default. */
  readonly audience?: string;
}

export interface TokenResponse {
  readonly accessToken: string;
  readonly idToken?: string;
  readonly expiresIn: number;
  readonly scope: string;
}

export async function requestToken(req: TokenRequest): Promise<TokenResponse> {
  const clientId = req.clientId ?? (req.username !== undefined ? DEV_CLIENT_ID : undefined);
  if (clientId === undefined) throw new UsageError('name a user (alice, bob, ...) or a service client (--client acme-audit-service)');
  const client = findClient(clientId);
  if (!client) throw new UsageError(`unknown client ${clientId}`);
  const form = new URLSearchParams();
  if (req.username !== undefined) {
    if (!findUser(req.username)) throw new UsageError(`unknown user ${req.username} (alice, bob, john, jane, carol, dan)`);
    form.set('grant_type', DEV_USER_GRANT);
    form.set('username', req.username);
    if (req.lifetimeSeconds !== undefined) form.set('lifetime', String(req.lifetimeSeconds));
  } else {
    form.set('grant_type', 'client_credentials');
  }
  // Okta grants a client's default scopes when none are asked for; the stand-in's clients list theirs.
  const scopes = req.scopes && req.scopes.length > 0 ? req.scopes : client.defaultScope.split(' ');
  form.set('scope', scopes.join(' '));
  if (req.audience !== undefined) form.set('resource', req.audience);
  const basic = Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64');
  let res: Response;
  try {
    res = await fetch(req.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      signal: AbortSignal.timeout(5000),
    });
  } catch (error) {
    throw new TokenRequestError(0, 'unreachable', `cannot reach ${req.tokenEndpoint} (is "npm start" running?): ${(error as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok || typeof body.access_token !== 'string') {
    const err = typeof body.error === 'string' ? body.error : 'invalid_response';
    const desc = typeof body.error_description === 'string' ? `: ${body.error_description}` : '';
    throw new TokenRequestError(res.status, err, `token request failed (${res.status} ${err}${desc})`);
  }
  return {
    accessToken: body.access_token,
    idToken: typeof body.id_token === 'string' ? body.id_token : undefined,
    expiresIn: typeof body.expires_in === 'number' ? body.expires_in : 0,
    scope: typeof body.scope === 'string' ? body.scope : '',
  };
}

export function defaultTokenEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OKTA_TOKEN_ENDPOINT) return env.OKTA_TOKEN_ENDPOINT;
  const port = env.OKTA_PORT && env.OKTA_PORT !== '0' ? env.OKTA_PORT : '9000';
  return `http://127.0.0.1:${port}/oauth2/default/v1/token`;
}
