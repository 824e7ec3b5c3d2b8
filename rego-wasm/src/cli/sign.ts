/**
 * Bundle signing on the command line, as opa's flags do it:
 *
 *   sign <dir|bundle.tar.gz>... --bundle --signing-key K [--signing-alg A] [--claims-file F] [-o dir]
 *       writes `<dir>/.signatures.json` (default: the current directory), one JWS over every
 *       file of the given bundles, like `opa sign`;
 *   build ... --signing-key K [--signing-alg A] [--claims-file F] [--verification-key-id ID] [--scope S]
 *       writes the signed bundle (kid and keyid claim = the key id, default `default`, unless a
 *       claims file is given, as `opa build`; `--scope` becomes the scope claim when there is no
 *       claims file — an extension: opa takes the scope from the claims file only);
 *   eval -b B / build -b DIR with --verification-key K [--verification-key-id ID] [--scope S]
 *       [--exclude-files-verify glob]... [--skip-verify]
 *       verifies each bundle before use; a signed bundle without a key is refused (as opa).
 *
 * A key flag names a file holding the key, or is the key itself (PEM or HMAC secret), as in
 * opa. One difference: `sign` names a directory's files relative to that directory
 * (`data.json`, not `policies/data.json`), which is what verifies once the directory is
 * packed into a bundle.tar.gz or loaded with `-b`; opa prefixes the path as typed.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BundleError, UsageError } from '../errors';
import { readBundleFiles } from '../package/bundle';
import {
  SIGNATURES_FILE,
  SIGNING_ALGORITHMS,
  checkVerificationOptions,
  signBundle,
  verifyBundle,
  type SignedFile,
  type SigningAlgorithm,
  type SigningOptions,
  type VerificationOptions,
} from '../package/signing';
import { SourceError, ignoreMatcher } from '../sources';

/** The parsed flags parseArgs hands to the command builders here. */
export interface FlagView {
  last(key: string): string | undefined;
  all(key: string): string[];
  has(key: string): boolean;
}

export interface SignCommand {
  cmd: 'sign';
  paths: string[];
  signing: CliSigning;
  /** Directory that receives `.signatures.json`. */
  outputDir: string;
}

/** The signing flags as given (keys are read when the command runs). */
export interface CliSigning {
  key: string;
  algorithm: SigningAlgorithm;
  claimsFile?: string;
  keyId?: string;
  scope?: string;
}

/** The verification flags as given. */
export interface CliVerification {
  key?: string;
  keyId?: string;
  scope?: string;
  algorithm?: SigningAlgorithm;
  exclude: string[];
  skipVerify: boolean;
}

export const SIGNING_FLAGS = ['signing-key', 'signing-alg', 'claims-file', 'signing-plugin'];
export const VERIFICATION_FLAGS = ['verification-key', 'verification-key-id', 'scope', 'exclude-files-verify', 'skip-verify', 'signing-alg'];

function algorithmFlag(f: FlagView): SigningAlgorithm | undefined {
  const alg = f.last('signing-alg');
  if (alg === undefined) return undefined;
  if (!SIGNING_ALGORITHMS.includes(alg as SigningAlgorithm)) throw new UsageError(`--signing-alg must be one of ${SIGNING_ALGORITHMS.join(', ')}, got ${alg}`);
  return alg as SigningAlgorithm;
}

function refusePlugin(f: FlagView): void {
  if (f.has('signing-plugin')) {
    throw new UsageError('--signing-plugin is not supported: opa signing plugins are Go code compiled into opa; sign with --signing-key');
  }
}

/** `--signing-key` and friends for build (undefined without `--signing-key`). */
export function signingFlags(f: FlagView, defaultKeyId: string | undefined): CliSigning | undefined {
  refusePlugin(f);
  const key = f.last('signing-key');
  if (key === undefined) {
    if (f.has('claims-file')) throw new UsageError('--claims-file needs --signing-key');
    return undefined;
  }
  if (key === '') throw new UsageError('--signing-key needs a value');
  const claimsFile = f.last('claims-file');
  return {
    key,
    algorithm: algorithmFlag(f) ?? 'RS256',
    claimsFile,
    // opa build: the key id is written only without a claims file
    keyId: claimsFile === undefined ? (f.last('verification-key-id') ?? defaultKeyId) : undefined,
    scope: claimsFile === undefined ? f.last('scope') : undefined,
  };
}

/** `--verification-key` and friends (for eval -b, build -b, replay); undefined when none is given. */
export function verificationFlags(f: FlagView, signing: boolean): CliVerification | undefined {
  if (!['verification-key', 'verification-key-id', 'scope', 'exclude-files-verify', 'skip-verify'].some((k) => f.has(k))) return undefined;
  const key = f.last('verification-key');
  if (key === undefined) {
    // with --signing-key, --verification-key-id and --scope also say what to sign (signingFlags)
    for (const k of signing ? ['exclude-files-verify'] : ['verification-key-id', 'exclude-files-verify', 'scope']) {
      if (f.has(k)) throw new UsageError(`--${k} needs --verification-key`);
    }
  }
  return {
    key,
    keyId: f.last('verification-key-id'),
    scope: f.last('scope'),
    algorithm: signing ? undefined : algorithmFlag(f),
    exclude: f.all('exclude-files-verify'),
    skipVerify: f.has('skip-verify'),
  };
}

