// The event-loop lag gauges computed without walking Node's histogram: every statistic must
// equal what Node's own histogram (prom-client's source) reports over the same recorded values,
// and the gauges must look, to the registry and the aggregator, exactly like prom-client's.
import { execFileSync } from 'node:child_process';
import { createHistogram } from 'node:perf_hooks';
import fc from 'fast-check';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  LoopDelayRecorder,
  replaceEventLoopLagMetrics,
  type LoopDelayStats,
} from '../../../src/metrics/event-loop-lag.js';

/** What prom-client reads from Node's histogram (lib/metrics/eventLoopLag.js). */
function reference(values: readonly number[]): LoopDelayStats {
  const h = createHistogram();
  for (const value of values) h.record(value);
  return {
    min: h.min,
    max: h.max,
    mean: h.mean,
    stddev: h.stddev,
    p50: h.percentile(50),
    p90: h.percentile(90),
    p99: h.percentile(99),
  };
}

function recorded(values: readonly number[], recorder = new LoopDelayRecorder()): LoopDelayStats {
  for (const value of values) recorder.record(value);
  return recorder.read();
}

/**
 * Node's mean and deviation use each bucket's midpoint (3 significant digits), ours the exact
 * values: they may differ by up to a bucket's half-width, 1/2048 of the largest value.
 */
function expectSameStats(ours: LoopDelayStats, theirs: LoopDelayStats, values: readonly number[]) {
  expect({ ...ours, mean: 0, stddev: 0 }).toEqual({ ...theirs, mean: 0, stddev: 0 });
  if (values.length === 0) {
    expect(ours.mean).toBeNaN();
    expect(ours.stddev).toBeNaN();
    expect(theirs.mean).toBeNaN();
    return;
  }
  const bucket = Math.max(...values) / 2048;
  expect(Math.abs(ours.mean - theirs.mean)).toBeLessThanOrEqual(bucket);
  expect(Math.abs(ours.stddev - theirs.stddev)).toBeLessThanOrEqual(bucket);
}

// Loop intervals in ns: around the 10 ms tick, with stalls of up to a minute, and anything ≥ 1.
const interval = fc.oneof(
  fc.integer({ min: 9_000_000, max: 12_000_000 }),
  fc.integer({ min: 1, max: 60_000_000_000 }),
  fc.constantFrom(1, 10_000_000, 10_000_001),
);

describe('LoopDelayRecorder', () => {
  it("reports what Node's histogram reports over the same intervals", () => {
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 300 }), (values) => {
        expectSameStats(recorded(values), reference(values), values);
      }),
      { numRuns: 500 },
    );
  });

  it('starts afresh after a reset, as a new histogram would', () => {
    fc.assert(
      fc.property(fc.array(interval), fc.array(interval), (before, after) => {
        const recorder = new LoopDelayRecorder();
        recorded(before, recorder);
        recorder.reset();
        expectSameStats(recorded(after, recorder), reference(after), after);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the deviation of identical intervals at zero, however many', () => {
    const values = Array.from({ length: 10_000 }, () => 10_000_037);
    const stats = recorded(values);
    expect(stats.mean).toBe(10_000_037);
    expect(stats.stddev).toBe(0);
  });
});

describe('replaceEventLoopLagMetrics', () => {
  const withoutValues = async (registry: Registry) =>
    (await registry.getMetricsAsJSON())
      .map(({ name, help, type, aggregator }) => ({ name, help, type, aggregator }))
      .sort((a, b) => a.name.localeCompare(b.name));

  it.each(['', 'cluster_manager_'])(
    "leaves the registry with prom-client's metrics, help texts and aggregators (prefix '%s')",
    async (prefix) => {
      const stock = new Registry();
      collectDefaultMetrics({ register: stock, prefix });
      const ours = new Registry();
      collectDefaultMetrics({ register: ours, prefix });
      replaceEventLoopLagMetrics(ours, { prefix });
      const families = await withoutValues(ours);
      expect(families).toEqual(await withoutValues(stock));
      expect(families.filter((f) => f.name.includes('eventloop_lag'))).toHaveLength(8);
    },
  );

  it('refuses a registry without the default metrics, rather than exporting nothing', () => {
    expect(() => replaceEventLoopLagMetrics(new Registry())).toThrow(/collectDefaultMetrics/);
  });

  it('reports the intervals since the previous read, a stall among them', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    replaceEventLoopLagMetrics(registry, { resolutionMs: 5 });
    const read = async () =>
      Object.fromEntries(
        (await registry.getMetricsAsJSON())
          .filter((f) => f.name.startsWith('nodejs_eventloop_lag'))
          .map((f) => [f.name.replace('nodejs_eventloop_lag_', ''), f.values[0]?.value]),
      );
    await read();
    const ticks = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise((resolve) => setTimeout(resolve, 6));
    };
    await ticks(4);
    const stallStart = performance.now();
    while (performance.now() - stallStart < 120) {
      // the event loop stands still
    }
    await ticks(4);
    const stalled = await read();
    expect(stalled.max_seconds).toBeGreaterThanOrEqual(0.12);
    expect(stalled.min_seconds).toBeGreaterThan(0.002);
    expect(stalled.mean_seconds).toBeGreaterThan(stalled.min_seconds as number);
    expect(stalled.stddev_seconds).toBeGreaterThan(0);
    expect(stalled.p99_seconds).toBeGreaterThanOrEqual(stalled.p50_seconds as number);
    // The time to the next turn of the loop, measured at the read before and reported now.
    expect(stalled.seconds).toBeGreaterThan(0);
    await ticks(4);
    const calm = await read();
    expect(calm.max_seconds).toBeLessThan(0.12);
  });

  it('stops sampling once nothing holds the sampler any more', () => {
    // In a process of its own, with the collector at hand (the test runner's holds on to more).
    const script = `
      import v8 from 'node:v8';
      import vm from 'node:vm';
      import { LoopDelaySampler } from './src/metrics/event-loop-lag.ts';
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc');
      const prototype = LoopDelaySampler.prototype;
      const tick = prototype.tick;
      let ticks = 0;
      prototype.tick = function counted() { ticks += 1; tick.call(this); };
      const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
      (() => { for (let i = 0; i < 3; i++) new LoopDelaySampler(1); })();
      await wait(30);
      const held = ticks;
      for (let i = 0; i < 5; i++) { gc(); await wait(10); }
      ticks = 0;
      await wait(30);
      console.log(JSON.stringify({ held, dropped: ticks }));
    `;
    const output = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    );
    const { held, dropped } = JSON.parse(output) as { held: number; dropped: number };
    expect(held).toBeGreaterThan(0);
    expect(dropped).toBe(0);
  });
});
