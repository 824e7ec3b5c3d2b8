/**
 * `npm run policy:publish -- --bucket B [--key K] [--signing-key private.pem]
 *   [--signing-alg ES256] [--key-id ID] [--scope S] [--endpoint URL]
 *   [--policy-dir policies] [--revision R] [--unsigned]`
 *
 * Builds the policy directory into an OPA bundle with rego-wasm, signs it
 * and uploads it to s3://B/K, where the functions poll it
 * (POLICY_BUNDLE_URL). Prints the revision, the ETag and the version id;
 * never key material (only the key file's path). Publishing unsigned needs
 * `--unsigned`, because functions with a verification key reject it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildPolicyBundle, defaultAlgorithm, type BundleSigning } from './publish/build-bundle';
import { uploadBundle } from './publish/s3-upload';

const USAGE =
  'usage: npm run policy:publish -- --bucket <bucket> [--key bundles/bundle.tar.gz] (--signing-key <private.pem> | --unsigned) ' +
  '[--signing-alg RS256|ES256|...] [--key-id <id>] [--scope <scope>] [--endpoint <url>] [--policy-dir policies] [--revision <r>]';

export class PublishUsageError extends Error {}

export interface PublishArgs {
  readonly bucket: string;
  readonly key: string;
  readonly policyDir: string;
  readonly signingKeyFile?: string;
  readonly signingAlg?: string;
  readonly keyId?: string;
  readonly scope?: string;
  readonly endpoint?: string;
  readonly revision?: string;
  readonly unsigned: boolean;
}

export const DEFAULT_KEY = 'bundles/bundle.tar.gz';

export function parsePublishArgs(argv: readonly string[], cwd = process.cwd()): PublishArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        bucket: { type: 'string' },
        key: { type: 'string' },
        'policy-dir': { type: 'string' },
        'signing-key': { type: 'string' },
        'signing-alg': { type: 'string' },
        'key-id': { type: 'string' },
        scope: { type: 'string' },
        endpoint: { type: 'string' },
        revision: { type: 'string' },
        unsigned: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new PublishUsageError(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.bucket === undefined || values.bucket === '') throw new PublishUsageError(`--bucket is required\n${USAGE}`);
  if (values['signing-key'] === undefined && values.unsigned !== true) {
    throw new PublishUsageError(`give --signing-key <private.pem> (functions with a verification key reject unsigned bundles), or --unsigned\n${USAGE}`);
  }
  if (values['signing-key'] !== undefined && values.unsigned === true) throw new PublishUsageError(`--signing-key and --unsigned contradict each other\n${USAGE}`);
  if (values.endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(values.endpoint);
    } catch {
      throw new PublishUsageError(`--endpoint is not a URL: ${values.endpoint}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PublishUsageError(`--endpoint must be http(s)://, got ${url.protocol}`);
  }
  return {
    bucket: values.bucket,
    key: values.key ?? DEFAULT_KEY,
    policyDir: path.resolve(cwd, values['policy-dir'] ?? 'policies'),
    signingKeyFile: values['signing-key'] === undefined ? undefined : path.resolve(cwd, values['signing-key']),
    signingAlg: values['signing-alg'],
    keyId: values['key-id'],
    scope: values.scope,
    endpoint: values.endpoint,
    revision: values.revision,
    unsigned: values.unsigned === true,
  };
}

export interface PublishResult {
  readonly url: string;
  readonly revision: string;
  readonly etag: string;
  readonly versionId?: string;
  readonly signed: boolean;
  readonly bytes: number;
}

export async function publish(args: PublishArgs): Promise<PublishResult> {
  let signing: BundleSigning | undefined;
  if (args.signingKeyFile !== undefined) {
    let pem: string;
    try {
      pem = fs.readFileSync(args.signingKeyFile, 'utf8');
    } catch (error) {
      throw new PublishUsageError(`cannot read --signing-key ${args.signingKeyFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    let algorithm: string;
    try {
      algorithm = args.signingAlg ?? defaultAlgorithm(pem);
    } catch {
      // The key's contents are not echoed.
      throw new PublishUsageError(`--signing-key ${args.signingKeyFile} is not a PEM private key (RSA or EC)`);
    }
    signing = { privateKeyPem: pem, algorithm, keyId: args.keyId, scope: args.scope };
  }
  const built = buildPolicyBundle({ policyDir: args.policyDir, revision: args.revision, signing });
  const uploaded = await uploadBundle({ bucket: args.bucket, key: args.key, bytes: built.bytes, revision: built.revision, endpoint: args.endpoint });
  return { url: `s3://${args.bucket}/${args.key}`, revision: built.revision, signed: built.signed, bytes: built.bytes.length, ...uploaded };
}

if (require.main === module) {
  (async () => {
    const args = parsePublishArgs(process.argv.slice(2));
    const result = await publish(args);
    process.stdout.write(
      [
        `published ${result.url} (${result.bytes} bytes, ${result.signed ? 'signed' : 'UNSIGNED'})`,
        `revision ${result.revision}`,
        `etag ${result.etag}`,
        ...(result.versionId !== undefined ? [`version ${result.versionId}`] : []),
        '',
      ].join('\n'),
    );
  })().catch((error: unknown) => {
    process.stderr.write(`policy:publish: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
