// One project per folder of test/, named for what its files need to run:
//   unit         in-process logic (the manager's pieces, the Koa app, bench and k6 helpers)
//   artifacts    the files the repo ships, checked with real tools: Prometheus config and rules
//                (promtool), docker-compose.yml, dashboards, Kubernetes manifests, k6 scripts
//   load-runner  `npm run load` end to end against in-process stand-in servers (seconds of load)
//   integration  the real compiled cluster (test/integration) and a real Prometheus scraping it
//                (test/e2e)
// The first three start no cluster and run files in parallel. Files that spawn clusters run one
// at a time so that on a 2-core machine they do not starve each other into false timeouts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000 } },
      {
        test: { name: 'artifacts', include: ['test/artifacts/**/*.test.ts'], testTimeout: 30_000 },
      },
      {
        test: {
          name: 'load-runner',
          include: ['test/load-runner/**/*.test.ts'],
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
