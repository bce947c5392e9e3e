import { defineConfig } from 'vitest/config';

// The browser tests alone: `npx vitest run --config e2e/vitest.config.ts`. They start their own
// server on SQLite, so they need neither PostgreSQL nor the storage suite's global setup.
// `npm test` runs them too, through the root vitest.config.ts.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['e2e/**/*.e2e.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
