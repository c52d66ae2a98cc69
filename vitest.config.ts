// Three projects: unit (fast, in-process), integration (spawn the real cluster), e2e (real
// Prometheus against the real cluster). Files that spawn clusters run one at a time so that on
// a 2-core machine they do not starve each other into false timeouts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/static/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          globalSetup: ['test/helpers/global-setup.ts'],
          setupFiles: ['test/helpers/cleanup.ts'],
        },
      },
    ],
  },
});
