const { compilerOptions } = require('./tsconfig.json');

/**
 * In the repository, `rego-wasm` and its public subpaths resolve to their
 * TypeScript sources (tsconfig.json `paths`, which tsc, tsx and esbuild read
 * too), so no build step runs before the tests. Installed elsewhere, the
 * package's `exports` map points at dist/ (test/package checks that).
 */
const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([name, [target]]) => [`^${name.replace(/[/.]/g, '\\$&')}$`, `<rootDir>/${target.replace(/^\.\//, '')}`]),
);

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/rego-wasm', '<rootDir>/functions', '<rootDir>/cdk', '<rootDir>/local'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/cdk.out/', '/rego-wasm/runtime/', '/rego-wasm/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/rego-wasm/dist/'],
  moduleNameMapper,
  transform: {
    // Type checking is done once by `npm run typecheck`; jest only transpiles.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  testTimeout: 30000,
};
