/**
 * Make sure `policies/build/policy.wasm` exists and is newer than every Rego
 * source and the manifest; rebuild it through the project's own toolchain
 * (rego-wasm, the same code as `npm run policy:build`) when it is missing or
 * stale. A compile error stops `npm start` with the compiler's message.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PolicyBuildError } from './errors';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const POLICY_DIR = path.join(REPO_ROOT, 'policies');
export const POLICY_WASM = path.join(POLICY_DIR, 'build', 'policy.wasm');
export const POLICY_DATA = path.join(POLICY_DIR, 'data.json');

function newestSourceMtime(dir: string, top = true): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      // Sub-packages count too; the build output does not.
      if (!(top && entry.name === 'build') && !entry.name.startsWith('.')) newest = Math.max(newest, newestSourceMtime(path.join(dir, entry.name), false));
      continue;
    }
    if (!entry.name.endsWith('.rego') && entry.name !== 'manifest.json') continue;
    newest = Math.max(newest, fs.statSync(path.join(dir, entry.name)).mtimeMs);
  }
  return newest;
}

export type BundleState = 'fresh' | 'built';

export interface EnsurePolicyOptions {
  readonly dir?: string;
  readonly wasm?: string;
  readonly log?: (message: string) => void;
}

export function policyIsStale(dir = POLICY_DIR, wasm = POLICY_WASM): boolean {
  if (!fs.existsSync(wasm)) return true;
  return fs.statSync(wasm).mtimeMs < newestSourceMtime(dir);
}

export function ensurePolicyBundle(options: EnsurePolicyOptions = {}): BundleState {
  const dir = options.dir ?? POLICY_DIR;
  const wasm = options.wasm ?? POLICY_WASM;
  if (!fs.existsSync(dir)) throw new PolicyBuildError(`${dir} does not exist: there is no policy to serve`);
  if (!policyIsStale(dir, wasm)) return 'fresh';
  options.log?.(`building ${path.relative(REPO_ROOT, wasm)} from ${path.relative(REPO_ROOT, dir)}/*.rego ...`);
  // Loaded lazily: only a stale bundle needs the compiler.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { build } = require('rego-wasm') as typeof import('rego-wasm');
  const started = Date.now();
  // Build next to the target and rename: a concurrent reader (another stack) never sees half a file.
  const tmp = `${wasm}.${process.pid}.tmp`;
  try {
    const { bytes } = build({ paths: [dir] });
    fs.mkdirSync(path.dirname(tmp), { recursive: true });
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, wasm);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw new PolicyBuildError(`policy build failed: ${(error as Error).message}`, { cause: error });
  }
  options.log?.(`policy built in ${Date.now() - started} ms`);
  return 'built';
}
