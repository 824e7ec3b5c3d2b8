/**
 * functions/shared/secrets.ts: GetSecretValue (the SDK module mocked: no AWS
 * here) with the ARN as SecretId, SecretString only, errors that name the
 * failure and never the value; the local file source.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const sent: Array<{ SecretId?: string }> = [];
let answer: () => Promise<{ SecretString?: string; SecretBinary?: Uint8Array }> = () => Promise.resolve({ SecretString: '{"clientSecret":"s3cr3t"}' });

jest.mock('@aws-sdk/client-secrets-manager', () => ({
  SecretsManagerClient: class {
    send(command: { input: { SecretId?: string } }): Promise<unknown> {
      sent.push(command.input);
      return answer();
    }
  },
  GetSecretValueCommand: class {
    constructor(readonly input: { SecretId?: string }) {}
  },
}));

import { fetchSecret, SecretReadError } from '../../functions/shared/secrets';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/introspection-AbCdEf';

test('reads the SecretString of the named secret', async () => {
  await expect(fetchSecret({ kind: 'secrets_manager', secretArn: ARN })).resolves.toBe('{"clientSecret":"s3cr3t"}');
  expect(sent.at(-1)).toEqual({ SecretId: ARN });
});

test('a binary secret or an SDK error is a SecretReadError naming the failure only', async () => {
  answer = () => Promise.resolve({ SecretBinary: new Uint8Array([1]) });
  await expect(fetchSecret({ kind: 'secrets_manager', secretArn: ARN })).rejects.toThrow(/no SecretString/);
  answer = () => Promise.reject(Object.assign(new Error(`User is not authorized to access ${ARN}`), { name: 'AccessDeniedException' }));
  const error = await fetchSecret({ kind: 'secrets_manager', secretArn: ARN }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SecretReadError);
  expect((error as Error).message).toBe('GetSecretValue failed (AccessDeniedException)');
});

test('the local file source reads the file; a missing file names its error code only', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secret-file-'));
  try {
    const file = path.join(dir, 'creds.json');
    fs.writeFileSync(file, '{"privateKeyPem":"x"}', { mode: 0o600 });
    await expect(fetchSecret({ kind: 'file', path: file })).resolves.toBe('{"privateKeyPem":"x"}');
    await expect(fetchSecret({ kind: 'file', path: path.join(dir, 'absent.json') })).rejects.toThrow('cannot read the credentials file (ENOENT)');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
