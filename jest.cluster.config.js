/**
 * The cluster suite (`npm test` runs it after the main one; `node scripts/test.mjs --cluster [files]` alone): the
 * Temporal server on PostgreSQL with SQL visibility (scripts/cluster.mjs) instead of the dev server. test/cluster/
 * holds what only a cluster has; the end-to-end suites of the CLI, fleets and a killed worker run here again.
 */
import base from './jest.config.js';

export default {
  ...base,
  testMatch: [
    '<rootDir>/test/cluster/**/*.test.ts',
    '<rootDir>/test/e2e/cli.test.ts',
    '<rootDir>/test/e2e/fleet.test.ts',
    '<rootDir>/test/workflow/worker-crash.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: '<rootDir>/test/cluster/global-setup.mjs',
  globalTeardown: '<rootDir>/test/cluster/global-teardown.mjs',
};
