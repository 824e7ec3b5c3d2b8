/**
 * `npm run -s token -- <user> [--scope a,b] [--client id] [--id-token] [--lifetime s] [--audience aud]`
 * `npm run -s token -- --client acme-audit-service`
 *
 * Prints ONLY the token (so `TOKEN=$(npm run -s token -- alice)` works),
 * obtained over HTTP from the running Okta stand-in (OKTA_PORT, default 9000,
 * or OKTA_TOKEN_ENDPOINT). `--id-token` prints the ID token instead (for the
 * "an ID token is rejected" check); `--lifetime -60` gives an expired token.
 */
import { LocalStackError, UsageError } from './errors';
import { defaultTokenEndpoint, requestToken, type TokenRequest } from './okta/token-client';

const USAGE = 'usage: npm run -s token -- <alice|bob|john|jane|carol|dan> [--scope claims:read,claims:write] [--client <id>] [--id-token] [--lifetime <s>] [--audience <aud>]\n       npm run -s token -- --client acme-audit-service [--scope claims:audit,claims:read]';

export function parseTokenArgs(argv: readonly string[]): TokenRequest & { idToken: boolean } {
  let username: string | undefined;
  let clientId: string | undefined;
  let scopes: string[] | undefined;
  let lifetimeSeconds: number | undefined;
  let audience: string | undefined;
  let idToken = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--scope' || a === '--scopes') scopes = next().split(/[,\s]+/).filter((s) => s !== '');
    else if (a === '--client') clientId = next();
    else if (a === '--lifetime') {
      const v = next();
      if (!/^-?\d+$/.test(v)) throw new UsageError(`--lifetime needs whole seconds\n${USAGE}`);
      lifetimeSeconds = Number(v);
    } else if (a === '--audience') audience = next();
    else if (a === '--id-token') idToken = true;
    else if (a === '-h' || a === '--help') throw new UsageError(USAGE);
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}\n${USAGE}`);
    else if (username === undefined) username = a;
    else throw new UsageError(`one user only\n${USAGE}`);
  }
  if (username === undefined && clientId === undefined) throw new UsageError(USAGE);
  if (idToken) scopes = [...new Set(['openid', ...(scopes ?? ['claims:read', 'claims:write'])])];
  return { tokenEndpoint: defaultTokenEndpoint(), username, clientId, scopes, lifetimeSeconds, audience, idToken };
}

async function main(): Promise<void> {
  const args = parseTokenArgs(process.argv.slice(2));
  const res = await requestToken(args);
  if (args.idToken) {
    if (!res.idToken) throw new UsageError('the stand-in returned no ID token');
    process.stdout.write(`${res.idToken}\n`);
  } else {
    process.stdout.write(`${res.accessToken}\n`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof LocalStackError ? error.message : String(error)}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  });
}
