import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'tools/*/test/**/*.test.ts'],
    // tfjs engines are process-global: run files in separate forks, one test at a time per file
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
