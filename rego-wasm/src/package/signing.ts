/**
 * Signed OPA bundles: `/.signatures.json` as `opa sign` and `opa build --signing-key` write it,
 * and its verification as OPA's bundle reader does it (v1/bundle sign.go, verify.go, hash.go).
 *
 *   .signatures.json   `{"signatures": ["<compact JWS>"]}`, indented with one space, no newline
 *   JWS header         `{"alg": "RS256"}`, plus `"kid"` when a key id is given
 *   JWS payload        `{"files": [{"name", "hash", "algorithm"}...], "keyid"?, "scope"?, ...claims}`
 *                      (Go's map order: keys sorted), one entry per bundle file except
 *                      `.signatures.json` itself, in archive order
 *   file name          the path inside the bundle without the leading `/` (`data.json`,
 *                      `policy.wasm`, `authz/allow.rego`, `.manifest`)
 *   file hash          lowercase hex SHA-256. Files named `data.json`, `data.yaml`,
 *                      `signatures.json` or `.manifest` are hashed by their JSON value, not their
 *                      bytes: objects as `{` key `:` value `,` ... `}` with keys in byte order,
 *                      arrays as `[` v `,` ... `]`, strings, numbers (the literal as written),
 *                      true/false/null as Go's encoder writes them (no HTML escaping). So
 *                      whitespace and key order in data.json do not change the digest.
 *
 * Verification (every rule is OPA's unless marked "stricter"):
 *   - exactly one token; its `alg` must be the configured algorithm (default: any algorithm
 *     of the configured key's type, never `none`);
 *   - key id: the configured `keyId` is the key to use; a token naming another key id (header
 *     `kid`, else the deprecated `keyid` claim) is refused as `wrong_key_id` (stricter: OPA
 *     would try the configured key anyway);
 *   - scope: the token's `scope` claim must equal the configured scope, both absent included;
 *   - every file of the bundle except `/.signatures.json` must be listed (`extra_file`) with
 *     a matching digest (`digest_mismatch`), and every listed file must exist (`missing_file`);
 *     `exclude` globs (Go's filepath.Match) drop files from both checks;
 *   - stricter than OPA: only `/.signatures.json` at the root is the signatures file (OPA
 *     skips any file whose name ends in `signatures.json`); MD5 and SHA-1 file digests are
 *     refused; a duplicate key in a hashed JSON file, or a duplicate name in the payload, is
 *     `malformed` (Go keeps the last), and so is an unpaired surrogate escape in a hashed JSON
 *     string (Go hashes it as U+FFFD, which would let `\ud800` pass for a signed `\ufffd`); a
 *     `data.yaml` that is not JSON cannot be hashed here.
 *
 * Everything is synchronous (node:crypto through `jws`), like readBundle.
 */
import { createHash, createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import * as jws from 'jws';
import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import { BundleError, BundleVerificationError } from '../errors';

export type SigningAlgorithm =
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'HS256' | 'HS384' | 'HS512';

export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512',
];

/** The bundle's signatures file. */
export const SIGNATURES_FILE = '/.signatures.json';

/** One entry of the JWS payload's `files`. */
export interface SignedFile {
  /** Path inside the bundle without the leading `/`. */
  name: string;
  /** Lowercase hex digest. */
  hash: string;
  /** `SHA-256` when written here. */
  algorithm: string;
}

/** A bundle's files by path (`/data.json` or `data.json`), e.g. the Map `untar` returns. */
export type BundleFiles = Iterable<readonly [string, Uint8Array]>;

/** Key material: PEM text (or a KeyObject) for RS/PS/ES, the secret for HS. */
export type KeyInput = string | Uint8Array | KeyObject;

export interface SigningOptions {
  /** PEM private key (RS*, PS*, ES*) or HMAC secret (HS*). */
  key: KeyInput;
  /** Default RS256, as `opa sign`. */
  algorithm?: SigningAlgorithm;
  /** Written as the header `kid` and, without `claims`, the deprecated `keyid` claim (as `opa build`). */
  keyId?: string;
  /** The `scope` claim. */
  scope?: string;
  /** Extra claims (`opa sign --claims-file`); they may not redefine `files`. */
  claims?: Readonly<Record<string, unknown>>;
}

