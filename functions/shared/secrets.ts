/**
 * Credentials for the functions: the introspection client's secret or
 * private key, the claims proxy's client certificate and key. In the
 * deployed stack they come from AWS Secrets Manager (the environment carries
 * only the secret's ARN; `@aws-sdk/client-secrets-manager` is provided by the
 * Lambda runtime and kept external in the bundles); the local stack reads a
 * file it wrote at start-up. A file source is refused inside Lambda
 * (config.ts), so a deployed function never reads credentials from its
 * package or environment.
 *
 * Read once per container and cached (the promise); a failed read is not
 * cached, so the next request tries again. Values are never logged; errors
 * name the source only.
 */
import { readFile } from 'node:fs/promises';

export type SecretSource =
  | { readonly kind: 'secrets_manager'; readonly secretArn: string }
  | { readonly kind: 'file'; readonly path: string };

/** Why a secret could not be read (the message never carries its value). */
export class SecretReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretReadError';
  }
}

/** Fetches a secret's string value (tests pass their own). */
export type SecretFetcher = (source: SecretSource) => Promise<string>;

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;

export function isSecretArn(value: string): boolean {
  return SECRET_ARN.test(value);
}

/** The default fetcher: GetSecretValue (SecretString only) or a local file. */
export const fetchSecret: SecretFetcher = async (source) => {
  if (source.kind === 'file') {
    try {
      return await readFile(source.path, 'utf8');
    } catch (error) {
      throw new SecretReadError(`cannot read the credentials file (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
    }
  }
  try {
    const sdk = await import('@aws-sdk/client-secrets-manager');
    const client = new sdk.SecretsManagerClient({});
    const out = await client.send(new sdk.GetSecretValueCommand({ SecretId: source.secretArn }));
    if (typeof out.SecretString !== 'string') throw new SecretReadError('the secret has no SecretString (binary secrets are not supported)');
    return out.SecretString;
  } catch (error) {
    if (error instanceof SecretReadError) throw error;
    throw new SecretReadError(`GetSecretValue failed (${error instanceof Error ? error.name : 'error'})`, { cause: error });
  }
};

/**
 * A per-container cached reader of one secret, parsed by `parse` (which
 * throws SecretReadError on a malformed value). Concurrent first calls share
 * one read; a failure is forgotten so that the next call retries.
 */
export function cachedSecret<T>(source: SecretSource, parse: (raw: string) => T, fetcher: SecretFetcher = fetchSecret): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= fetcher(source).then(parse);
    pending.catch(() => {
      pending = undefined;
    });
    return pending;
  };
}

/** Parse a secret holding a JSON object (the value is never echoed in the error). */
export function jsonSecret(raw: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new SecretReadError('the secret is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SecretReadError('the secret is not a JSON object');
  return parsed as Record<string, unknown>;
}
