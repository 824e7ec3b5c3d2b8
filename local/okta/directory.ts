/**
 * The Okta stand-in's directory: the ACME.md members (user tokens) and the
 * OAuth clients. Plain data, CommonJS-safe, shared by the stand-in, the token
 * CLI and the tests.
 */

export type EnrolleeType = 'primary' | 'secondary';

export interface DirectoryUser {
  /** Short name used on the command line (`npm run token -- alice`). */
  readonly username: string;
  /** Okta `sub` of a user token: the user's login. */
  readonly login: string;
  /** Okta `uid`: the user's id. */
  readonly uid: string;
  readonly name: string;
  readonly enrolleeId: string;
  readonly enrolleeType: EnrolleeType;
  readonly groups: readonly string[];
  /** Dependants a primary member may submit/update claims for (token claim `dependants`). */
  readonly dependants: readonly string[];
}

function member(
  username: string,
  name: string,
  enrolleeId: string,
  enrolleeType: EnrolleeType,
  dependants: readonly string[] = [],
): DirectoryUser {
  return {
    username,
    login: `${username}@acme.example`,
    uid: `00u${enrolleeId}${username}`.padEnd(20, '0'),
    name,
    enrolleeId,
    enrolleeType,
    groups: ['Everyone', enrolleeType === 'primary' ? 'acme-members-primary' : 'acme-members-secondary'],
    dependants,
  };
}

export const USERS: readonly DirectoryUser[] = [
  member('alice', 'Alice Anders', '1001', 'primary', ['1002', '1003', '1004']),
  member('bob', 'Bob Anders', '1002', 'secondary'),
  member('john', 'John Anders', '1003', 'secondary'),
  member('jane', 'Jane Anders', '1004', 'secondary'),
  member('carol', 'Carol Baker', '2001', 'primary', ['2002']),
  member('dan', 'Dan Baker', '2002', 'secondary'),
];

export function findUser(username: string): DirectoryUser | undefined {
  const wanted = username.toLowerCase();
  return USERS.find((u) => u.username === wanted || u.login === wanted);
}

/** Scopes the stand-in knows (Okta custom authorization server scopes). */
export const API_SCOPES = ['claims:read', 'claims:write', 'claims:audit'] as const;
export const OIDC_SCOPES = ['openid', 'profile', 'email'] as const;

/** The dev-only grant that issues a user token without a browser (127.0.0.1 only, dev client only). */
export const DEV_USER_GRANT = 'urn:acme:params:oauth:grant-type:dev-user';

export interface DirectoryClient {
  readonly clientId: string;
  /** DEV-ONLY secrets: this server is a local stand-in and never holds real credentials. */
  readonly clientSecret: string;
  readonly grantTypes: readonly string[];
  /** Scopes the client may request (space-separated, Okta/oidc-provider client metadata). */
  readonly scope: string;
  /** Scopes granted when the request names none. */
  readonly defaultScope: string;
}

export const DEV_CLIENT_ID = 'acme-dev-cli';

export const CLIENTS: readonly DirectoryClient[] = [
  {
    // Service client of the auditors (ACME.md request rule 4).
    clientId: 'acme-audit-service',
    clientSecret: 'dev-only-acme-audit-service-secret',
    grantTypes: ['client_credentials'],
    scope: 'claims:audit claims:read',
    defaultScope: 'claims:audit claims:read',
  },
  {
    // A service client without claims:audit: a valid token that the request policy must deny.
    clientId: 'acme-reporting-service',
    clientSecret: 'dev-only-acme-reporting-service-secret',
    grantTypes: ['client_credentials'],
    scope: 'claims:read',
    defaultScope: 'claims:read',
  },
  {
    // The CLI / tests: user tokens through the dev-only grant.
    clientId: DEV_CLIENT_ID,
    clientSecret: 'dev-only-acme-dev-cli-secret',
    grantTypes: [DEV_USER_GRANT],
    scope: 'openid profile email claims:read claims:write',
    defaultScope: 'claims:read claims:write',
  },
];

export function findClient(clientId: string): DirectoryClient | undefined {
  return CLIENTS.find((c) => c.clientId === clientId);
}

/** Default audience of the stand-in's `default` authorization server (Okta's). */
export const DEFAULT_AUDIENCE = 'api://default';
/** A second resource server, so tests can get a genuine token for the wrong audience. */
export const OTHER_AUDIENCE = 'api://billing';

/**
 * The gateway's own client at the authorization server: the authorizer
 * authenticates as it to call `/v1/introspect` (README "Token
 * introspection"). It has no grant. Locally it authenticates with
 * `private_key_jwt` (a key pair the local stack makes at start-up) or this
 * DEV-ONLY secret (`client_secret_basic` / `client_secret_post`).
 */
export const INTROSPECTION_CLIENT = {
  clientId: 'acme-api-gateway',
  clientSecret: 'dev-only-acme-api-gateway-secret',
} as const;
