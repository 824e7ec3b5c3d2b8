/**
 * The handlers' esbuild options (handlerBundleOptions): a bundle built with
 * them runs in a plain `node` process, and the OPA SDK's yaml builtins, whose
 * `yaml` dependency is loaded only at their first call, give yaml's results.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { build } from 'rego-wasm';
import { handlerBundleOptions } from '../../cdk/construct/handler-bundles';

jest.setTimeout(120_000);

const ROOT = path.join(__dirname, '..', '..');
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-options-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('yaml.* builtins work in a bundle built with the handler options (yaml loaded lazily)', () => {
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
  const out = path.join(dir, 'entry.js');
  buildSync(handlerBundleOptions(entry, out, path.join(ROOT, 'functions')));
  const bundled = fs.readFileSync(out, 'utf8');
  expect(bundled).not.toContain(ROOT); // no machine path from the yaml alias
  const result = JSON.parse(execFileSync(process.execPath, [out]).toString()) as [{ result: Record<string, unknown> }];
  expect(result[0].result).toEqual({ marshal: 'a:\n  - 1\n  - x\n', unmarshal: { b: [2, 'y'], c: true }, valid: true, invalid: false });
});
