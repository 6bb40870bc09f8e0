import { defineConfig } from 'vitest/config';

/** Runs only the prerequisite fixtures (prerequisites.test.ts drives it). */
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['*.fixture.ts'],
    reporters: ['default', '../skip-summary-reporter.ts'],
  },
});
