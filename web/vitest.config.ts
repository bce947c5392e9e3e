import { defineConfig } from 'vitest/config';

// Unit tests of the front end's pure parts: `npx vitest run --config web/vitest.config.ts`.
// (The root vitest.config.ts includes only test/ and e2e/.)
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['web/src/**/*.test.ts'],
  },
});
