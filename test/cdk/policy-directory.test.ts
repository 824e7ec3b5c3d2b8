/**
 * `buildPolicyDirectory` builds a policy folder as `rego-wasm build -b` would: the folder's
 * `.manifest` rego_version is honoured and its data.json is the base document.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildPolicyDirectory } from '../../cdk/construct/policy-source';
import { PolicyBuildError } from '../../cdk/errors';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-dir-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test("a v0 policy folder builds when its .manifest says rego_version 0 (and not without it)", () => {
  fs.writeFileSync(path.join(dir, 'authz.rego'), 'package acme.authz\n\ndefault allow = false\n\nallow { input.user == "alice" }\n');
  expect(() => buildPolicyDirectory(dir, ['acme/authz/allow'])).toThrow(/rego_parse_error/);
  fs.writeFileSync(path.join(dir, '.manifest'), JSON.stringify({ rego_version: 0 }));
  const built = buildPolicyDirectory(dir, ['acme/authz/allow']);
  expect(fs.readFileSync(built.wasmFile).subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
  fs.rmSync(path.dirname(built.wasmFile), { recursive: true, force: true });
});

test('a rule at a path the folder data.json holds stops the synth with OPA compile error', () => {
  fs.writeFileSync(path.join(dir, 'authz.rego'), 'package acme.authz\n\nallow := true\n');
  fs.writeFileSync(path.join(dir, 'data.json'), JSON.stringify({ acme: { authz: { allow: false } } }));
  expect(() => buildPolicyDirectory(dir, ['acme/authz/allow'])).toThrow(PolicyBuildError);
  expect(() => buildPolicyDirectory(dir, ['acme/authz/allow'])).toThrow(/conflicting rule for data path acme\/authz\/allow found/);
});
