import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContextValueError } from '../../cdk/errors';
import { synthesize, SynthesizeResult } from '../../cdk/synthesize';
import { makeTempPolicyBundle, PLACEHOLDER_HANDLER_DIR } from './helpers';

jest.setTimeout(120_000);

describe('npm run synth (synthesize): offline synth with cdk-nag and bundle sizes', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-synth-'));
  let result: SynthesizeResult;

  beforeAll(() => {
    const bundle = makeTempPolicyBundle();
    result = synthesize({
      context: { policyWasmFile: bundle.wasmFile, policyDataFile: bundle.dataFile, stackName: 'SynthCheck' },
      outdir,
      handlerBundles: { authorizer: PLACEHOLDER_HANDLER_DIR, claimsProxy: PLACEHOLDER_HANDLER_DIR },
    });
  });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('without a tenant it synthesises with the example values and says so', () => {
    expect(result.exampleKeys).toEqual(['oktaIssuer', 'oktaAudience', 'backendUrl']);
    const template = JSON.parse(fs.readFileSync(result.templateFile, 'utf8')) as object;
    expect(JSON.stringify(template)).toContain('https://example.okta.com/oauth2/default');
  });

  test('the cloud assembly holds the stack template and a clean cdk-nag validation report', () => {
    expect(result.stackName).toBe('SynthCheck');
    expect(fs.existsSync(result.templateFile)).toBe(true);
    const reportFile = path.join(result.assemblyDir, 'validation-report.json');
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as { pluginReports: Array<{ summary?: { status?: string }; violations?: unknown[] }> };
    for (const plugin of report.pluginReports) expect(plugin.violations ?? []).toEqual([]);
  });

  test('bundle sizes are measured for both functions against the 1 MB authorizer budget', () => {
    expect(result.bundles).toHaveLength(2);
    expect(result.authorizerBundle.files.map((f) => f.file)).toEqual(['data.json', 'index.js', 'policy.wasm']);
    expect(result.authorizerBundle.totalBytes).toBe(result.authorizerBundle.files.reduce((s, f) => s + f.bytes, 0));
    expect(result.authorizerWithinBudget).toBe(true);
  });

  test('with --require-tenant a missing tenant is an error, not example values', () => {
    expect(() => synthesize({ context: {}, outdir, allowExampleTenant: false })).toThrow(ContextValueError);
  });
});
