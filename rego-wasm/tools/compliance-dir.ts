/**
 * Where OPA's conformance cases are: `OPA_COMPLIANCE_DIR`, else
 * `../shared/opa-compliance/v1` beside the repository, the same setting
 * `npm test` (scripts/test.sh) uses. Never an absolute machine path.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const COMPLIANCE_DIR = process.env.OPA_COMPLIANCE_DIR ?? resolve(__dirname, '..', '..', '..', 'shared', 'opa-compliance', 'v1');

/**
 * `describe` for suites that read the conformance cases. Without them the
 * suite fails under CI (CI=true) with the reason, and outside CI it is
 * skipped with a warning that says how to run it: never a silent skip.
 */
export function describeWithCases(name: string, fn: (dir: string) => void): void {
  if (existsSync(COMPLIANCE_DIR)) {
    describe(name, () => fn(COMPLIANCE_DIR));
    return;
  }
  const reason = `${COMPLIANCE_DIR} not found: put OPA's conformance cases there or set OPA_COMPLIANCE_DIR`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('needs the conformance cases', () => {
        throw new Error(reason);
      });
    });
    return;
  }
  console.warn(`${name}: SKIPPED, ${reason}`);
  describe.skip(name, () => fn(COMPLIANCE_DIR));
}
