import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { PolicyBuildError } from './errors';
import { DEFAULT_POLICY_WASM, REPO_ROOT } from './construct/paths';

/**
 * Build `policies/build/policy.wasm` with the in-house Rego → Wasm toolchain
 * (`npm run policy:build`). Throws `PolicyBuildError` with the toolchain's
 * output when it fails or produces no wasm.
 */
export function buildPolicy(): string {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', '--silent', 'policy:build'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: process.env,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.error) {
    throw new PolicyBuildError(`could not run \`npm run policy:build\`: ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new PolicyBuildError(
      `\`npm run policy:build\` failed (exit ${result.status}); the stack ships policies/build/policy.wasm, so synth stops here.\n` +
        `Fix the policy or the toolchain, or pass a prebuilt bundle with -c policyWasmFile=<file>.\n${indent(output)}`,
    );
  }
  if (!fs.existsSync(DEFAULT_POLICY_WASM)) {
    throw new PolicyBuildError(`\`npm run policy:build\` succeeded but wrote no ${DEFAULT_POLICY_WASM}\n${indent(output)}`);
  }
  return DEFAULT_POLICY_WASM;
}

function indent(text: string): string {
  return text
    .split('\n')
    .slice(-40)
    .map((line) => `  | ${line}`)
    .join('\n');
}
