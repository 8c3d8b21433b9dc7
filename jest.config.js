// Jest runs in ESM mode (node --experimental-vm-modules): every @nestjs/* 12 package is ESM-only.
const tsJest = [
  'ts-jest',
  { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: ['TS151001'] } },
];

const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': tsJest },
  // Node's environment, and a test file fails when it leaves a server, socket or child open.
  testEnvironment: '<rootDir>/test/support/leak-checking-environment.js',
};

/** @type {import('jest').Config} */
export default {
  // e2e specs start real processes and runs with real delays; figures belong in `npm run bench`.
  testTimeout: 60_000,
  // A leak the environment above cannot see (a timer) must not keep Jest waiting: the run ends
  // with its results once the tests are done, and the environment has failed the leaking file.
  forceExit: true,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/unit/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
    },
  ],
};