export function parseSignCommand(positional: string[], f: FlagView): SignCommand {
  refusePlugin(f);
  if (positional.length === 0) throw new UsageError('sign needs at least one path containing policy and/or data files');
  const key = f.last('signing-key');
  if (!key) throw new UsageError('sign needs --signing-key: the secret (HMAC) or the path of the PEM file with the private key (RSA, ECDSA)');
  if (!f.has('bundle')) throw new UsageError('enable bundle mode (--bundle) to sign bundle files or directories');
  return {
    cmd: 'sign',
    paths: positional,
    signing: { key, algorithm: algorithmFlag(f) ?? 'RS256', claimsFile: f.last('claims-file') },
    outputDir: f.last('output') ?? '.',
  };
}

/** A key flag: the file it names, else the value itself (opa's rule). */
export function keyFromFlag(value: string): string {
  if (existsSync(value) && statSync(value).isFile()) return readFileSync(value, 'utf8');
  return value;
}

function readClaims(path: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new SourceError(`${path}: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SourceError(`${path}: claims must be a JSON object`);
  return v as Record<string, unknown>;
}

/** The library's SigningOptions for the flags (reads the key and claims files). */
export function signingOptions(s: CliSigning): SigningOptions {
  return {
    key: keyFromFlag(s.key),
    algorithm: s.algorithm,
    ...(s.keyId !== undefined ? { keyId: s.keyId } : {}),
    ...(s.scope !== undefined ? { scope: s.scope } : {}),
    ...(s.claimsFile !== undefined ? { claims: readClaims(s.claimsFile) } : {}),
  };
}

/** The library's VerificationOptions for the flags, or undefined without a key. */
export function verificationOptions(v: CliVerification): VerificationOptions | undefined {
  if (v.key === undefined) return undefined;
  const key = keyFromFlag(v.key);
  const pemKey = /-----BEGIN [A-Z0-9 ]+-----/.test(key);
  const opts: VerificationOptions = {
    ...(pemKey ? { publicKey: key } : { secret: key }),
    ...(v.algorithm ? { algorithm: v.algorithm } : {}),
    ...(v.keyId !== undefined ? { keyId: v.keyId } : {}),
    ...(v.scope !== undefined ? { scope: v.scope } : {}),
    ...(v.exclude.length > 0 ? { exclude: v.exclude } : {}),
  };
  checkVerificationOptions(opts);
  return opts;
}

/**
 * Every regular file under a bundle directory by bundle path (`/x/data.json`), as opa's
 * directory loader lists them (dotfiles included, symlinks skipped), minus `--ignore` names.
 */
export function bundleDirFiles(dir: string, ignore: readonly string[] = []): Map<string, Uint8Array> {
  const ignored = ignoreMatcher(ignore);
  const out = new Map<string, Uint8Array>();
  const walk = (abs: string, rel: string): void => {
    for (const name of readdirSync(abs).sort()) {
      if (ignored(name)) continue;
      const full = join(abs, name);
      const st = lstatSync(full);
      if (st.isDirectory()) walk(full, `${rel}/${name}`);
      else if (st.isFile()) out.set(`${rel}/${name}`, readFileSync(full));
    }
  };
  walk(dir, '');
  return out;
}

/** The files of a bundle given on the command line: a directory or a bundle.tar.gz. */
export function bundlePathFiles(path: string, ignore: readonly string[] = []): Map<string, Uint8Array> {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new SourceError(`${path}: no such file or directory`);
  if (st.isDirectory()) return bundleDirFiles(path, ignore);
  return readBundleFiles(readFileSync(path));
}

/**
 * Verifies a bundle given with `-b` before it is used: with a key, it must verify (unsigned
 * refused); without one, a signed bundle is refused unless `--skip-verify` (as opa).
 * Returns the verified files, or undefined when nothing was verified.
 */
export function verifyBundleInput(path: string, files: ReadonlyMap<string, Uint8Array>, v: CliVerification | undefined): SignedFile[] | undefined {
  if (v?.skipVerify) return undefined;
  const opts = v ? verificationOptions(v) : undefined;
  if (!opts) {
    if (files.has(SIGNATURES_FILE)) throw new SourceError(`${path}: the bundle is signed but no verification key was given (--verification-key, or --skip-verify)`);
    return undefined;
  }
  try {
    return verifyBundle(files, opts);
  } catch (e) {
    if (e instanceof BundleError) e.message = `${path}: ${e.message}`;
    throw e;
  }
}

/** `sign`: writes `.signatures.json` for the files of the given bundles; returns its path and the signed names. */
export function runSign(c: SignCommand): { path: string; files: string[] } {
  const files: [string, Uint8Array][] = [];
  for (const p of c.paths) {
    for (const [name, body] of bundlePathFiles(p)) {
      if (name === SIGNATURES_FILE) continue;
      if (files.some(([n]) => n === name)) throw new SourceError(`${p}: ${name} is also in another of the given bundles`);
      files.push([name, body]);
    }
  }
  if (files.length === 0) throw new SourceError(`${c.paths.join(', ')}: no files to sign`);
  const signed = signBundle(files, signingOptions(c.signing));
  mkdirSync(c.outputDir, { recursive: true });
  const path = join(c.outputDir, '.signatures.json');
  writeFileSync(path, signed.signaturesJson);
  return { path, files: signed.files.map((f) => f.name) };
}
