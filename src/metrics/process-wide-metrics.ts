// The manager's default metrics about the whole process (CPU, memory, descriptors, start time,
// version), read on the metrics thread: listing /proc/self/fd grows with the connections the main
// thread holds for hand-off. prom-client cannot register part of its defaults, so its internal
// per-metric modules are installed directly (the unit test fails if an upgrade moves them).
import { createRequire } from 'node:module';
import type { Registry } from 'prom-client';

/** Prefix of the manager's own default metrics, so they never merge into the workers'. */
export const MANAGER_METRICS_PREFIX = 'cluster_manager_';

interface DefaultMetricModule {
  (registry: Registry, config: { prefix: string }): void;
  metricNames: string[];
}

const require = createRequire(import.meta.url);

const PROCESS_WIDE_MODULES: readonly DefaultMetricModule[] = [
  'processCpuTotal',
  'processStartTime',
  'osMemoryHeap',
  'processOpenFileDescriptors',
  'processMaxFileDescriptors',
  'version',
].map((name) => require(`prom-client/lib/metrics/${name}`) as DefaultMetricModule);

/** The process-wide default families, unprefixed (prom-client's own names). */
export const PROCESS_WIDE_METRIC_NAMES: readonly string[] = PROCESS_WIDE_MODULES.flatMap(
  (module) => module.metricNames,
);

export function registerProcessWideMetrics(registry: Registry, prefix: string): void {
  for (const install of PROCESS_WIDE_MODULES) install(registry, { prefix });
}

export function removeProcessWideMetrics(registry: Registry, prefix: string): void {
  for (const name of PROCESS_WIDE_METRIC_NAMES) registry.removeSingleMetric(prefix + name);
}
