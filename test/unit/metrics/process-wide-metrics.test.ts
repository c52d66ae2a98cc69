// The manager's default metrics are split between two threads: the process-wide ones on the
// metrics thread, the rest on the main thread. Together they must be exactly prom-client's
// defaults (every family once, with prom-client's help, type and aggregator), and the split must
// follow what is process-wide. (That the values describe the manager process is checked against
// /proc in test/integration/metrics-truth.test.ts.)
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SupervisionMetrics } from '../../../src/manager/supervision/supervision-metrics.js';
import {
  MANAGER_METRICS_PREFIX,
  PROCESS_WIDE_METRIC_NAMES,
  registerProcessWideMetrics,
  removeProcessWideMetrics,
} from '../../../src/metrics/process-wide-metrics.js';

const PREFIX = MANAGER_METRICS_PREFIX;

interface FamilyFacts {
  name: string;
  help: string;
  type: string;
  aggregator: string;
}

async function familiesOf(registry: Registry): Promise<FamilyFacts[]> {
  const families = (await registry.getMetricsAsJSON()) as unknown as FamilyFacts[];
  return families
    .map(({ name, help, type, aggregator }) => ({ name, help, type, aggregator }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe('the manager’s process-wide default metrics', () => {
  it('are CPU, memory, descriptors, start time and version: what any thread reads alike', () => {
    expect([...PROCESS_WIDE_METRIC_NAMES].sort()).toEqual([
      'nodejs_version_info',
      'process_cpu_seconds_total',
      'process_cpu_system_seconds_total',
      'process_cpu_user_seconds_total',
      'process_heap_bytes',
      'process_max_fds',
      'process_open_fds',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'process_virtual_memory_bytes',
    ]);
  });

  it('and the main thread’s own make up prom-client’s defaults exactly, each family once', async () => {
    const all = new Registry();
    collectDefaultMetrics({ register: all, prefix: PREFIX });

    const thread = new Registry();
    registerProcessWideMetrics(thread, PREFIX);
    const main = new SupervisionMetrics({ desiredWorkers: 1, list: () => [] }).registry;
    const mainDefaults = (await familiesOf(main)).filter((f) => f.name.startsWith(PREFIX));
    // cluster_manager_stalls_total is the supervisor's, not a default metric.
    const mainOwn = mainDefaults.filter((f) => f.name !== 'cluster_manager_stalls_total');

    const threadFamilies = await familiesOf(thread);
    expect(threadFamilies.map((f) => f.name)).toEqual(
      PROCESS_WIDE_METRIC_NAMES.map((name) => PREFIX + name).sort(),
    );
    const names = new Set(threadFamilies.map((f) => f.name));
    expect(mainOwn.filter((f) => names.has(f.name))).toEqual([]);
    const together = [...mainOwn, ...threadFamilies].sort((a, b) => a.name.localeCompare(b.name));
    expect(together).toEqual(await familiesOf(all));
  });

  it('leave a registry filled by collectDefaultMetrics with the per-thread ones only', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: PREFIX });
    removeProcessWideMetrics(registry, PREFIX);
    const left = (await familiesOf(registry)).map((f) => f.name);
    expect(left.length).toBeGreaterThan(10);
    for (const name of left) {
      expect(name).toMatch(/^cluster_manager_nodejs_(eventloop_lag|active|heap|external|gc)/);
    }
  });
});