export interface SignedBundle {
  /** The compact JWS. */
  token: string;
  /** The bytes of `/.signatures.json`, exactly as OPA writes them. */
  signaturesJson: Uint8Array;
  /** The payload's file list. */
  files: SignedFile[];
}

export interface VerificationOptions {
  /** PEM public key (or certificate, or KeyObject) for RS*, PS*, ES*. */
  publicKey?: string | Uint8Array | KeyObject;
  /** HMAC secret for HS*. */
  secret?: string | Uint8Array;
  /** The one algorithm accepted; default: those of the key's type. */
  algorithm?: SigningAlgorithm;
  /** The configured key id (OPA's `--verification-key-id` / `keyid`). */
  keyId?: string;
  /** The scope the token must carry (absent: the token must carry none). */
  scope?: string;
  /** Globs (Go's filepath.Match, on names without the leading `/`) of files not verified. */
  exclude?: readonly string[];
}

const enc = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

const HASH_NAMES: Readonly<Record<string, string>> = {
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
  'SHA-512-224': 'sha512-224',
  'SHA-512-256': 'sha512-256',
};

const STRUCTURED = new Set(['data.json', 'data.yaml', 'signatures.json', '.manifest']);

/** OPA's IsStructuredDoc: hashed by JSON value rather than bytes. */
export function isStructuredFile(name: string): boolean {
  return STRUCTURED.has(name.slice(name.lastIndexOf('/') + 1));
}

/** A string as Go's json.Encoder writes it with SetEscapeHTML(false). */
function goString(s: string, html = false): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c < 0x20) {
      out += ch === '\b' ? '\\b' : ch === '\f' ? '\\f' : ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : ch === '\t' ? '\\t' : `\\u00${c.toString(16).padStart(2, '0')}`;
    } else if (c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16)}`;
    else if (html && (ch === '<' || ch === '>' || ch === '&')) out += `\\u00${c.toString(16)}`;
    else out += ch; // lone surrogates become U+FFFD when encoded as UTF-8, as Go's decoder makes them
  }
  return `${out}"`;
}

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A string as the canonical form writes it. Go decodes an escaped lone surrogate to U+FFFD, so
 * `"\ud800"` and `"\ufffd"` hash alike there, while JSON.parse (which loads the bundle here)
 * keeps them apart: refused, so that what is hashed is what is loaded (stricter than OPA).
 */
function canonicalString(s: string): string {
  if (LONE_SURROGATE.test(s)) throw new BundleError('a string holds an unpaired UTF-16 surrogate escape');
  return goString(s);
}

/** OPA's canonical walk (hash.go) over a value parsed with number literals kept. */
function canonicalChunks(v: unknown, out: string[]): void {
  if (isLosslessNumber(v)) out.push(v.value);
  else if (typeof v === 'string') out.push(canonicalString(v));
  else if (v === null || typeof v === 'boolean') out.push(String(v));
  else if (Array.isArray(v)) {
    out.push('[');
    v.forEach((e, i) => {
      if (i > 0) out.push(',');
      canonicalChunks(e, out);
    });
    out.push(']');
  } else if (typeof v === 'object') {
    const obj = v as Record<string, unknown>;
    out.push('{');
    Object.keys(obj)
      .sort(byteOrder)
      .forEach((k, i) => {
        if (i > 0) out.push(',');
        out.push(canonicalString(k), ':');
        canonicalChunks(obj[k], out);
      });
    out.push('}');
  } else {
    throw new BundleError(`cannot hash a ${typeof v}`);
  }
}

/** The bytes OPA hashes for a file: its canonical JSON for structured files, else the bytes. */
export function digestInput(name: string, body: Uint8Array): Uint8Array {
  if (!isStructuredFile(name)) return body;
  let bytes = body;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  let value: unknown;
  try {
    value = parseLossless(strictUtf8.decode(bytes));
  } catch (e) {
    const yaml = name.endsWith('.yaml') ? ' (YAML data files that are not JSON cannot be hashed here)' : '';
    throw new BundleError(`${name}: not JSON${yaml}: ${(e as Error).message}`);
  }
  const chunks: string[] = [];
  canonicalChunks(value, chunks);
  return enc.encode(chunks.join(''));
}

