/**
 * Builds the AssemblyScript policy engine (rego-wasm/runtime) into
 * rego-wasm/build/engine.wasm with asc, once: a stamp file records a hash of
 * the runtime sources, the asc version and the flags, and the build is
 * skipped while it matches.
 *
 *   npm run build:runtime            build if stale, print the build time
 *   npm run build:runtime -- --force rebuild
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export class RuntimeBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeBuildError';
  }
}

const ROOT = resolve(__dirname, '..', '..');
const RUNTIME_DIR = join(ROOT, 'rego-wasm', 'runtime');
const ASSEMBLY_DIR = join(RUNTIME_DIR, 'assembly');
const BUILD_DIR = join(ROOT, 'rego-wasm', 'build');
export const ENGINE_PATH = join(BUILD_DIR, 'engine.wasm');
const STAMP_PATH = join(BUILD_DIR, 'engine.stamp');

/**
 * asc flags; the options live in rego-wasm/runtime/asconfig.json: custom
 * bump-allocator runtime, imported memory, abort → opa_abort, -O3, and
 * `stackSize: -1`, which keeps asc from adding the incremental GC's shadow
 * stack for a custom runtime (only a config file can pass a negative value).
 */
export const ASC_FLAGS: readonly string[] = ['--config', 'rego-wasm/runtime/asconfig.json'];

function ascPackage(): { version: string; cli: string } {
  const pkgPath = require.resolve('assemblyscript/package.json', { paths: [ROOT] });
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string };
  return { version: pkg.version, cli: join(pkgPath, '..', 'bin', 'asc.js') };
}

/** Hash of the runtime sources, the asc version and the flags. */
export function engineStamp(): string {
  const h = createHash('sha256');
  h.update(ascPackage().version);
  h.update(JSON.stringify(ASC_FLAGS));
  h.update(readFileSync(join(RUNTIME_DIR, 'asconfig.json')));
  const files = readdirSync(ASSEMBLY_DIR).filter((f) => f.endsWith('.ts')).sort();
  for (const f of files) {
    h.update(f);
    h.update(readFileSync(join(ASSEMBLY_DIR, f)));
  }
  return h.digest('hex');
}

function isFresh(stamp: string): boolean {
  return existsSync(ENGINE_PATH) && existsSync(STAMP_PATH) && readFileSync(STAMP_PATH, 'utf8') === stamp;
}

function compile(stamp: string): void {
  mkdirSync(BUILD_DIR, { recursive: true });
  const tmp = `${ENGINE_PATH}.${process.pid}.tmp`;
  const r = spawnSync(process.execPath, [ascPackage().cli, ...ASC_FLAGS, '-o', tmp], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    throw new RuntimeBuildError(`asc failed (exit ${r.status}):\n${r.stderr || r.stdout}`);
  }
  renameSync(tmp, ENGINE_PATH);
  writeFileSync(STAMP_PATH, stamp);
}

export interface BuildResult {
  wasm: Uint8Array;
  built: boolean;
  ms: number;
}

export function buildEngineSync(force = false): BuildResult {
  const t0 = Date.now();
  const stamp = engineStamp();
  let built = false;
  if (force || !isFresh(stamp)) {
    compile(stamp);
    built = true;
  }
  return { wasm: new Uint8Array(readFileSync(ENGINE_PATH)), built, ms: Date.now() - t0 };
}

/** The engine binary, compiled if its sources changed (synchronous: spawns node + asc). */
export function ensureEngineSync(): Uint8Array {
  return buildEngineSync().wasm;
}

export async function ensureEngine(): Promise<Uint8Array> {
  return ensureEngineSync();
}

if (require.main === module) {
  try {
    const force = process.argv.includes('--force');
    const r = buildEngineSync(force);
    const what = r.built ? 'built' : 'up to date';
    console.log(`engine ${what}: ${ENGINE_PATH} (${r.wasm.length} bytes) in ${r.ms} ms`);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
