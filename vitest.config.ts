import { defineConfig } from 'vitest/config';

// `default` is what `npm test` runs: unit, scenario, property, checker and the fixed simulator seeds.
// Long suites (many seeds, fault runs) have their own npm scripts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'default',
          include: ['test/**/*.test.ts'],
          exclude: ['test/jepsen/run/**', 'node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
