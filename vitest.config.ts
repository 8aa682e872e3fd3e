import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'property-tests/**/*.test.ts'],
    testTimeout: 120_000,
    // Hooks start CLI processes (a scenario run recorded into a database) on shared, noisy machines.
    hookTimeout: 120_000,
    // vitest's default is one worker fewer than the cores, which on a 2-core machine is one worker
    // and half the machine idle: the main process only hands out files and reports, so each core
    // gets a worker (docs/testing.md has the figures).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    reporters: ['default', './test/summary-reporter.ts'],
    // CPU time per test file, written only when THINLAB_TEST_CPU names a file (docs/testing.md).
    setupFiles: ['./test/cpu-time-setup.ts'],
  },
});
