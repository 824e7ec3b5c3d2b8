import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { App } from 'aws-cdk-lib';
import { AUTHORIZER_BUNDLE_BUDGET_BYTES, FunctionBundleSize, measureFunctionBundles } from '../../cdk/bundle-sizes';
import { DEFAULT_AUTHORIZER_ENTRY, DEFAULT_CLAIMS_PROXY_ENTRY } from '../../cdk/construct/paths';
import type { OpaAuthorizedApiProps } from '../../cdk/construct/props';
import { OpaApiStack } from '../../cdk/stack';
import { makeTempPolicyBundle, testProps } from './helpers';

jest.setTimeout(120_000);

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) fs.rmSync(dir, { recursive: true, force: true });
});

interface Bundled {
  readonly bundles: FunctionBundleSize[];
  readonly s3Keys: string[];
}

/** Synthesise WITH local esbuild bundling (no Docker) into a temporary cloud assembly. */
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

describe('local esbuild bundling ships the policy next to each handler', () => {
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

  const handlersPresent = fs.existsSync(DEFAULT_AUTHORIZER_ENTRY) && fs.existsSync(DEFAULT_CLAIMS_PROXY_ENTRY);
  // Skipped only until functions/ lands its handlers (owned by helper "functions").
  const withHandlers = handlersPresent ? test : test.skip;
  withHandlers(`the real handlers bundle and the authorizer bundle stays within ${AUTHORIZER_BUNDLE_BUDGET_BYTES} bytes`, () => {
    const bundle = makeTempPolicyBundle();
    const builtWasm = path.resolve(__dirname, '..', '..', 'policies', 'build', 'policy.wasm');
    const wasmFile = fs.existsSync(builtWasm) ? builtWasm : bundle.wasmFile;
    const { bundles } = synthWithBundling({
      ...testProps(bundle),
      policyBundle: { wasmFile, dataFile: bundle.dataFile },
      handlerEntries: { authorizer: DEFAULT_AUTHORIZER_ENTRY, claimsProxy: DEFAULT_CLAIMS_PROXY_ENTRY },
    });
    const authorizer = bundles.find((b) => b.constructPath.includes('/Authorizer/'));
    const proxy = bundles.find((b) => b.constructPath.includes('/ClaimsProxy/'));
    expect(authorizer).toBeDefined();
    expect(proxy).toBeDefined();
    expect(authorizer!.totalBytes).toBeLessThanOrEqual(AUTHORIZER_BUNDLE_BUDGET_BYTES);

    // The bundle runs on plain Node from its own directory (as in /var/task): a request
    // without a token fails closed with exactly 'Unauthorized'. JWKS points at a closed
    // loopback port, so nothing leaves the machine.
    const run = (dir: string, script: string, env: Record<string, string>) =>
      spawnSync(process.execPath, ['-e', script], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 30_000 });
    const authz = run(
      authorizer!.assetDir,
      `require('./index.js').handler({ type: 'REQUEST', methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/v1/claims',
         resource: '/{proxy+}', path: '/v1/claims', httpMethod: 'GET', headers: {}, multiValueHeaders: {}, queryStringParameters: null,
         multiValueQueryStringParameters: null, pathParameters: null, stageVariables: null,
         requestContext: { stage: 'prod', httpMethod: 'GET', path: '/prod/v1/claims', resourcePath: '/{proxy+}', identity: { sourceIp: '203.0.113.7' } } })
       .then((r) => console.log('RESULT ' + JSON.stringify(r)), (e) => console.log('ERROR ' + e.message));`,
      { OKTA_ISSUER: 'http://127.0.0.1:9/oauth2/default', OKTA_AUDIENCE: 'api://default', LOG_LEVEL: 'silent' },
    );
    expect(authz.stdout).toContain('ERROR Unauthorized');
    const claims = run(proxy!.assetDir, `console.log('HANDLER ' + typeof require('./index.js').handler)`, {
      BACKEND_URL: 'https://claims.acme.example',
      LOG_LEVEL: 'silent',
    });
    expect(claims.stdout).toContain('HANDLER function');
  });
});
