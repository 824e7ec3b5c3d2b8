/**
 * The local stack's credentials for the authorizer's introspection client
 * (local/okta/directory.ts INTROSPECTION_CLIENT): an EC P-256 key pair made
 * at start-up for `private_key_jwt` (the stand-in gets the public key) and
 * the DEV-ONLY client secret, written as the JSON the authorizer reads from
 * Secrets Manager in the deployed stack, to a 0600 file in a fresh temporary
 * directory that is removed when the stack stops. Never committed, never in
 * the environment (the functions get only the file's path).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INTROSPECTION_CLIENT } from './okta/directory';

export interface LocalIntrospectionCredentials {
  readonly clientId: string;
  readonly publicKey: crypto.KeyObject;
  /** The credentials file (INTROSPECTION_CREDENTIALS_FILE). */
  readonly file: string;
  /** Function environment for the introspection client (INTROSPECTION_MODE stays as the caller set it: off by default). */
  readonly env: Record<string, string>;
  remove(): void;
}

export function createLocalIntrospectionCredentials(): LocalIntrospectionCredentials {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-introspection-'));
  const file = path.join(dir, 'credentials.json');
  const secret = {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    clientSecret: INTROSPECTION_CLIENT.clientSecret,
  };
  fs.writeFileSync(file, JSON.stringify(secret), { mode: 0o600 });
  return {
    clientId: INTROSPECTION_CLIENT.clientId,
    publicKey,
    file,
    env: {
      INTROSPECTION_CLIENT_ID: INTROSPECTION_CLIENT.clientId,
      INTROSPECTION_CLIENT_AUTH: 'private_key_jwt',
      INTROSPECTION_CREDENTIALS_FILE: file,
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
