import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { PolicyBuildError } from './errors';
import { DEFAULT_POLICY_WASM, REPO_ROOT } from './construct/paths';

/**
 * Build the policy with the in-house Rego → Wasm toolchain (`npm run
 * policy:build`, by default into policies/build/policy.wasm). Throws
 * `PolicyBuildError` with the toolchain's output when it fails or produces no wasm.
 */
export function buildPolicy(outFile: string = DEFAULT_POLICY_WASM): string {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const extra = outFile === DEFAULT_POLICY_WASM ? [] : ['--', '-o', outFile];
  const result = spawnSync(npm, ['run', '--silent', 'policy:build', ...extra], {
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
  if (!fs.existsSync(outFile)) {
    throw new PolicyBuildError(`\`npm run policy:build\` succeeded but wrote no ${outFile}\n${indent(output)}`);
  }
  return outFile;
}

function indent(text: string): string {
  return text
    .split('\n')
    .slice(-40)
    .map((line) => `  | ${line}`)
    .join('\n');
}
