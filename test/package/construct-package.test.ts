/**
 * The construct as a platform team uses it from its own repository: both
 * packages packed with `npm pack`, installed (with aws-cdk-lib and constructs,
 * production dependencies only) into a fresh folder that holds a minimal CDK
 * app and a Rego policy of its own. The policy is built with the packaged
 * `npx rego-wasm build`, the app is synthesised there, and the deployed
 * function code (prebuilt handler + policy) is run on plain Node.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { npx, packWorkspace, removeTree, run, tarballFiles } from './pack';

jest.setTimeout(300_000);

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The consumer's own policy: a team API where readers may GET and writers may POST. */
const POLICY = `package team.api

default decision := {"allow": false, "reason": "not_allowed"}

decision := {"allow": true, "reason": "allowed"} if {
  input.method == "GET"
  "team:read" in input.token.scopes
}

default response := null

response := input.response.body
`;

/** A CDK app in plain JavaScript, as a consumer would write it (no TypeScript tooling needed). */
function appSource(policy: string): string {
  return `
const { App, Stack, Duration } = require('aws-cdk-lib');
const { OpaAuthorizedApi } = require('opa-okta-apigateway');
const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'TeamApi');
const api = new OpaAuthorizedApi(stack, 'Api', {
  oktaIssuer: 'https://team.okta.com/oauth2/default',
  oktaAudience: 'api://team',
  backendUrl: 'https://team-backend.example.com',
  ${policy},
  requestEntrypoint: 'team/api/decision',
  responseEntrypoint: 'team/api/response',
  authorizerMemorySize: 768,
  authorizerTimeout: Duration.seconds(4),
});
api.authorizerFunction.function.addEnvironment('TEAM', 'platform');
app.synth();
`;
}

interface FunctionResource {
  Type: string;
  Properties: { Description?: string; MemorySize?: number; Timeout?: number; Environment?: { Variables?: Record<string, string> } };
  Metadata?: Record<string, string>;
}

