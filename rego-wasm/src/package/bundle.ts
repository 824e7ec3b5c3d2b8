/**
 * OPA bundles (`bundle.tar.gz`), as `opa build` writes and OPA reads them:
 * a gzipped tar whose entries are named with a leading `/`, mode 0600,
 * written in OPA's order: `/data.json`, the modules, `/policy.wasm` (or
 * `/plan.json`), then `/.manifest`. For `-t wasm` the manifest lists each
 * entrypoint with the module that serves it (`"wasm": [{"entrypoint":
 * "a/b/p", "module": "/policy.wasm"}]`), which is how OPA and the OPA SDKs
 * find the module.
 *
 * The tar format is written by a minimal ustar writer below rather than a
 * library: a bundle is a handful of regular files, the writer is ~40 lines,
 * and owning it keeps the output byte-for-byte deterministic (mtime 0, uid/gid
 * 0, fixed order) with no dependency. The reader accepts ustar, GNU long
 * names and pax headers and rejects anything that is not a regular file or a
 * safe path.
 *
 * Signed bundles (signing.ts has the format): `writeBundle(b, {signing})` adds
 * `/.signatures.json` where `opa build --signing-key` puts it (after the Wasm
 * module, before the plan and the manifest); `readBundle(gz, {verification})`
 * verifies every file against it before parsing anything.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { BundleError, BundleVerificationError, type BundleVerificationReason } from '../errors';
import { SIGNATURES_FILE, signBundle, verifyBundle, type SignedFile, type SigningOptions, type VerificationOptions } from './signing';

export { BundleError, BundleVerificationError, type BundleVerificationReason };

/** A `/.manifest` (the fields this toolchain reads or writes; others are kept as they are). */
export interface BundleManifest {
  revision: string;
  roots?: string[];
  wasm?: { entrypoint: string; module: string }[];
  rego_version?: number;
  file_rego_versions?: Record<string, number>;
  metadata?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface Bundle {
  /** `/data.json`: the base document. */
  data: Record<string, unknown>;
  manifest: BundleManifest;
  /** `/policy.wasm` (target wasm). */
  wasm?: Uint8Array;
  /** `/plan.json` (target plan). */
  plan?: Uint8Array;
  /** Rego modules by path inside the bundle (`/authz.rego`). */
  modules?: ReadonlyMap<string, string>;
  /** Set by readBundle when it verified the signature: the files the signature covers. */
  verified?: readonly SignedFile[];
}

export const WASM_FILE = '/policy.wasm';
export const PLAN_FILE = '/plan.json';
export const DATA_FILE = '/data.json';
export const MANIFEST_FILE = '/.manifest';

const BLOCK = 512;
const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function tarHeader(name: string, size: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const put = (text: string, offset: number, width: number): void => {
    const bytes = enc.encode(text);
    if (bytes.length > width) throw new BundleError(`tar: ${name}: field too long`);
    h.set(bytes, offset);
  };
  const nameBytes = enc.encode(name);
  if (nameBytes.length > 100) throw new BundleError(`tar: ${name}: names longer than 100 bytes are not written`);
  h.set(nameBytes, 0);
  put(octal(0o600, 8), 100, 8); // mode
  put(octal(0, 8), 108, 8); // uid
  put(octal(0, 8), 116, 8); // gid
  put(octal(size, 12), 124, 12);
  put(octal(0, 12), 136, 12); // mtime
  h.fill(0x20, 148, 156); // checksum placeholder: spaces
  h[156] = 0x30; // '0': regular file
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  const sum = h.reduce((a, b) => a + b, 0);
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

/** A ustar archive of regular files, in the given order. */
export function tar(files: readonly (readonly [string, Uint8Array])[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, body] of files) {
    parts.push(tarHeader(name, body.length), body, new Uint8Array((BLOCK - (body.length % BLOCK)) % BLOCK));
  }
  parts.push(new Uint8Array(2 * BLOCK));
  return Buffer.concat(parts);
}

/** Regular files of a tar archive by name, normalised to a leading `/`; rejects unsafe names. */
export function untar(archive: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const text = (off: number, len: number): string => {
    const b = archive.subarray(off, off + len);
    const nul = b.indexOf(0);
    return new TextDecoder().decode(nul >= 0 ? b.subarray(0, nul) : b);
  };
  let off = 0;
  let longName: string | undefined;
  while (off + BLOCK <= archive.length) {
    if (archive.subarray(off, off + BLOCK).every((b) => b === 0)) break;
    const sizeField = text(off + 124, 12).trim();
    if (!/^[0-7]*$/.test(sizeField)) throw new BundleError('tar: invalid size field');
    const size = parseInt(sizeField || '0', 8);
    if (off + BLOCK + size > archive.length) throw new BundleError('tar: truncated archive');
    const type = String.fromCharCode(archive[off + 156] || 0x30);
    const prefix = text(off + 345, 155);
    let name = prefix ? `${prefix}/${text(off, 100)}` : text(off, 100);
    const body = archive.subarray(off + BLOCK, off + BLOCK + size);
    off += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = new TextDecoder().decode(body).replace(/\0+$/, '');
      continue;
    }
    if (type === 'x') {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(new TextDecoder().decode(body));
      if (path) longName = path[1];
      continue;
    }
    if (type === 'g' || type === '5') continue; // global pax header, directory
    if (longName !== undefined) {
      name = longName;
      longName = undefined;
    }
    if (type !== '0') throw new BundleError(`tar: ${name}: only regular files are allowed in a bundle (type ${JSON.stringify(type)})`);
    const normalised = `/${name.replace(/^\.?\/+/, '')}`;
    if (normalised.split('/').some((seg) => seg === '..') || normalised.includes('\\') || normalised.includes('\0')) {
      throw new BundleError(`tar: ${name}: unsafe path`);
    }
    if (files.has(normalised)) throw new BundleError(`tar: ${normalised}: duplicate entry`);
    files.set(normalised, body.slice());
  }
  return files;
}

