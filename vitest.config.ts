import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'tools/*/test/**/*.test.ts'],
    // tfjs engines are process-global: run files in separate forks, one test at a time per file
    pool: 'forks',
    // one fork per core (vitest's default leaves one core idle: 1 fork on this 2-core machine)
    maxWorkers: Math.max(1, availableParallelism()),
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
