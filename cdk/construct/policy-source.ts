import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidPropError, PolicyBuildError } from '../errors';
import { build } from 'rego-wasm';
import type { PolicyBundleLocation } from './props';
import { HANDLER_SIDE_FILES } from './handler-bundles';

const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);

/** The decision-log mask entrypoint (OPA's `system.log.mask`), built when the policy defines it. */
export const MASK_ENTRYPOINT = 'system/log/mask';

/** True when a Rego source under `dir` (not a `*_test.rego`) is `package system.log`. */
export function definesLogMask(dir: string): boolean {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && entry.name !== 'build' && definesLogMask(file)) return true;
    } else if (entry.name.endsWith('.rego') && !entry.name.endsWith('_test.rego')) {
      if (/^\s*package\s+system\.log\s*$/m.test(fs.readFileSync(file, 'utf8'))) return true;
    }
  }
  return false;
}

/**
 * The entrypoints to build a policy directory for: `base` (default: the
 * `entrypoints` of its manifest.json), plus `system/log/mask` when the
 * directory defines the decision-log mask.
 */
export function policyEntrypoints(dir: string, base?: readonly string[]): string[] {
  let listed = base;
  if (listed === undefined) {
    const manifest = path.join(dir, 'manifest.json');
    const parsed: unknown = fs.existsSync(manifest) ? JSON.parse(fs.readFileSync(manifest, 'utf8')) : {};
    const entrypoints = (parsed as { entrypoints?: unknown }).entrypoints;
    listed = Array.isArray(entrypoints) ? entrypoints.filter((e): e is string => typeof e === 'string') : [];
  }
  const out = [...listed];
  if (!out.includes(MASK_ENTRYPOINT) && definesLogMask(dir)) out.push(MASK_ENTRYPOINT);
  return out;
}

/**
 * Compile the Rego sources in `dir` (every `*.rego` except `*_test.rego`)
 * for exactly the construct's two entrypoints, as `rego-wasm build -b` does
 * (a `.manifest` there gives the Rego version of its files; the data.json
 * files are the base document, so a rule at a data path is a compile error),
 * and return the bundle:
 * the wasm written to a content-addressed folder outside the sources, and
 * `<dir>/data.json` when it exists. A compile error stops the synth with the
 * compiler's file:line:col messages.
 */
export function buildPolicyDirectory(dir: string, entrypoints: readonly string[]): PolicyBundleLocation {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new InvalidPropError('policyDirectory', `not a directory: ${dir}`);
  }
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opa-policy-'));
  const out = path.join(outDir, 'policy.wasm');
  try {
    build({ paths: [dir], entrypoints: policyEntrypoints(dir, entrypoints), outfile: out, bundle: true });
  } catch (err) {
    fs.rmSync(outDir, { recursive: true, force: true });
    throw new PolicyBuildError(`policyDirectory ${dir}: the policy does not build for ${entrypoints.join(', ')}:\n${(err as Error).message}`);
  }
  const dataFile = path.join(dir, 'data.json');
  return { wasmFile: out, dataFile: fs.existsSync(dataFile) ? dataFile : undefined };
}

/** Checks a prebuilt bundle: a WebAssembly module and, when given, a JSON object data document. */
export function checkPolicyBundle(bundle: PolicyBundleLocation): PolicyBundleLocation {
  const { wasmFile, dataFile } = bundle;
  let head: Buffer;
  try {
    const fd = fs.openSync(wasmFile, 'r');
    try {
      head = Buffer.alloc(4);
      fs.readSync(fd, head, 0, 4, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    throw new InvalidPropError(
      'policyBundle.wasmFile',
      `policy wasm not found or unreadable: ${wasmFile} (build it with \`npx rego-wasm build\`, or pass policyDirectory)`,
    );
  }
  if (!head.equals(WASM_MAGIC)) {
    throw new InvalidPropError('policyBundle.wasmFile', `not a WebAssembly module (bad magic bytes): ${wasmFile}`);
  }
  if (dataFile !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(dataFile, 'utf8'));
    } catch (err) {
      throw new InvalidPropError('policyBundle.dataFile', `not a readable JSON file: ${dataFile} (${(err as Error).message})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new InvalidPropError('policyBundle.dataFile', `must hold a JSON object (the policy data document): ${dataFile}`);
    }
  }
  return { wasmFile, dataFile };
}

/** File names the handlers expect next to their bundled `index.js` (the functions' defaults). */
export const BUNDLED_WASM_NAME = 'policy.wasm';
export const BUNDLED_DATA_NAME = 'data.json';

/**
 * One Lambda code directory: the handler's `index.js` (with the files a
 * bundle has beside it, HANDLER_SIDE_FILES) and
 * `policy.wasm` (and `data.json`) beside it, in a folder named by the hash of
 * its contents (so repeated synths reuse it and a changed policy is a new asset).
 */
export function stageFunctionCode(handlerDir: string, bundle: PolicyBundleLocation): string {
  const files: Array<[string, Buffer]> = [['index.js', fs.readFileSync(path.join(handlerDir, 'index.js'))]];
  for (const side of HANDLER_SIDE_FILES) {
    const file = path.join(handlerDir, side);
    if (fs.existsSync(file)) files.push([side, fs.readFileSync(file)]);
  }
  files.push([BUNDLED_WASM_NAME, fs.readFileSync(bundle.wasmFile)]);
  if (bundle.dataFile !== undefined) files.push([BUNDLED_DATA_NAME, fs.readFileSync(bundle.dataFile)]);
  const hash = crypto.createHash('sha256');
  for (const [name, bytes] of files) hash.update(`${name}\0${bytes.length}\0`).update(bytes);
  const dir = path.join(os.tmpdir(), 'opa-okta-apigateway-assets', hash.digest('hex').slice(0, 32));
  if (!fs.existsSync(dir)) {
    // Written beside, then renamed: a folder under this name is always complete.
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    const partial = fs.mkdtempSync(`${dir}.partial-`);
    for (const [name, bytes] of files) {
      fs.mkdirSync(path.dirname(path.join(partial, name)), { recursive: true });
      fs.writeFileSync(path.join(partial, name), bytes);
    }
    try {
      fs.renameSync(partial, dir);
    } catch (err) {
      fs.rmSync(partial, { recursive: true, force: true });
      if (!fs.existsSync(dir)) throw err;
    }
  }
  return dir;
}
