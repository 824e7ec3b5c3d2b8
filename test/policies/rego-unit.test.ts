/**
 * Runs the Rego unit tests of policies/ (`*_test.rego`, like `opa test`)
 * through the in-house toolchain, so `npm test` fails when a policy rule or
 * its test breaks.
 */
import * as path from 'node:path';
import { runTests } from 'rego-wasm';

const POLICIES = path.join(__dirname, '..', '..', 'policies');

it('every Rego unit test in policies/ passes', () => {
  const report = runTests({ paths: [POLICIES] });
  const failures = report.results.filter((r) => r.status === 'FAIL' || r.status === 'ERROR').map((r) => `${r.name}: ${r.status} ${r.detail ?? ''}`);
  expect(failures).toEqual([]);
  expect(report.passed).toBeGreaterThanOrEqual(37);
  // Both policies are covered.
  expect(report.results.some((r) => r.name.startsWith('data.acme.authz_test.'))).toBe(true);
  expect(report.results.some((r) => r.name.startsWith('data.acme.filter_test.'))).toBe(true);
}, 120_000);
