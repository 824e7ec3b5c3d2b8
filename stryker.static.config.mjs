// @ts-check
/**
 * Static mutants: module-level constants (header lists, ID-token claims,
 * regexes, limits). Each needs the whole suite re-run, so `npm run mutation`
 * skips them; this config runs them against the fast in-process suites only.
 * Name the constants' lines, e.g.
 *   npx stryker run stryker.static.config.mjs --mutate functions/shared/request-input.ts:59-59
 * (ID-token claims: add --testFiles test/functions/token-verifier-claims.test.ts).
 */
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  ignoreStatic: false,
  // Pure or in-process suites without RSA keys or servers (override with --testFiles).
  testFiles: [
    'test/functions/request-input-contract.test.ts',
    'test/functions/request-input.test.ts',
    'test/functions/claims-proxy-contract.test.ts',
    'test/functions/bearer-token.test.ts',
    'test/functions/iam-policy.test.ts',
    'test/functions/scopes.test.ts',
  ],
  tempDirName: '.stryker-tmp/static',
  incrementalFile: 'reports/mutation/static/stryker-incremental.json',
  htmlReporter: { fileName: 'reports/mutation/static/index.html' },
  jsonReporter: { fileName: 'reports/mutation/static/mutation.json' },
};
