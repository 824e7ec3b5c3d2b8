/**
 * The handlers' bundles (buildHandlerBundle, handlerBundleOptions): a bundle
 * runs in a plain `node` process; the OPA SDK's yaml builtins, whose `yaml`
 * dependency is a file beside the bundle loaded at their first call, give
 * yaml's results; rego-wasm's host builtins are another file beside it,
 * loaded by the first policy that imports one and never before.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { build } from 'rego-wasm';
import { buildHandlerBundle, HOST_BUILTINS_FILE, SDK_YAML_FILE } from '../../cdk/construct/handler-bundles';

jest.setTimeout(120_000);

const ROOT = path.join(__dirname, '..', '..');
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-options-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('yaml.* builtins work in a bundle built with the handler options (yaml loaded lazily, from the file beside it)', () => {
  const policy = [
    'package t',
    '',
    'out := {',
    '\t"marshal": yaml.marshal({"a": [1, "x"]}),',
    '\t"unmarshal": yaml.unmarshal(input.doc),',
    '\t"valid": yaml.is_valid(input.doc),',
    '\t"invalid": yaml.is_valid(input.bad),',
    '}',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'policy.wasm'), build({ sources: [{ file: 't.rego', text: policy }], entrypoints: ['t/out'] }).bytes);
  const entry = path.join(dir, 'entry.ts');
  fs.writeFileSync(
    entry,
    `import { readFileSync } from 'node:fs';
import { loadPolicyWasm } from ${JSON.stringify(path.join(ROOT, 'rego-wasm', 'src', 'load'))};
loadPolicyWasm(readFileSync(${JSON.stringify(path.join(dir, 'policy.wasm'))})).then((p) => {
  process.stdout.write(JSON.stringify(p.evaluate({ doc: 'b: [2, y]\\nc: true\\n', bad: 'a: [' }, 't/out')));
});
`,
  );
  const out = path.join(dir, 'yaml-bundle', 'index.js');
  buildHandlerBundle(esbuild, entry, out, path.join(ROOT, 'functions'));
  const bundled = fs.readFileSync(out, 'utf8');
  expect(bundled).not.toContain(ROOT); // no machine path from the yaml alias
  // yaml is the file beside the bundle, not in it
  expect(bundled).not.toContain('tag:yaml.org,2002');
  expect(fs.readFileSync(path.join(dir, 'yaml-bundle', SDK_YAML_FILE), 'utf8')).toContain('tag:yaml.org,2002');
  const result = JSON.parse(execFileSync(process.execPath, [out]).toString()) as [{ result: Record<string, unknown> }];
  expect(result[0].result).toEqual({ marshal: 'a:\n  - 1\n  - x\n', unmarshal: { b: [2, 'y'], c: true }, valid: true, invalid: false });
});

test('host builtins come from the file beside the bundle, loaded by the first policy that imports one', () => {
  const plain = build({ sources: [{ file: 'a.rego', text: 'package a\n\nallow if input.x == 1\n' }], entrypoints: ['a/allow'] }).bytes;
  const host = build({
    sources: [{ file: 'b.rego', text: 'package b\n\nout := {"m": regex.match("^a+$", input.s), "same": uuid.rfc4122("k") == uuid.rfc4122("k"), "id": uuid.rfc4122("k")}\n' }],
    entrypoints: ['b/out'],
  }).bytes;
  fs.writeFileSync(path.join(dir, 'plain.wasm'), plain);
  fs.writeFileSync(path.join(dir, 'host.wasm'), host);
  const entry = path.join(dir, 'host-entry.ts');
  fs.writeFileSync(
    entry,
    `import { readFileSync } from 'node:fs';
import { loadPolicyWasm } from ${JSON.stringify(path.join(ROOT, 'rego-wasm', 'src', 'load'))};
const loaded = () => Object.keys(require.cache).some((f) => f.endsWith(${JSON.stringify(HOST_BUILTINS_FILE)}));
(async () => {
  const a = await loadPolicyWasm(readFileSync(${JSON.stringify(path.join(dir, 'plain.wasm'))}));
  const allow = a.evaluate({ x: 1 }, 'a/allow');
  const before = loaded();
  const b = await loadPolicyWasm(readFileSync(${JSON.stringify(path.join(dir, 'host.wasm'))}));
  const first = b.evaluate({ s: 'aaa' }, 'b/out');
  const second = b.evaluate({ s: 'ab' }, 'b/out');
  process.stdout.write(JSON.stringify({ allow, before, after: loaded(), first, second }));
})();
`,
  );
  const outDir = path.join(dir, 'host-bundle');
  const out = path.join(outDir, 'index.js');
  buildHandlerBundle(esbuild, entry, out, path.join(ROOT, 'functions'));
  expect(fs.existsSync(path.join(outDir, HOST_BUILTINS_FILE))).toBe(true);
  // re2js (RE2 for regex.*) is in the file beside the bundle, not in the bundle
  expect(fs.readFileSync(path.join(outDir, HOST_BUILTINS_FILE), 'utf8')).toContain('RE2');
  expect(fs.readFileSync(out, 'utf8')).not.toContain('RE2JS');
  const r = JSON.parse(execFileSync(process.execPath, [out]).toString()) as {
    allow: [{ result: boolean }];
    before: boolean;
    after: boolean;
    first: [{ result: { m: boolean; same: boolean; id: string } }];
    second: [{ result: { m: boolean; same: boolean; id: string } }];
  };
  expect(r.allow[0].result).toBe(true);
  expect(r.before).toBe(false);
  expect(r.after).toBe(true);
  expect(r.first[0].result.m).toBe(true);
  expect(r.second[0].result.m).toBe(false);
  // one value per evaluation: the loader's evaluation boundary reaches the builtins' file
  expect(r.first[0].result.same).toBe(true);
  expect(r.first[0].result.id).not.toBe(r.second[0].result.id);
});
