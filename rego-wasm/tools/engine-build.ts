/**
 * Builds the AssemblyScript policy engine (rego-wasm/runtime/assembly) with
 * asc. Development only: the package ships the engine prebuilt
 * (rego-wasm/engine/engine.wasm) and checks it against ENGINE_SHA256
 * (src/package/engine-hash.ts) when it loads it; nothing here runs when a
 * policy is built or loaded.
 *
 *   npm run build:engine               rebuild from source and install it as
 *                                      engine/engine.wasm + engine-hash.ts
 *   tsx rego-wasm/tools/engine-build.ts [--force]
 *                                      build into rego-wasm/build/ only (cached)
 *
 * The build into rego-wasm/build/ is cached by a stamp (a hash of the runtime
 * sources, the asc version and the flags). The runtime tests run against it,
 * and a jest test checks that it is byte-identical to the shipped binary.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ENGINE_FILE } from '../src/package/engine';

export class EngineBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineBuildError';
  }
}

const PACKAGE_DIR = resolve(__dirname, '..');
/** asconfig.json names its files relative to the folder that holds rego-wasm/. */
const ASC_CWD = resolve(PACKAGE_DIR, '..');
const RUNTIME_DIR = join(PACKAGE_DIR, 'runtime');
const ASSEMBLY_DIR = join(RUNTIME_DIR, 'assembly');
const BUILD_DIR = join(PACKAGE_DIR, 'build');
/** The cached development build (not shipped). */
export const SOURCE_ENGINE_PATH = join(BUILD_DIR, 'engine.wasm');
const STAMP_PATH = join(BUILD_DIR, 'engine.stamp');
const HASH_MODULE = join(PACKAGE_DIR, 'src', 'package', 'engine-hash.ts');

/**
 * asc flags; the options live in rego-wasm/runtime/asconfig.json: custom
 * bump-allocator runtime, imported memory, abort → opa_abort, -O3, and
 * `stackSize: -1`, which keeps asc from adding the incremental GC's shadow
 * stack for a custom runtime (only a config file can pass a negative value).
 */
export const ASC_FLAGS: readonly string[] = ['--config', 'rego-wasm/runtime/asconfig.json'];

function ascPackage(): { version: string; cli: string } {
  const pkgPath = require.resolve('assemblyscript/package.json', { paths: [PACKAGE_DIR] });
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
  return existsSync(SOURCE_ENGINE_PATH) && existsSync(STAMP_PATH) && readFileSync(STAMP_PATH, 'utf8') === stamp;
}

function compile(stamp: string): void {
  mkdirSync(BUILD_DIR, { recursive: true });
  const tmp = `${SOURCE_ENGINE_PATH}.${process.pid}.tmp`;
  const r = spawnSync(process.execPath, [ascPackage().cli, ...ASC_FLAGS, '-o', tmp], { cwd: ASC_CWD, encoding: 'utf8' });
  if (r.status !== 0) throw new EngineBuildError(`asc failed (exit ${r.status}):\n${r.stderr || r.stdout}`);
  renameSync(tmp, SOURCE_ENGINE_PATH);
  writeFileSync(STAMP_PATH, stamp);
}

export interface EngineBuild {
  wasm: Uint8Array;
  /** False when the cached build matched the sources. */
  built: boolean;
  ms: number;
}

/** Builds runtime/assembly into rego-wasm/build/engine.wasm unless the cached build is current. */
export function buildEngineFromSource(force = false): EngineBuild {
  const t0 = Date.now();
  const stamp = engineStamp();
  let built = false;
  if (force || !isFresh(stamp)) {
    compile(stamp);
    built = true;
  }
  return { wasm: new Uint8Array(readFileSync(SOURCE_ENGINE_PATH)), built, ms: Date.now() - t0 };
}

/** The engine built from the current runtime sources (cached). */
export function sourceEngineSync(): Uint8Array {
  return buildEngineFromSource().wasm;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Copies a fresh build to engine/engine.wasm and records its hash in src/package/engine-hash.ts. */
export function installEngine(build: EngineBuild): string {
  mkdirSync(resolve(ENGINE_FILE, '..'), { recursive: true });
  copyFileSync(SOURCE_ENGINE_PATH, ENGINE_FILE);
  const hash = sha256Hex(build.wasm);
  writeFileSync(
    HASH_MODULE,
    '/**\n' +
      ' * SHA-256 of engine/engine.wasm, written by `npm run build:engine`. The packager\n' +
      ' * refuses an engine binary with another hash; a jest test rebuilds the engine from\n' +
      ' * runtime/assembly and checks that it reproduces exactly this hash.\n' +
      ' */\n' +
      `export const ENGINE_SHA256 = '${hash}';\n`,
  );
  return hash;
}

if (require.main === module) {
  try {
    const install = process.argv.includes('--install');
    const r = buildEngineFromSource(process.argv.includes('--force'));
    console.log(`engine ${r.built ? 'built' : 'up to date'}: ${SOURCE_ENGINE_PATH} (${r.wasm.length} bytes) in ${r.ms} ms`);
    if (install) console.log(`installed ${ENGINE_FILE} (sha256 ${installEngine(r)})`);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
