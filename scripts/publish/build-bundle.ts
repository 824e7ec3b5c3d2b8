/**
 * Build a policy directory into an OPA bundle (`bundle.tar.gz`: `/policy.wasm`,
 * `/data.json`, `/.manifest`) with rego-wasm, for the entrypoints its
 * `manifest.json` lists plus `system/log/mask` when the directory defines
 * the decision-log mask, and sign it when a signing key is given. Shared by
 * `npm run policy:publish` and the local stack's bundle watcher.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build, readBundle, writeBundle, SIGNING_ALGORITHMS, type SigningAlgorithm } from 'rego-wasm';
import { policyEntrypoints } from '../../cdk/construct/policy-source';

export interface BundleSigning {
  /** The private key (PEM). Read from a file by the caller; never logged. */
  readonly privateKeyPem: string;
  /** JWS algorithm (`RS256`, `ES256`, ...); default from the key type. */
  readonly algorithm?: string;
  readonly keyId?: string;
  readonly scope?: string;
}

export interface BuildBundleOptions {
  readonly policyDir: string;
  /** The manifest revision; default: a content hash of the policy and its data. */
  readonly revision?: string;
  /** Sign the bundle (`/.signatures.json`); without it the bundle is unsigned. */
  readonly signing?: BundleSigning;
}

export interface BuiltBundle {
  readonly bytes: Uint8Array;
  readonly revision: string;
  readonly entrypoints: readonly string[];
  readonly signed: boolean;
}

/** Default JWS algorithm for a private key: RS256 for RSA, ES256/384/512 by EC curve. */
export function defaultAlgorithm(privateKeyPem: string): string {
  const key = crypto.createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1' || curve === 'P-256') return 'ES256';
    if (curve === 'secp384r1' || curve === 'P-384') return 'ES384';
    if (curve === 'secp521r1' || curve === 'P-521') return 'ES512';
  }
  throw new Error(`unsupported signing key type ${String(key.asymmetricKeyType)} (RSA or EC P-256/384/521)`);
}

export function buildPolicyBundle(opts: BuildBundleOptions): BuiltBundle {
  const dir = path.resolve(opts.policyDir);
  const entrypoints = policyEntrypoints(dir);
  const first = build({ paths: [dir], entrypoints, revision: opts.revision ?? '' });
  let result = first;
  let revision = opts.revision;
  if (revision === undefined) {
    // Content-addressed: the same policy and data give the same revision.
    const dataFile = path.join(dir, 'data.json');
    const hash = crypto.createHash('sha256').update(first.bytes);
    if (fs.existsSync(dataFile)) hash.update('\0').update(fs.readFileSync(dataFile));
    revision = hash.digest('hex').slice(0, 12);
    result = build({ paths: [dir], entrypoints, revision });
  }
  if (opts.signing === undefined) return { bytes: result.bundle, revision, entrypoints: result.entrypoints, signed: false };
  return { bytes: signBundleBytes(result.bundle, opts.signing), revision, entrypoints: result.entrypoints, signed: true };
}

/**
 * The same bundle with `/.signatures.json` added where `opa build --signing-key`
 * puts it (rego-wasm's writer; the JWS covers every other file's digest).
 */
export function signBundleBytes(bundle: Uint8Array, signing: BundleSigning): Uint8Array {
  const algorithm = signing.algorithm ?? defaultAlgorithm(signing.privateKeyPem);
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(algorithm) || algorithm.startsWith('HS')) {
    throw new Error(`signing algorithm ${algorithm} is not one of ${SIGNING_ALGORITHMS.filter((a) => !a.startsWith('HS')).join(', ')}`);
  }
  return writeBundle(readBundle(bundle), {
    signing: { key: signing.privateKeyPem, algorithm: algorithm as SigningAlgorithm, keyId: signing.keyId, scope: signing.scope },
  });
}