describe('the construct package in a consumer CDK app', () => {
  let scratch: string;
  let consumer: string;
  let files: string[];

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'construct-pack-'));
    const regoWasm = packWorkspace('rego-wasm', scratch);
    const construct = packWorkspace('opa-okta-apigateway', scratch);
    files = tarballFiles(construct);
    consumer = mkdtempSync(join(tmpdir(), 'cdk-consumer-'));
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'team-api', version: '1.0.0', private: true }));
    const versions = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    run(NPM, [
      'install', '--omit=dev', '--prefer-offline', '--no-package-lock',
      `aws-cdk-lib@${versions.devDependencies['aws-cdk-lib']}`, `constructs@${versions.devDependencies.constructs}`,
      regoWasm, construct,
    ], consumer);
    mkdirSync(join(consumer, 'policies'));
    writeFileSync(join(consumer, 'policies', 'api.rego'), POLICY);
    writeFileSync(join(consumer, 'policies', 'data.json'), JSON.stringify({ team: { name: 'platform' } }));
  });

  afterAll(() => {
    if (consumer) removeTree(consumer);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test('the tarball holds the compiled construct, its types and both prebuilt handlers; no sources', () => {
    expect(files).toEqual(expect.arrayContaining([
      'package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts',
      'dist/handlers/authorizer/index.js', 'dist/handlers/claims-proxy/index.js',
      'dist/handlers/authorizer/builtins/host.js', 'dist/handlers/authorizer/builtins/yaml.js',
      'dist/handlers/claims-proxy/builtins/host.js', 'dist/handlers/claims-proxy/builtins/yaml.js',
    ]));
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /^(scripts|test|construct)\//.test(f) || /(app|synth|context-config|repo-paths)\.js$/.test(f))).toEqual([]);
  });

  test('npx rego-wasm build + a prebuilt policyBundle synthesises, and the deployed authorizer decides with the team policy', () => {
    const wasm = join(consumer, 'build', 'policy.wasm');
    npx(consumer, ['rego-wasm', 'build', 'policies', '-e', 'team/api/decision', '-e', 'team/api/response', '-o', wasm]);
    writeFileSync(join(consumer, 'app-bundle.js'), appSource(`policyBundle: { wasmFile: ${JSON.stringify(wasm)}, dataFile: 'policies/data.json' }`));
    const out = join(consumer, 'cdk.out.bundle');
    run(process.execPath, ['app-bundle.js', out], consumer);

    const template = JSON.parse(readFileSync(join(out, 'TeamApi.template.json'), 'utf8')) as { Resources: Record<string, FunctionResource> };
    const fns = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    const authorizer = fns.find((f) => String(f.Properties.Description).includes('authorizer'));
    expect(authorizer?.Properties.MemorySize).toBe(768);
    expect(authorizer?.Properties.Timeout).toBe(4);
    expect(authorizer?.Properties.Environment?.Variables).toMatchObject({
      OKTA_ISSUER: 'https://team.okta.com/oauth2/default',
      POLICY_REQUEST_ENTRYPOINT: 'team/api/decision',
      TEAM: 'platform',
    });

    // The staged code asset of each function: the prebuilt handler with the consumer's policy beside it.
    const assets = readdirSync(out).filter((d) => d.startsWith('asset.'));
    const withHandler = assets.filter((d) => existsSync(join(out, d, 'index.js')));
    expect(withHandler).toHaveLength(2);
    for (const dir of withHandler) {
      expect(readdirSync(join(out, dir)).sort()).toEqual(['builtins', 'data.json', 'index.js', 'policy.wasm']);
      // rego-wasm's host builtins and the OPA SDK's yaml, required only by a policy that calls one of them
      expect(readdirSync(join(out, dir, 'builtins')).sort()).toEqual(['host.js', 'yaml.js']);
      expect(readFileSync(join(out, dir, 'policy.wasm')).equals(readFileSync(wasm))).toBe(true);
    }

    // The authorizer's bundle is self-contained: it loads from its asset folder with no node_modules.
    const authorizerAsset = withHandler.find((d) => readFileSync(join(out, d, 'index.js'), 'utf8').includes('methodArn'));
    expect(authorizerAsset).toBeDefined();
    const load = run(process.execPath, ['-e', "const h = require('./index.js'); process.stdout.write(typeof h.handler)"], join(out, authorizerAsset!), {
      // The JWKS URI is a closed loopback port: the cold start must not reach any network.
      env: {
        NODE_PATH: '', LOG_LEVEL: 'silent', OKTA_ISSUER: 'https://team.okta.com/oauth2/default', OKTA_AUDIENCE: 'api://team',
        OKTA_JWKS_URI: 'http://127.0.0.1:9/keys', POLICY_REQUEST_ENTRYPOINT: 'team/api/decision', POLICY_DATA_PATH: 'data.json',
      },
    });
    expect(load.stdout).toBe('function');

    // The consumer's policy, evaluated through the SDK from the consumer folder.
    const script = `
      const { readFileSync } = require('node:fs');
      const { loadPolicyWasm } = require('rego-wasm/load');
      loadPolicyWasm(readFileSync(${JSON.stringify(wasm)})).then((p) => {
        p.setData(JSON.parse(readFileSync('policies/data.json', 'utf8')));
        const ask = (method, scopes) => p.evaluate({ method, token: { scopes } }, 'team/api/decision')[0].result;
        process.stdout.write(JSON.stringify([ask('GET', ['team:read']), ask('POST', ['team:read']), ask('GET', [])]));
      });`;
    const decisions = JSON.parse(run(process.execPath, ['-e', script], consumer).stdout) as unknown[];
    expect(decisions).toEqual([
      { allow: true, reason: 'allowed' },
      { allow: false, reason: 'not_allowed' },
      { allow: false, reason: 'not_allowed' },
    ]);
  });

  test('policyDirectory compiles the consumer\'s Rego at synth; a policy without the entrypoints fails the synth', () => {
    writeFileSync(join(consumer, 'app-dir.js'), appSource(`policyDirectory: 'policies'`));
    const out = join(consumer, 'cdk.out.dir');
    run(process.execPath, ['app-dir.js', out], consumer);
    const assets = readdirSync(out).filter((d) => d.startsWith('asset.') && existsSync(join(out, d, 'policy.wasm')));
    expect(assets).toHaveLength(2);

    const broken = join(consumer, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'api.rego'), 'package team.api\n\ndecision := {"allow": true}\n');
    writeFileSync(join(consumer, 'app-broken.js'), appSource(`policyDirectory: 'broken'`));
    const r = run(process.execPath, ['app-broken.js', join(consumer, 'cdk.out.broken')], consumer, { allowFailure: true });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/PolicyBuildError/);
    expect(r.stderr).toMatch(/team\/api\/response/);
  });
});
