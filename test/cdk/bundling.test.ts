import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { App } from 'aws-cdk-lib';
import { AUTHORIZER_BUNDLE_BUDGET_BYTES, FunctionBundleSize, measureFunctionBundles } from '../../cdk/bundle-sizes';
import { bundleHandlers } from '../../cdk/construct/handler-bundles';
import { REPO_POLICY_DIR } from '../../cdk/repo-paths';
import type { OpaAuthorizedApiProps } from '../../cdk/construct/props';
import { OpaApiStack } from '../../cdk/stack';
import { BASE_PROPS, makeTempPolicyBundle, testProps } from './helpers';

jest.setTimeout(120_000);

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) fs.rmSync(dir, { recursive: true, force: true });
});

interface Bundled {
  readonly bundles: FunctionBundleSize[];
  readonly s3Keys: string[];
}

/** Synthesise into a temporary cloud assembly, with asset staging (what `cdk deploy` uploads). */
function synthWithBundling(props: OpaAuthorizedApiProps): Bundled {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-bundle-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:enable-path-metadata': true } });
  const stack = new OpaApiStack(app, 'Bundled', { api: props });
  const assembly = app.synth();
  const template = assembly.getStackArtifact(stack.artifactId).template as {
    Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }>;
  };
  const s3Keys = Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map((r) => String(r.Properties.Code?.S3Key));
  return { bundles: measureFunctionBundles(assembly.directory, template), s3Keys };
}

describe('each function asset is its handler bundle with the policy beside it', () => {
  let bundle: ReturnType<typeof makeTempPolicyBundle>;
  let first: Bundled;
  beforeAll(() => {
    bundle = makeTempPolicyBundle({ routes: [{ prefix: '/v1/claims' }] });
    first = synthWithBundling(testProps(bundle));
  });

  test('policy.wasm and data.json are copied byte for byte beside index.js', () => {
    expect(first.bundles).toHaveLength(2);
    for (const fn of first.bundles) {
      expect(fn.files.map((f) => f.file)).toEqual(['data.json', 'index.js', 'policy.wasm']);
      expect(fs.readFileSync(path.join(fn.assetDir, 'policy.wasm')).equals(fs.readFileSync(bundle.wasmFile))).toBe(true);
      expect(fs.readFileSync(path.join(fn.assetDir, 'data.json'), 'utf8')).toBe(fs.readFileSync(bundle.dataFile, 'utf8'));
      expect(fs.readFileSync(path.join(fn.assetDir, 'index.js'), 'utf8')).toContain('placeholder handler');
    }
  });

  test('a changed policy changes the code asset, so a deploy ships the new policy', () => {
    const changed = makeTempPolicyBundle({ routes: [{ prefix: '/v1/claims' }] });
    fs.writeFileSync(changed.wasmFile, Buffer.concat([fs.readFileSync(changed.wasmFile), Buffer.from([0x00, 0x01, 0x00])]));
    const after = synthWithBundling(testProps(changed));
    expect(after.s3Keys).toHaveLength(2);
    for (const key of after.s3Keys) expect(first.s3Keys).not.toContain(key);
  });

  test(`the real handlers (bundled from functions/) + policies/ compiled at synth fit ${AUTHORIZER_BUNDLE_BUDGET_BYTES} bytes and decide like Lambda would`, () => {
    // The construct's defaults in this repository: handlers bundled from the current sources,
    // the policy compiled from the current Rego by rego-wasm for the two entrypoints.
    const { bundles } = synthWithBundling({ ...BASE_PROPS, policyDirectory: REPO_POLICY_DIR });
    const authorizer = bundles.find((b) => b.constructPath.includes('/Authorizer/'));
    const proxy = bundles.find((b) => b.constructPath.includes('/ClaimsProxy/'));
    expect(authorizer).toBeDefined();
    expect(proxy).toBeDefined();
    expect(authorizer!.totalBytes).toBeLessThanOrEqual(AUTHORIZER_BUNDLE_BUDGET_BYTES);

    // Run the bundled authorizer from its asset directory (as from /var/task) on plain Node,
    // against a throw-away JWKS on 127.0.0.1: nothing leaves the machine.
    const eventFile = path.join(__dirname, '..', 'events', 'authorizer-get-own-record.json');
    const run = spawnSync(process.execPath, [path.join(__dirname, 'fixtures', 'invoke-bundled-authorizer.js'), authorizer!.assetDir, eventFile], {
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const outcomes = Object.fromEntries(
      run.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => {
          const o = JSON.parse(line) as { case: string; result?: { principalId: string; policyDocument: { Statement: Array<{ Effect: string; Resource: string }> }; context: Record<string, unknown> }; error?: string };
          return [o.case, o];
        }),
    );
    const methodArn = (JSON.parse(fs.readFileSync(eventFile, 'utf8')) as { methodArn: string }).methodArn;
    const own = outcomes['primary reads own record']?.result;
    expect(own?.principalId).toBe('alice@acme.example');
    expect(own?.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }]);
    expect(typeof own?.context.decisionId).toBe('string');
    // Evaluated right after Alice's Allow in the same container: the policy's own refusal,
    // not an error and never a replay of the previous decision.
    const other = outcomes['secondary reads another member']?.result;
    expect(other?.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: methodArn }]);
    expect(other?.context.reason).toBe('not_own_record');
    expect(outcomes['forged signature']?.error).toBe('Unauthorized');

    const claims = spawnSync(process.execPath, ['-e', `console.log('HANDLER ' + typeof require('./index.js').handler)`], {
      cwd: proxy!.assetDir,
      env: { PATH: process.env.PATH ?? '', BACKEND_URL: 'https://claims.acme.example', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(claims.stdout).toContain('HANDLER function');
  });
});

describe('the AWS SDK stays out of the handler bundles (the Lambda runtime provides it)', () => {
  test('both handlers require @aws-sdk/client-s3 and client-ssm at run time and bundle neither', () => {
    const bundles = bundleHandlers(path.join(__dirname, '..', '..', 'functions'), fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-external-')));
    outdirs.push(path.dirname(bundles.authorizer));
    for (const dir of [bundles.authorizer, bundles.claimsProxy]) {
      const code = fs.readFileSync(path.join(dir, 'index.js'), 'utf8');
      expect(code).toContain('require("@aws-sdk/client-s3")');
      expect(code).toContain('require("@aws-sdk/client-ssm")');
      // Class names survive minification (keepNames): the clients' own code is absent.
      for (const sdkClass of ['S3ServiceException', 'SSMServiceException', 'GetObjectCommand extends', 'S3Client extends']) expect(code).not.toContain(sdkClass);
    }
  });
});
