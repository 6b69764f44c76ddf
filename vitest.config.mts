import os from 'node:os';
import { defineConfig } from 'vitest/config';

// Test files mostly wait on the processes they start (git, the program, the emulator's
// git http-backend): two files at once on a 2-core machine, where vitest's default (cores - 1)
// runs them one at a time. GCB_TEST_WORKERS sets another number.
const workers = Number(process.env.GCB_TEST_WORKERS) || Math.max(2, os.availableParallelism() - 1);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: workers,
    reporters: ['default'],
  },
});
