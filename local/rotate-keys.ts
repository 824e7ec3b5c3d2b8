/**
 * `npm run rotate-keys [-- add|activate|retire|rotate|status|jwks-down|jwks-up]`
 *
 * Rotates the signing key of the Okta stand-in of a running `npm start`
 * (OKTA_PORT, default 9000) through its LOCAL-ONLY admin endpoint:
 *
 *   rotate    (default) publish a new key and sign with it at once; the old key stays in the JWKS
 *   add       publish a new key, keep signing with the current one (Okta's "next" key)
 *   activate  sign with the newest published key
 *   retire    remove every key but the signing one from the JWKS (its tokens then fail
 *             once the authorizer's JWKS_MAX_AGE_SECONDS has passed)
 *   status    show the keys and how often the JWKS was fetched
 *   jwks-down / jwks-up   make the JWKS endpoint answer 503 (an Okta outage) / recover
 */
import { LocalStackError, UsageError } from './errors';
import { defaultOktaBase, oktaJwksAvailable, oktaKeys, oktaStatus } from './okta/admin-client';
import type { OktaAdminStatus } from './okta/server';

const USAGE = 'usage: npm run rotate-keys [-- rotate|add|activate|retire|status|jwks-down|jwks-up]';

export async function rotateKeys(argv: readonly string[], base = defaultOktaBase()): Promise<OktaAdminStatus> {
  if (argv.length > 1) throw new UsageError(USAGE);
  const command = argv[0] ?? 'rotate';
  switch (command) {
    case 'rotate':
    case 'add':
    case 'activate':
    case 'retire':
      return oktaKeys(base, command);
    case 'status':
      return oktaStatus(base);
    case 'jwks-down':
    case 'jwks-up':
      return oktaJwksAvailable(base, command === 'jwks-up');
    default:
      throw new UsageError(`unknown command ${command}\n${USAGE}`);
  }
}

function describe(s: OktaAdminStatus): string {
  const lines = [
    `signing key  ${s.active}`,
    `JWKS keys    ${s.published.map((k) => (k === s.active ? `${k} (signing)` : k)).join(', ')}`,
    `JWKS         ${s.jwksAvailable ? 'available' : 'DOWN (503)'}, fetched ${s.jwksFetches} time(s) since start`,
  ];
  if (s.published.length > 1) lines.push('old keys stay published until `npm run rotate-keys -- retire`');
  return `${lines.join('\n')}\n`;
}

if (require.main === module) {
  rotateKeys(process.argv.slice(2)).then(
    (status) => process.stdout.write(describe(status)),
    (error: unknown) => {
      process.stderr.write(`${error instanceof LocalStackError ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
