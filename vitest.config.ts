import { defineConfig } from 'vitest/config';

// `npm test` runs every project: unit and integration tests (both databases), the web UI's
// pure parts, and the browser tests in Chromium.
export default defineConfig({
  test: {
    pool: 'forks',
    reporters: ['default'],
    exclude: ['**/node_modules/**', 'e2e/artifacts/**'],
    projects: [
      {
        test: {
          name: 'server',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      { test: { name: 'web', include: ['web/src/**/*.test.ts'] } },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e.test.ts'],
          exclude: ['e2e/artifacts/**'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
