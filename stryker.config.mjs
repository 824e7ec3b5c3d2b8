// @ts-check
/**
 * Mutation testing of the security-critical files (`npm run mutation`, not
 * part of `npm test`). Stryker runs jest in-process on the suites that
 * exercise these files without a child process, browser or packed package:
 * e2e, CLI and package tests run elsewhere and are invisible to it, so what
 * matters is covered in-process. Iterate on one file with
 * `npx stryker run --mutate functions/shared/scopes.ts`.
 */
import jestConfig from './jest.config.js';

/** The nine files whose checks decide who gets in and what they see. */
const SECURITY_FILES = [
  'functions/authorizer/authorizer.ts',
  'functions/claims-proxy/claims-proxy.ts',
  'functions/shared/bearer-token.ts',
  'functions/shared/token-verifier.ts',
  'functions/shared/jwks-cache.ts',
  'functions/shared/request-path.ts',
  'functions/shared/request-input.ts',
  'functions/shared/iam-policy.ts',
  'functions/shared/scopes.ts',
];

/** In-process suites that reach those files (jest testMatch globs, relative to the repository root). */
const IN_PROCESS_SUITES = [
  '<rootDir>/test/functions/**/*.test.ts',
  '<rootDir>/test/local/authorizer-result.test.ts',
  '<rootDir>/test/local/cors.test.ts',
  '<rootDir>/test/local/gateway-emulation.test.ts',
  '<rootDir>/test/local/hostile-names.test.ts',
  '<rootDir>/test/local/iam-policy.test.ts',
];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  mutate: SECURITY_FILES,
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    config: { ...jestConfig, testMatch: IN_PROCESS_SUITES },
    enableFindRelatedTests: false,
  },
  checkers: ['typescript'],
  // The type checker drops mutants that do not compile; it reads only what the suites above import.
  tsconfigFile: 'tsconfig.stryker.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // ts-jest only transpiles here (diagnostics off in jest.config.js), so no @ts-nocheck needs adding.
  disableTypeChecks: false,
  coverageAnalysis: 'perTest',
  // 2 cores shared with other work: one test process.
  concurrency: 1,
  timeoutMS: 20000,
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: true, reportScoreTable: true },
  ignorePatterns: ['cdk.out', 'reports', 'test-output', 'bench/results'],
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