/** The digest of one file as OPA computes it (hex). */
export function fileDigest(name: string, body: Uint8Array, algorithm = 'SHA-256'): string {
  const h = HASH_NAMES[algorithm];
  if (!h) throw new BundleError(`unsupported digest algorithm ${JSON.stringify(algorithm)}`);
  return createHash(h).update(digestInput(name, body)).digest('hex');
}

/** A FileInfo as Go marshals the struct: fields in declaration order. */
function goFileInfo(f: SignedFile): string {
  return `{"name":${goString(f.name, true)},"hash":${goString(f.hash, true)},"algorithm":${goString(f.algorithm, true)}}`;
}

/** The JWS payload as Go's json.Marshal writes the map: keys sorted, `files` as FileInfo structs. */
function goPayload(files: readonly SignedFile[], claims: Readonly<Record<string, unknown>>): string {
  const entries = Object.keys(claims)
    .filter((k) => claims[k] !== undefined)
    .map((k): [string, string] => [k, goMarshal(claims[k])]);
  entries.push(['files', `[${files.map(goFileInfo).join(',')}]`]);
  return `{${entries
    .sort(([a], [b]) => byteOrder(a, b))
    .map(([k, v]) => `${goString(k, true)}:${v}`)
    .join(',')}}`;
}

/** JSON as Go's json.Marshal writes a map: keys sorted, `<>&` and U+2028/9 escaped. */
function goMarshal(v: unknown): string {
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new BundleError('claims: numbers must be finite');
    return JSON.stringify(v);
  }
  if (typeof v === 'string') return goString(v, true);
  if (Array.isArray(v)) return `[${v.map(goMarshal).join(',')}]`;
  if (typeof v === 'object') {
    const obj = v as Record<string, unknown>;
    return `{${Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort(byteOrder)
      .map((k) => `${goString(k, true)}:${goMarshal(obj[k])}`)
      .join(',')}}`;
  }
  throw new BundleError(`claims: cannot encode a ${typeof v}`);
}

/** `/x`, `x` and `./x` name the same file (as untar normalises archive names). */
function normaliseName(path: string): string {
  return `/${path.replace(/^(?:\.?\/+)+/, '')}`;
}

/** The files by normalised path (`/x`); duplicates are refused. */
function fileMap(files: BundleFiles, onDuplicate: (name: string) => Error): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [name, body] of files) {
    const n = normaliseName(name);
    if (out.has(n)) throw onDuplicate(n);
    out.set(n, body);
  }
  return out;
}

function keyFamily(alg: SigningAlgorithm): 'rsa' | 'ec' | 'hmac' {
  return alg.startsWith('HS') ? 'hmac' : alg.startsWith('ES') ? 'ec' : 'rsa';
}

const CURVES: Readonly<Record<string, SigningAlgorithm>> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

/** Algorithms a key object can verify or sign with. */
function algorithmsForKey(key: KeyObject): SigningAlgorithm[] {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
  if (type === 'rsa-pss') return ['PS256', 'PS384', 'PS512'];
  if (type === 'ec') {
    const alg = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
    return alg ? [alg] : [];
  }
  return [];
}

