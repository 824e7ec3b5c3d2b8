// @ts-check
/**
 * Mutation testing of the security-critical files (`npm run mutation`, not
 * part of `npm test`). Stryker runs jest in-process on the suites that
 * exercise these files without a child process, browser or packed package:
 * e2e, CLI and package tests run elsewhere and are invisible to it, so what
 * matters is covered in-process. Iterate on one file with
 * `MUTATION_TESTS=test/functions/scopes.test.ts npx stryker run --mutate functions/shared/scopes.ts`.
 */
import jestConfig from './jest.config.js';

/** Where reports and the incremental file go (one folder per run when several run side by side). */
const OUT = process.env.MUTATION_OUT ?? 'reports/mutation';

/**
 * The nine files whose checks decide who gets in and what they see, each with
 * the in-process suites that own it (`npm run mutation` runs one file at a
 * time against its suites: scripts/mutation.mjs).
 */
export const SECURITY_FILES = {
  'functions/authorizer/authorizer.ts': ['authorizer', 'authorizer-contract', 'authorizer-introspection', 'shadow', 'client-cert'],
  'functions/claims-proxy/claims-proxy.ts': ['claims-proxy', 'claims-proxy-contract'],
  'functions/shared/bearer-token.ts': ['bearer-token', 'request-input'],
  'functions/shared/token-verifier.ts': ['token-verifier', 'token-verifier-claims'],
  'functions/shared/jwks-cache.ts': ['jwks-cache'],
  'functions/shared/request-path.ts': ['request-input', 'request-input-contract'],
  'functions/shared/request-input.ts': ['request-input', 'request-input-contract', 'input-by-need'],
  'functions/shared/iam-policy.ts': ['iam-policy'],
  'functions/shared/scopes.ts': ['scopes', 'token-verifier-claims'],
};

/** In-process suites that reach those files (jest testMatch globs, relative to the repository root). */
const IN_PROCESS_SUITES = [
  '<rootDir>/test/functions/**/*.test.ts',
  '<rootDir>/test/local/authorizer-result.test.ts',
  '<rootDir>/test/local/cors.test.ts',
  '<rootDir>/test/local/gateway-emulation.test.ts',
  '<rootDir>/test/local/hostile-names.test.ts',
  '<rootDir>/test/local/iam-policy.test.ts',
];

/**
 * A per-file run names the suites that own the file: MUTATION_TESTS=a.test.ts,b.test.ts
 * (paths from the repository root). They become jest's testMatch. Not `--testFiles`:
 * StrykerJS 9.6.1 then gives a static mutant the file paths as a test-name filter, jest
 * runs no test, and every static mutant "survives" (stryker-js#6144).
 */
const SELECTED = (process.env.MUTATION_TESTS ?? '').split(',').map((t) => t.trim()).filter(Boolean);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  mutate: Object.keys(SECURITY_FILES),
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    // Only the folders those suites live in: each mutant's jest run crawls less.
    config: {
      ...jestConfig,
      roots: ['<rootDir>/test/functions', '<rootDir>/test/local'],
      testMatch: SELECTED.length > 0 ? SELECTED.map((t) => `<rootDir>/${t}`) : IN_PROCESS_SUITES,
    },
    enableFindRelatedTests: false,
  },
  // The TypeScript checker (drops mutants that do not compile) costs more than the tests on
  // two shared cores; add it with `--checkers typescript` (tsconfig.stryker.json limits what it reads).
  checkers: [],
  tsconfigFile: 'tsconfig.stryker.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // ts-jest only transpiles here (diagnostics off in jest.config.js), so no @ts-nocheck needs adding.
  disableTypeChecks: false,
  coverageAnalysis: 'perTest',
  // Static mutants (module-level constants: header lists, ID-token claims, regexes, limits)
  // count: they are the checks issue #15 names. Each re-runs every suite listed here, so the
  // full run is long; per-file runs pass --testFiles to re-run only the suites that own the file.
  ignoreStatic: false,
  // 2 cores shared with other work: at most two test processes.
  concurrency: 2,
  timeoutMS: 20000,
  incremental: true,
  incrementalFile: `${OUT}/stryker-incremental.json`,
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: `${OUT}/index.html` },
  jsonReporter: { fileName: `${OUT}/mutation.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: true, reportScoreTable: true },
  ignorePatterns: ['cdk.out', 'reports', 'test-output', 'bench/results'],
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: `.stryker-tmp/${OUT.replace(/[^A-Za-z0-9]+/g, '-')}`,
  cleanTempDir: true,
};
