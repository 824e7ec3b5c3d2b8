/** npm start rebuilds the policy bundle only when it is missing or older than a Rego source. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensurePolicyBundle, policyIsStale } from '../../local/policy-bundle';
import { PolicyBuildError } from '../../local/errors';

function policyDir(rego: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-bundle-'));
  fs.writeFileSync(path.join(dir, 'authz.rego'), rego);
  fs.writeFileSync(path.join(dir, 'manifest.json'), '{"entrypoints":["acme/authz/allow"]}');
  return dir;
}

test('a missing bundle is built, a fresh one is kept, a newer source (also in a sub-folder) makes it stale', () => {
  const dir = policyDir('package acme.authz\n\nallow if input.method == "GET"\n');
  const wasm = path.join(dir, 'build', 'policy.wasm');
  try {
    expect(policyIsStale(dir, wasm)).toBe(true);
    expect(ensurePolicyBundle({ dir, wasm })).toBe('built');
    expect(fs.readFileSync(wasm).subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
    expect(ensurePolicyBundle({ dir, wasm })).toBe('fresh');
    fs.mkdirSync(path.join(dir, 'lib'));
    fs.writeFileSync(path.join(dir, 'lib', 'helpers.rego'), 'package acme.lib\n\nx := 1\n');
    const future = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(dir, 'lib', 'helpers.rego'), future, future);
    expect(policyIsStale(dir, wasm)).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a compile error is a PolicyBuildError and leaves no half-written bundle', () => {
  const dir = policyDir('package acme.authz\n\nallow if {\n');
  const wasm = path.join(dir, 'build', 'policy.wasm');
  try {
    expect(() => ensurePolicyBundle({ dir, wasm })).toThrow(PolicyBuildError);
    expect(fs.existsSync(wasm)).toBe(false);
    const buildDir = path.join(dir, 'build');
    expect(fs.existsSync(buildDir) ? fs.readdirSync(buildDir) : []).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
