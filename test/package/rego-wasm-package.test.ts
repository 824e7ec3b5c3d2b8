/**
 * rego-wasm as a platform team gets it: the tarball of `npm pack`, installed
 * alone (production dependencies only) into a fresh folder whose node_modules
 * is then made read-only. Its bin builds a policy of this test's own, and the
 * result evaluates through the OPA SDK from that folder.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installTarball, makeReadOnly, npx, packWorkspace, removeTree, run, tarballFiles, treeSnapshot } from './pack';

const POLICY = `package pkgtest.authz

default allow := false

allow if {
  input.user in data.pkgtest.admins
  regex.match("^[a-z]+$", input.user)
}
`;

describe('rego-wasm npm package', () => {
  let scratch: string;
  let consumer: string;
  let files: string[];
  let installedTree: string[];

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'rego-wasm-pack-'));
    const tarball = packWorkspace('rego-wasm', scratch);
    files = tarballFiles(tarball);
    consumer = installTarball(tarball);
    makeReadOnly(join(consumer, 'node_modules'));
    installedTree = treeSnapshot(join(consumer, 'node_modules'));
  }, 120_000);

  afterAll(() => {
    if (consumer) removeTree(consumer);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test('ships the compiled API, the bin and the engine; not the sources, tests or tools', () => {
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'bin/rego-wasm.js', 'engine/engine.wasm', 'dist/index.js', 'dist/index.d.ts', 'dist/load.js']));
    expect(files.filter((f) => /^(src|test|tools|runtime)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')) || /gen-signatures|compliance|engine-build/.test(f))).toEqual([]);
    const installed = join(consumer, 'node_modules', 'rego-wasm');
    expect(existsSync(join(installed, 'src'))).toBe(false);
    // Only production dependencies: no asc, no TypeScript.
    expect(existsSync(join(consumer, 'node_modules', 'assemblyscript'))).toBe(false);
    expect(existsSync(join(consumer, 'node_modules', '@open-policy-agent', 'opa-wasm'))).toBe(true);
  });

  test('npx rego-wasm --help prints the usage and exits 0', () => {
    const r = npx(consumer, ['rego-wasm', '--help']);
    expect(r.stdout).toMatch(/^usage:/m);
    expect(r.stdout).toContain('build');
  });

  test('npx rego-wasm build compiles a policy that evaluates through the OPA SDK, with a read-only node_modules', () => {
    const src = join(consumer, 'policy');
    mkdirSync(src);
    writeFileSync(join(src, 'authz.rego'), POLICY);
    const out = join(consumer, 'out', 'policy.wasm');
    npx(consumer, ['rego-wasm', 'build', src, '-e', 'pkgtest/authz/allow', '-o', out]);
    expect(readFileSync(out).subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
    const script = `
      const { readFileSync } = require('node:fs');
      const { loadPolicyWasm } = require('rego-wasm/load');
      loadPolicyWasm(readFileSync(${JSON.stringify(out)})).then((p) => {
        p.setData({ pkgtest: { admins: ['alice', 'Bob'] } });
        const r = ['alice', 'Bob', 'eve'].map((user) => p.evaluate({ user }, 'pkgtest/authz/allow')[0].result);
        process.stdout.write(JSON.stringify(r));
      });`;
    const r = run(process.execPath, ['-e', script], consumer);
    expect(JSON.parse(r.stdout)).toEqual([true, false, false]);
    expect(treeSnapshot(join(consumer, 'node_modules'))).toEqual(installedTree);
  });

  test('the exports map hides the internals', () => {
    const r = run(process.execPath, ['-e', "require('rego-wasm/dist/parse/parser')"], consumer, { allowFailure: true });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
    const api = run(process.execPath, ['-e', "process.stdout.write(Object.keys(require('rego-wasm')).sort().join(' '))"], consumer);
    expect(api.stdout.split(' ')).toEqual(expect.arrayContaining(['build', 'loadRego', 'parseModules', 'compileModules', 'planRego', 'buildPolicyWasm', 'loadPolicyWasm', 'hostBuiltins']));
    const bundle = run(process.execPath, ['-e', "process.stdout.write(Object.keys(require('rego-wasm/bundle')).sort().join(' '))"], consumer);
    expect(bundle.stdout.split(' ')).toEqual(expect.arrayContaining(['readBundle', 'writeBundle', 'BundleError', 'BundleVerificationError']));
  });
});
