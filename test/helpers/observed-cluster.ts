// The setting of the e2e suites: a suite that needs Debian's prometheus (skipped loudly on a
// laptop, failing under CI=true when it is missing), and a real cluster with a real Prometheus
// scraping it every second for the suite's life.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startCluster, type ClusterHandle, type StartOptions } from './cluster.js';
import { startPrometheus, type PrometheusHandle } from './prometheus-process.js';
import { checkTools, type ToolCheck } from './tools.js';

/** describe() for a suite that needs these tools: their absence is a failing test in CI. */
export function describeWithTools(
  tools: readonly string[],
  title: string,
  body: (check: ToolCheck) => void,
): void {
  const check = checkTools([...tools], `The e2e suite "${title}"`);
  describe.skipIf(check.skip)(title, () => {
    if (check.fail) {
      it(`${tools.join(' and ')} installed`, () => {
        throw new Error(check.message);
      });
      return;
    }
    body(check);
  });
}

export interface ObservedCluster {
  cluster(): ClusterHandle;
  prometheus(): PrometheusHandle;
}

/** Starts the cluster and a Prometheus scraping it before the suite; stops both after it. */
export function observedCluster(
  options: StartOptions = {},
  interval = '1s',
  features: string[] = [],
): ObservedCluster {
  let cluster: ClusterHandle | undefined;
  let prometheus: PrometheusHandle | undefined;
  beforeAll(async () => {
    cluster = await startCluster(options);
    prometheus = await startPrometheus({
      target: `127.0.0.1:${cluster.metricsPort}`,
      interval,
      features,
    });
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
    await cluster?.stop();
  }, 60_000);
  return { cluster: () => cluster!, prometheus: () => prometheus! };
}
