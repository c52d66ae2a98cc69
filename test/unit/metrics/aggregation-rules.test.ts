import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  AGGREGATION_RULES,
  applyAggregationRules,
  isCumulative,
  isGaugeNamedLikeCounter,
} from '../../../src/metrics/aggregation-rules.js';
import { registerBuildInfo } from '../../../src/metrics/build-info.js';
import { createHttpMetrics } from '../../../src/metrics/http-metrics.js';
import { createShedMetrics } from '../../../src/metrics/shed-metrics.js';
import { snapshotOf } from '../../../src/metrics/snapshot.js';

async function workerSnapshot() {
  // The same registry a worker builds (src/worker/run-worker.ts).
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  createHttpMetrics(registry);
  createShedMetrics(registry);
  registerBuildInfo(registry, { version: '1.0.0', slot: 0 });
  return snapshotOf(registry);
}

describe('aggregation rules', () => {
  it('state a rule on purpose for every metric a worker exports', async () => {
    const missing = (await workerSnapshot())
      .map((metric) => metric.name)
      .filter((name) => !(name in AGGREGATION_RULES));
    expect(missing).toEqual([]);
  });

  it('sum every cumulative metric, or carry-over would be wrong', async () => {
    for (const metric of applyAggregationRules(await workerSnapshot())) {
      if (isCumulative(metric))
        expect([metric.name, metric.aggregator]).toEqual([metric.name, 'sum']);
    }
  });

  it('override whatever rule the worker sent', async () => {
    const snapshot = await workerSnapshot();
    const tampered = snapshot.map((m) => ({ ...m, aggregator: 'first' as const }));
    const fixed = applyAggregationRules(tampered);
    const lag = fixed.find((m) => m.name === 'nodejs_eventloop_lag_p99_seconds');
    expect(lag?.aggregator).toBe('max');
    const requests = fixed.find((m) => m.name === 'http_request_duration_seconds');
    expect(requests?.aggregator).toBe('sum');
  });
});

describe('isGaugeNamedLikeCounter', () => {
  it('flags gauges with a counter suffix, and nothing else', () => {
    expect(isGaugeNamedLikeCounter({ type: 'gauge', name: 'nodejs_active_handles_total' })).toBe(
      true,
    );
    expect(isGaugeNamedLikeCounter({ type: 'counter', name: 'http_requests_total' })).toBe(false);
    expect(isGaugeNamedLikeCounter({ type: 'gauge', name: 'nodejs_active_handles' })).toBe(false);
  });

  it('agrees with the table: every worker metric it flags is omitted', async () => {
    const flagged = (await workerSnapshot()).filter(isGaugeNamedLikeCounter);
    expect(flagged.length).toBeGreaterThan(0);
    for (const { name } of flagged) expect([name, AGGREGATION_RULES[name]]).toEqual([name, 'omit']);
  });
});
