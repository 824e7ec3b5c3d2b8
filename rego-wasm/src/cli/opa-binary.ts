/**
 * `build --compiler opa`: use a real `opa` binary from PATH (never downloaded) and extract
 * `/policy.wasm` (or `/plan.json`) from the bundle it writes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { SourceError } from '../sources';

export class OpaBinaryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpaBinaryError';
  }
}

/** Files of a (ustar / GNU) tar archive, by name without a leading `./` or `/`. */
export function untar(tar: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const dec = new TextDecoder();
  const str = (off: number, len: number): string => {
    const b = tar.subarray(off, off + len);
    const nul = b.indexOf(0);
    return dec.decode(nul >= 0 ? b.subarray(0, nul) : b);
  };
  let off = 0;
  let longName: string | undefined;
  while (off + 512 <= tar.length) {
    if (tar.subarray(off, off + 512).every((b) => b === 0)) break;
    let name = str(off, 100);
    const size = parseInt(str(off + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(tar[off + 156] || 48);
    const prefix = str(off + 345, 155);
    if (prefix) name = `${prefix}/${name}`;
    const body = tar.subarray(off + 512, off + 512 + size);
    if (type === 'L') longName = dec.decode(body).replace(/\0+$/, '');
    else {
      if (longName) {
        name = longName;
        longName = undefined;
      }
      if (type === '0' || type === '\0') files.set(name.replace(/^\.?\/+/, ''), body.slice());
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

function opaOnPath(): boolean {
  const r = spawnSync('opa', ['version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

/** Runs `opa build -t wasm|plan -e ...` on `dir`; returns the policy.wasm / plan.json bytes. */
export function buildWithOpa(dir: string, target: 'wasm' | 'plan', entrypoints: readonly string[]): Uint8Array {
  if (!opaOnPath()) {
    throw new OpaBinaryError('--compiler opa: no `opa` binary found on PATH (install OPA, or drop --compiler to use the built-in compiler)');
  }
  const tmp = mkdtempSync(join(tmpdir(), 'opa-build-'));
  try {
    const out = join(tmp, 'bundle.tar.gz');
    const args = ['build', '-t', target, ...entrypoints.flatMap((e) => ['-e', e]), '-o', out, '--ignore', '*_test.rego', '--ignore', 'build', dir];
    const r = spawnSync('opa', args, { encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new OpaBinaryError(`opa build failed:\n${(r.stderr || r.stdout || String(r.error)).trim()}`);
    const files = untar(gunzipSync(readFileSync(out)));
    const want = target === 'wasm' ? 'policy.wasm' : 'plan.json';
    const bytes = files.get(want);
    if (!bytes) throw new SourceError(`opa build produced no /${want} in its bundle`);
    return bytes;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
