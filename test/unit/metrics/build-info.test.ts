// app_build_info through the manager's merge: one series per build and slot, always 1, also while
// the old and new worker of a slot overlap during a rolling reload.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { applyAggregationRules } from '../../../src/metrics/aggregation-rules.js';
import { BUILD_INFO_METRIC, registerBuildInfo } from '../../../src/metrics/build-info.js';
import { aggregate, snapshotOf } from '../../../src/metrics/snapshot.js';

async function worker(version: string, slot: number) {
  const registry = new Registry();
  registerBuildInfo(registry, { version, slot });
  return applyAggregationRules(await snapshotOf(registry));
}

async function merged(
  ...workers: Awaited<ReturnType<typeof worker>>[]
): Promise<Record<string, string | number>[]> {
  const registry = aggregate(workers);
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === BUILD_INFO_METRIC);
  return (metric?.values ?? []).map((v) => ({
    ...(v.labels as Record<string, string>),
    value: v.value,
  }));
}

describe(BUILD_INFO_METRIC, () => {
  it('labels version, node_version and slot, value 1', async () => {
    expect(await merged(await worker('1.2.3', 0))).toEqual([
      { version: '1.2.3', node_version: process.version, slot: '0', value: 1 },
    ]);
  });

  it('reads 1, not 2, while two workers of one build share a slot (reload overlap)', async () => {
    const values = await merged(await worker('1.2.3', 0), await worker('1.2.3', 0));
    expect(values.map((v) => v.value)).toEqual([1]);
  });

  it('shows both builds during a rolling deploy', async () => {
    const values = await merged(
      await worker('1.2.3', 0),
      await worker('1.3.0', 0),
      await worker('1.3.0', 1),
    );
    expect(values.map((v) => `${v.slot}:${v.version}=${v.value}`).sort()).toEqual([
      '0:1.2.3=1',
      '0:1.3.0=1',
      '1:1.3.0=1',
    ]);
  });
});
