// The manager's default metrics that describe the whole process rather than one thread: CPU time,
// memory from /proc/self/status, open and maximum file descriptors, start time, Node's version.
// A worker thread reads the same values as the main thread (one process: one fd table, one
// getrusage, one uptime), so these are read on the metrics thread. The main thread keeps only
// what is its own (its heap, event loop, handles, GC).
//
// Why it matters: process_open_fds lists /proc/self/fd, one entry per descriptor (about 1 µs
// each here), and the main thread holds a descriptor for every API connection waiting to be
// handed to a worker. Under a connection flood that read grew with the flood, on the thread that
// has to hand those connections off, at every scrape.
//
// prom-client offers no way to register part of its defaults, so its per-metric modules are
// installed directly. They are internal paths: test/unit/metrics/process-wide-metrics.test.ts fails if a
// prom-client upgrade moves them or changes the family set.
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

/** Registers the process-wide default metrics, prefixed, in `registry`. */
export function registerProcessWideMetrics(registry: Registry, prefix: string): void {
  for (const install of PROCESS_WIDE_MODULES) install(registry, { prefix });
}

/** Takes the process-wide default metrics out of a registry that collectDefaultMetrics filled. */
export function removeProcessWideMetrics(registry: Registry, prefix: string): void {
  for (const name of PROCESS_WIDE_METRIC_NAMES) registry.removeSingleMetric(prefix + name);
}