function checkKeyStrength(key: KeyObject, what: string): void {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if ((key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') && bits !== undefined && bits < 2048) {
    throw new BundleError(`${what}: RSA keys shorter than 2048 bits are refused (got ${bits})`);
  }
}

function asymmetricKey(input: KeyInput, kind: 'private' | 'public', what: string): KeyObject {
  let key: KeyObject;
  try {
    if (input instanceof KeyObject) key = input;
    else {
      const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
      key = kind === 'private' ? createPrivateKey(text) : createPublicKey(text);
    }
  } catch (e) {
    throw new BundleError(`${what}: not a PEM ${kind} key: ${(e as Error).message}`);
  }
  if (kind === 'private' && key.type !== 'private') throw new BundleError(`${what}: a private key is needed to sign`);
  if (key.type === 'secret') throw new BundleError(`${what}: a secret is not an ${kind} key`);
  checkKeyStrength(key, what);
  return key;
}

function secretBytes(input: string | Uint8Array | KeyObject, what: string): Buffer {
  if (input instanceof KeyObject) {
    if (input.type !== 'secret') throw new BundleError(`${what}: HS* algorithms need a secret, not a ${input.type} key`);
    return input.export();
  }
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
  if (bytes.length === 0) throw new BundleError(`${what}: the HMAC secret is empty`);
  if (typeof input === 'string' && /-----BEGIN [A-Z ]*KEY-----/.test(input)) {
    throw new BundleError(`${what}: a PEM key given for an HS* algorithm (use RS*, PS* or ES*)`);
  }
  return bytes;
}

/** The payload's file list for these files (archive order; `/.signatures.json` left out). */
export function hashBundleFiles(files: BundleFiles): SignedFile[] {
  const out: SignedFile[] = [];
  for (const [path, body] of fileMap(files, (n) => new BundleError(`${n}: duplicate file`))) {
    if (path === SIGNATURES_FILE) continue;
    const name = path.slice(1);
    out.push({ name, hash: fileDigest(name, body), algorithm: 'SHA-256' });
  }
  return out;
}

/** `.signatures.json` bytes for one token, as OPA writes them (MarshalIndent with one space). */
export function signaturesJson(token: string): Uint8Array {
  return enc.encode(JSON.stringify({ signatures: [token] }, null, 1));
}

/** Signs a bundle's files (everything but `/.signatures.json`) as `opa sign` does. */
export function signBundle(files: BundleFiles, opts: SigningOptions): SignedBundle {
  const algorithm = opts.algorithm ?? 'RS256';
  if (!SIGNING_ALGORITHMS.includes(algorithm)) throw new BundleError(`unsupported signing algorithm ${JSON.stringify(algorithm)}`);
  const fileInfos = hashBundleFiles(files);
  const header: Record<string, string> = { alg: algorithm };
  if (opts.keyId !== undefined) {
    // jws writes the header as latin1: keep it ASCII so the bytes are the UTF-8 OPA expects.
    if (!/^[\x20-\x7e]+$/.test(opts.keyId)) throw new BundleError('keyId must be non-empty printable ASCII');
    header.kid = opts.keyId;
  }
  const claims: Record<string, unknown> = {};
  if (opts.claims) {
    if (Object.prototype.hasOwnProperty.call(opts.claims, 'files')) throw new BundleError('claims may not define "files"');
    for (const [k, v] of Object.entries(opts.claims)) claims[k] = v;
  } else if (opts.keyId !== undefined) {
    claims.keyid = opts.keyId; // deprecated claim, written by opa build for compatibility
  }
  if (opts.scope !== undefined) claims.scope = opts.scope;
  const payload = goPayload(fileInfos, claims);
  let token: string;
  if (keyFamily(algorithm) === 'hmac') {
    token = jws.sign({ header: header as unknown as jws.Header, payload, secret: secretBytes(opts.key, 'signing key'), encoding: 'utf8' });
  } else {
    const key = asymmetricKey(opts.key, 'private', 'signing key');
    if (!algorithmsForKey(key).includes(algorithm)) {
      throw new BundleError(`signing key: a ${key.asymmetricKeyType} key${key.asymmetricKeyDetails?.namedCurve ? ` on ${key.asymmetricKeyDetails.namedCurve}` : ''} cannot sign ${algorithm}`);
    }
    token = jws.sign({ header: header as unknown as jws.Header, payload, privateKey: key, encoding: 'utf8' });
  }
  return { token, signaturesJson: signaturesJson(token), files: fileInfos };
}

// ---------------------------------------------------------------- verification

const fail = (reason: ConstructorParameters<typeof BundleVerificationError>[0], message: string, file?: string): BundleVerificationError =>
  new BundleVerificationError(reason, message, file);

function b64urlJson(part: string, what: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) throw fail('malformed', `${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(Buffer.from(part, 'base64url')));
  } catch {
    throw fail('malformed', `${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('malformed', `${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** The one token of a `.signatures.json`. */
function tokenOf(body: Uint8Array): string {
  let doc: unknown;
  try {
    doc = JSON.parse(strictUtf8.decode(body));
  } catch {
    throw fail('malformed', '.signatures.json is not JSON', 'signatures.json');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw fail('malformed', '.signatures.json is not a JSON object');
  const { signatures, plugin } = doc as Record<string, unknown>;
  if (plugin !== undefined && plugin !== '') throw fail('malformed', `.signatures.json names a verifier plugin (${JSON.stringify(plugin)}); plugins are not supported`);
  if (signatures === undefined || (Array.isArray(signatures) && signatures.length === 0)) throw fail('unsigned', '.signatures.json holds no token');
  if (!Array.isArray(signatures) || !signatures.every((s) => typeof s === 'string')) throw fail('malformed', '.signatures.json: "signatures" must be an array of strings');
  if (signatures.length > 1) throw fail('malformed', '.signatures.json: multiple JWTs are not supported (expected exactly one)');
  return signatures[0] as string;
}

interface VerificationKey {
  algorithms: SigningAlgorithm[];
  key: KeyObject | Buffer;
}

function verificationKey(opts: VerificationOptions): VerificationKey {
  if ((opts.publicKey === undefined) === (opts.secret === undefined)) {
    throw new BundleError('verification needs exactly one of publicKey or secret');
  }
  if (opts.algorithm !== undefined && !SIGNING_ALGORITHMS.includes(opts.algorithm)) {
    throw new BundleError(`unsupported verification algorithm ${JSON.stringify(opts.algorithm)}`);
  }
  if (opts.secret !== undefined) {
    if (opts.algorithm !== undefined && keyFamily(opts.algorithm) !== 'hmac') throw new BundleError(`a secret cannot verify ${opts.algorithm} (give publicKey)`);
    const hs: SigningAlgorithm[] = ['HS256', 'HS384', 'HS512'];
    return { algorithms: opts.algorithm ? [opts.algorithm] : hs, key: secretBytes(opts.secret, 'verification secret') };
  }
  const key = asymmetricKey(opts.publicKey as KeyInput, 'public', 'verification key');
  const usable = algorithmsForKey(key);
  if (opts.algorithm !== undefined && !usable.includes(opts.algorithm)) {
    throw new BundleError(`verification key: a ${key.asymmetricKeyType} key cannot verify ${opts.algorithm}`);
  }
  return { algorithms: opts.algorithm ? [opts.algorithm] : usable, key };
}

/** Checks a verification configuration without a bundle (a bad key fails here, at configuration time). */
export function checkVerificationOptions(opts: VerificationOptions): void {
  verificationKey(opts);
}

function parsePayloadFiles(payload: Record<string, unknown>): Map<string, SignedFile> {
  const files = payload.files;
  if (!Array.isArray(files)) throw fail('malformed', 'JWS payload: "files" must be an array');
  const out = new Map<string, SignedFile>();
  for (const f of files) {
    if (typeof f !== 'object' || f === null) throw fail('malformed', 'JWS payload: each file must be an object');
    const { name, hash, algorithm } = f as Record<string, unknown>;
    if (typeof name !== 'string' || typeof hash !== 'string' || typeof algorithm !== 'string') {
      throw fail('malformed', 'JWS payload: each file needs string "name", "hash" and "algorithm"');
    }
    if (out.has(name)) throw fail('malformed', `JWS payload: ${name} is listed twice`, name);
    out.set(name, { name, hash, algorithm });
  }
  return out;
}

/** Go's filepath.Match on `/`-separated names: `*`, `?`, `[...]` (`^` negates), `\` escapes. */
function goMatch(pattern: string, name: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += pattern[++i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return false; // Go: ErrBadPattern, which OPA treats as no match
      const body = pattern.slice(i + 1, end);
      const neg = body.startsWith('^');
      re += `[${neg ? '^' : ''}${(neg ? body.slice(1) : body).replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  try {
    return new RegExp(`^${re}$`, 'u').test(name);
  } catch {
    return false;
  }
}

/**
 * Verifies a bundle's files against its `/.signatures.json` (see the module comment for the
 * rules). Returns the verified files (excluded ones left out); throws BundleVerificationError
 * with a reason, or BundleError for a bad key configuration.
 */
export function verifyBundle(files: BundleFiles, opts: VerificationOptions): SignedFile[] {
  const vk = verificationKey(opts);
  const bundle = fileMap(files, (n) => fail('malformed', `${n}: duplicate file in the bundle`, n.slice(1)));
  const sig = bundle.get(SIGNATURES_FILE);
  if (sig === undefined) throw fail('unsigned', 'the bundle has no .signatures.json');
  const token = tokenOf(sig);

  const parts = token.split('.');
  if (parts.length !== 3) throw fail('malformed', 'the token is not a compact JWS (header.payload.signature)');
  const header = b64urlJson(parts[0], 'JWS header');
  const payload = b64urlJson(parts[1], 'JWS payload');
  if (!/^[A-Za-z0-9_-]+$/.test(parts[2])) throw fail('malformed', 'JWS signature is not base64url');
  if (header.crit !== undefined || header.b64 !== undefined) throw fail('malformed', 'JWS header extensions (crit, b64) are not supported');
  const alg = header.alg;
  if (typeof alg !== 'string') throw fail('malformed', 'JWS header has no "alg"');
  if (!(vk.algorithms as string[]).includes(alg)) {
    throw fail('bad_signature', `signed with ${JSON.stringify(alg)}; accepted: ${vk.algorithms.join(', ')}`);
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') throw fail('malformed', 'JWS header "kid" must be a string');
  if (payload.keyid !== undefined && typeof payload.keyid !== 'string') throw fail('malformed', 'JWS payload "keyid" must be a string');
  if (payload.scope !== undefined && typeof payload.scope !== 'string') throw fail('malformed', 'JWS payload "scope" must be a string');
  const tokenKeyId = (header.kid as string | undefined) || (payload.keyid as string | undefined) || undefined;
  if (opts.keyId !== undefined && tokenKeyId !== undefined && tokenKeyId !== opts.keyId) {
    throw fail('wrong_key_id', `the token names key ${JSON.stringify(tokenKeyId)}, expected ${JSON.stringify(opts.keyId)}`);
  }
  let valid: boolean;
  try {
    valid = jws.verify(token, alg as jws.Algorithm, vk.key as unknown as string);
  } catch (e) {
    throw fail('bad_signature', `the signature cannot be checked with this key: ${(e as Error).message}`);
  }
  if (!valid) throw fail('bad_signature', `the ${alg} signature does not verify under the configured key`);
  if ((payload.scope ?? '') !== (opts.scope ?? '')) {
    throw fail('scope_mismatch', `the token's scope is ${JSON.stringify(payload.scope ?? '')}, expected ${JSON.stringify(opts.scope ?? '')}`);
  }

  const signed = parsePayloadFiles(payload);
  const verified: SignedFile[] = [];
  for (const [path, body] of bundle) {
    if (path === SIGNATURES_FILE) continue;
    const name = path.slice(1);
    if ((opts.exclude ?? []).some((p) => goMatch(p, name))) {
      signed.delete(name);
      continue;
    }
    const entry = signed.get(name);
    if (!entry) throw fail('extra_file', `${name} is not included in the bundle signature`, name);
    if (!HASH_NAMES[entry.algorithm]) {
      throw fail('malformed', `${name}: digest algorithm ${JSON.stringify(entry.algorithm)} is not accepted (SHA-2 family only)`, name);
    }
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(entry.hash)) throw fail('malformed', `${name}: the signed hash is not hex`, name);
    let actual: string;
    try {
      actual = fileDigest(name, body, entry.algorithm);
    } catch (e) {
      throw fail('malformed', (e as Error).message, name);
    }
    if (actual !== entry.hash.toLowerCase()) throw fail('digest_mismatch', `${name}: digest mismatch`, name);
    signed.delete(name);
    verified.push(entry);
  }
  if (signed.size > 0) {
    const missing = [...signed.keys()].sort();
    throw fail('missing_file', `file(s) ${missing.join(', ')} specified in the bundle signature but not found in the bundle`, missing[0]);
  }
  return verified;
}
