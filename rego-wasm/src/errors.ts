/**
 * Errors about Rego itself: every stage (parse, compile, plan) throws a RegoError (one
 * problem) or RegoErrors (several); callers branch on `code`. Message format (as OPA
 * prints): `file:row:col: code: message`. Other failures have their own classes where
 * they arise: SourceError (files on disk), PackageError (packaging a plan),
 * EngineIntegrityError (the shipped engine), UsageError (command-line arguments).
 * Bundles: BundleError (an unreadable or invalid bundle.tar.gz, or a signing problem) and
 * its subclass BundleVerificationError (a bundle whose signature does not verify), here so
 * that every consumer of bundles branches on one taxonomy.
 */
import type { Location } from './parse/ast';

export type RegoErrorCode =
  | 'rego_parse_error'
  | 'rego_compile_error'
  | 'rego_unsafe_var_error'
  | 'rego_type_error'
  | 'rego_recursion_error'
  | 'rego_invalid_plan'
  | 'rego_unsupported_error'
  | 'rego_eval_error'
  | 'rego_internal_error';

/** Minimal position carried by an error (an AST Location fits). */
export type ErrorLocation = Pick<Location, 'file' | 'row' | 'col'>;

function formatError(code: RegoErrorCode, message: string, location?: ErrorLocation): string {
  if (!location) return `${code}: ${message}`;
  return `${location.file}:${location.row}:${location.col}: ${code}: ${message}`;
}

export class RegoError extends Error {
  readonly code: RegoErrorCode;
  readonly location?: ErrorLocation;
  /** The message without the `file:row:col: code:` prefix. */
  readonly detail: string;

  constructor(code: RegoErrorCode, message: string, location?: ErrorLocation) {
    super(formatError(code, message, location));
    this.name = 'RegoError';
    this.code = code;
    this.detail = message;
    if (location) this.location = { file: location.file, row: location.row, col: location.col };
  }
}

/** Several errors from one stage; `message` lists them one per line (OPA: "N errors occurred:"). */
export class RegoErrors extends Error {
  readonly errors: RegoError[];

  constructor(errors: RegoError[]) {
    const head = errors.length === 1 ? '1 error occurred' : `${errors.length} errors occurred`;
    super(`${head}:\n${errors.map((e) => e.message).join('\n')}`);
    this.name = 'RegoErrors';
    this.errors = errors;
  }
}

/** Flattens a thrown value into RegoError[] (non-Rego errors are re-thrown). */
export function toRegoErrors(err: unknown): RegoError[] {
  if (err instanceof RegoErrors) return err.errors;
  if (err instanceof RegoError) return [err];
  throw err;
}

/** Bad command-line arguments (the CLI and the development tools print usage and exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A bundle that cannot be read or written (bad archive, bad JSON, unsafe path, bad signing key). */
export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

/**
 * Why a bundle's signature was refused:
 *   unsigned         no `/.signatures.json` (or no token in it) while verification is required
 *   bad_signature    the JWS does not verify under the configured key, or uses another algorithm
 *   digest_mismatch  a file's digest differs from the signed one
 *   missing_file     the signature lists a file the bundle does not contain
 *   extra_file       the bundle contains a file the signature does not list
 *   wrong_key_id     the token names a key id other than the configured one
 *   scope_mismatch   the token's `scope` differs from the configured scope
 *   malformed        `.signatures.json`, the JWS or its payload is not what OPA writes
 */
export type BundleVerificationReason =
  | 'unsigned'
  | 'bad_signature'
  | 'digest_mismatch'
  | 'missing_file'
  | 'extra_file'
  | 'wrong_key_id'
  | 'scope_mismatch'
  | 'malformed';

/** A bundle refused by signature verification; `reason` says why, `file` names the file concerned. */
export class BundleVerificationError extends BundleError {
  readonly reason: BundleVerificationReason;
  readonly file?: string;

  constructor(reason: BundleVerificationReason, message: string, file?: string) {
    super(`bundle verification failed (${reason}): ${message}`);
    this.name = 'BundleVerificationError';
    this.reason = reason;
    if (file !== undefined) this.file = file;
  }
}
