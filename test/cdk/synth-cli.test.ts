import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '..', '..');

/** Run `npm run synth -- <args>` (tsx cdk/synth.ts) and capture its exit code and output. */
function synthCli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'cdk', 'synth.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 50_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Run the CDK CLI's app (cdk.json "app") the way `cdk synth` does: CDK_OUTDIR and CDK_CONTEXT_JSON set. */
function cdkApp(outdir: string, context: Record<string, string>): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'cdk', 'app.ts')], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 50_000,
    env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
  });
  return { status: result.status, stderr: result.stderr };
}

describe('cdk synth (cdk/app.ts under the CDK CLI) after a prop error', () => {
  test('exits 1 with one line and writes no half-built stack into cdk.out', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-app-'));
    try {
      const run = cdkApp(outdir, { oktaIssuer: 'http://acme.okta.com/oauth2/default', oktaAudience: 'api://default', backendUrl: 'https://b.example' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('InvalidPropError: OpaAuthorizedApi: invalid prop "oktaIssuer"');
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(fs.readdirSync(outdir)).toEqual([]);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe('npm run synth: configuration errors are one readable line and exit 1', () => {
  test('a missing policy bundle names the prop and how to build it, without a stack trace', () => {
    const run = synthCli('-c', 'policyWasmFile=/nonexistent/policy.wasm');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('synth failed: InvalidPropError: OpaAuthorizedApi: invalid prop "policyBundle.wasmFile"');
    expect(run.stderr).toContain('rego-wasm build');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  test('a failed synth leaves no empty cloud assembly behind', () => {
    const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-synth-')), 'cdk.out');
    const run = synthCli('-c', 'oktaIssuer=http://acme.okta.com/oauth2/default', '--outdir', outdir);
    expect(run.status).toBe(1);
    expect(fs.existsSync(outdir)).toBe(false);
  });

  test('a malformed context value names the key and the -c flag', () => {
    const run = synthCli('-c', 'backendTimeoutMs=3s', '-c', 'policyWasmFile=/nonexistent/policy.wasm');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('ContextValueError: context value "backendTimeoutMs"');
    expect(run.stderr).toContain('-c backendTimeoutMs=');
  });

  test('an argument that is not key=value is refused', () => {
    const run = synthCli('-c', 'oktaIssuer');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('CliUsageError: expected key=value after -c');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(synthCli('--frobnicate').stderr).toContain('unknown argument "--frobnicate"');
  });
});
