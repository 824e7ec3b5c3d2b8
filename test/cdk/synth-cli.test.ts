import { spawnSync } from 'node:child_process';
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

describe('npm run synth: configuration errors are one readable line and exit 1', () => {
  test('a missing policy bundle names the prop and how to build it, without a stack trace', () => {
    const run = synthCli('-c', 'policyWasmFile=/nonexistent/policy.wasm');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('synth failed: InvalidPropError: OpaAuthorizedApi: invalid prop "policyBundle.wasmFile"');
    expect(run.stderr).toContain('rego-wasm build');
    expect(run.stderr).not.toMatch(/\n\s+at /);
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
