import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // the default output, then which tests were skipped and why (test/support/prerequisites.ts)
    reporters: ['default', './test/support/skip-summary-reporter.ts'],
  },
});
