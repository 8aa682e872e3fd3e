import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'property-tests/**/*.test.ts'],
    testTimeout: 120_000,
    // Hooks start CLI processes (a scenario run recorded into a database) on shared, noisy machines.
    hookTimeout: 120_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