/** JSON as Go's encoding/json writes a map (keys sorted), with Encode's trailing newline. */
function goJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return `${JSON.stringify(sort(value))}\n`;
}

export interface WriteBundleOptions {
  /** Sign the bundle: adds `/.signatures.json` covering every other file. */
  signing?: SigningOptions;
}

/** The bytes of `bundle.tar.gz` (deterministic: same bundle and key, same bytes, except ECDSA/PSS signatures, which are randomised). */
export function writeBundle(bundle: Bundle, opts: WriteBundleOptions = {}): Uint8Array {
  const files: [string, Uint8Array][] = [[DATA_FILE, enc.encode(goJson(bundle.data))]];
  for (const [path, text] of [...(bundle.modules ?? new Map<string, string>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    files.push([`/${path.replace(/^\/+/, '')}`, enc.encode(text)]);
  }
  if (bundle.wasm) files.push([WASM_FILE, bundle.wasm]);
  if (bundle.plan) files.push([PLAN_FILE, bundle.plan]);
  // Field order as OPA's Manifest struct marshals it.
  const m = bundle.manifest;
  const manifest: Record<string, unknown> = { revision: m.revision };
  if (m.roots) manifest.roots = m.roots;
  if (m.wasm && m.wasm.length > 0) manifest.wasm = m.wasm;
  if (m.rego_version !== undefined) manifest.rego_version = m.rego_version;
  if (m.file_rego_versions) manifest.file_rego_versions = m.file_rego_versions;
  if (m.metadata) manifest.metadata = m.metadata;
  files.push([MANIFEST_FILE, enc.encode(JSON.stringify(manifest))]);
  if (opts.signing) {
    const { signaturesJson } = signBundle(files, opts.signing);
    // OPA's writer order: data, modules, wasm, signatures, plan, manifest.
    const at = files.findIndex(([name]) => name === PLAN_FILE || name === MANIFEST_FILE);
    files.splice(at, 0, [SIGNATURES_FILE, signaturesJson]);
  }
  // mtime 0 and no file name in the gzip header (node writes neither), OS byte as Go (255, unknown).
  const gz = gzipSync(tar(files));
  gz[9] = 0xff;
  return gz;
}

function parseJson(name: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(dec.decode(bytes));
  } catch (e) {
    throw new BundleError(`${name}: invalid JSON: ${(e as Error).message}`);
  }
}

/** Sets an own property even for keys like `__proto__` (bundles are untrusted input). */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Limits for reading a bundle from an untrusted source. */
export interface ReadBundleOptions {
  /** Maximum size of the decompressed archive (default 64 MiB). */
  maxBytes?: number;
  /**
   * Verify the signature before reading anything: an unsigned bundle, or one with a file
   * the signature does not cover, is refused (BundleVerificationError with its reason).
   * Without it a `/.signatures.json` is ignored (the CLI refuses that case, as opa does).
   */
  verification?: VerificationOptions;
}

/** The files of `bundle.tar.gz` bytes by path (`/data.json`), gunzipped within `maxBytes`. Throws BundleError. */
export function readBundleFiles(gz: Uint8Array, maxBytes = 64 * 1024 * 1024): Map<string, Uint8Array> {
  let archive: Uint8Array;
  try {
    archive = gunzipSync(gz, { maxOutputLength: maxBytes });
  } catch (e) {
    throw new BundleError(`not a gzip archive, or larger than allowed: ${(e as Error).message}`);
  }
  return untar(archive);
}

/**
 * Reads `bundle.tar.gz` bytes. Data files (`data.json` at any depth) are mounted at their
 * directory path, as OPA does; `.rego` files become `modules`. With `verification`, the
 * signature is checked first. Throws BundleError (BundleVerificationError when refused).
 */
export function readBundle(gz: Uint8Array, opts: ReadBundleOptions = {}): Bundle {
  const files = readBundleFiles(gz, opts.maxBytes);
  const verified = opts.verification ? verifyBundle(files, opts.verification) : undefined;
  return { ...parseBundleFiles(files), ...(verified ? { verified } : {}) };
}

/** A bundle from its files (as readBundleFiles returns them); no signature check. */
export function parseBundleFiles(files: ReadonlyMap<string, Uint8Array>): Bundle {
  const data: Record<string, unknown> = {};
  const modules = new Map<string, string>();
  let manifest: BundleManifest = { revision: '' };
  for (const [name, body] of files) {
    if (name === MANIFEST_FILE) {
      const m = parseJson(name, body);
      if (!isObject(m)) throw new BundleError(`${name}: must be a JSON object`);
      manifest = { ...m, revision: typeof m.revision === 'string' ? m.revision : '' } as BundleManifest;
    } else if (name.endsWith('/data.json')) {
      const doc = parseJson(name, body);
      const path = name.split('/').slice(1, -1);
      let node = data;
      for (const key of path) {
        const next = Object.prototype.hasOwnProperty.call(node, key) ? node[key] : undefined;
        if (next === undefined) setOwn(node, key, {});
        else if (!isObject(next)) throw new BundleError(`${name}: conflicts with data at ${path.join('/')}`);
        node = node[key] as Record<string, unknown>;
      }
      if (!isObject(doc)) {
        if (path.length === 0) throw new BundleError(`${name}: root data document must be an object`);
        throw new BundleError(`${name}: a data.json must hold an object`);
      }
      for (const [k, v] of Object.entries(doc)) {
        if (Object.prototype.hasOwnProperty.call(node, k)) throw new BundleError(`${name}: ${[...path, k].join('/')} is defined twice`);
        setOwn(node, k, v);
      }
    } else if (name.endsWith('.rego')) {
      modules.set(name, dec.decode(body));
    }
  }
  return { data, manifest, wasm: files.get(WASM_FILE), plan: files.get(PLAN_FILE), modules };
}
