// LeanHistogram must export exactly what prom-client's Histogram exports for the same
// observations: same samples, same text, same aggregation across registries.
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  exemplarsKept,
  LeanHistogram,
  registryExemplars,
} from '../../../src/metrics/lean-histogram.js';
import { aggregate, snapshotOf } from '../../../src/metrics/snapshot.js';

const BUCKETS = [0.005, 0.01, 0.1, 1, 30];
const LABELS = ['method', 'route', 'status_code'] as const;

function pair() {
  const promRegistry = new Registry();
  const leanRegistry = new Registry();
  const prom = new Histogram({
    name: 'h_seconds',
    help: 'h',
    labelNames: [...LABELS],
    buckets: BUCKETS,
    registers: [promRegistry],
  });
  const lean = new LeanHistogram({
    name: 'h_seconds',
    help: 'h',
    labelNames: LABELS,
    buckets: BUCKETS,
    registers: [leanRegistry],
  });
  return { promRegistry, leanRegistry, prom, lean };
}

const observation = fc.record({
  method: fc.constantFrom('GET', 'POST', 'other'),
  route: fc.constantFrom('/', '/api/hello', 'unmatched'),
  status_code: fc.constantFrom('200', '404', '499'),
  value: fc.oneof(
    fc.double({ min: 0, max: 60, noNaN: true }),
    fc.constantFrom(0, 0.005, 0.01, 1, 30, 30.0001),
  ),
});

describe('LeanHistogram', () => {
  it('renders the same text as prom-client’s Histogram for any observations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 200 }), async (observations) => {
        const { promRegistry, leanRegistry, prom, lean } = pair();
        for (const { value, ...labels } of observations) {
          prom.observe(labels, value);
          lean.observe(labels, value);
        }
        expect(await leanRegistry.metrics()).toBe(await promRegistry.metrics());
      }),
      { numRuns: 200 },
    );
  });

  it('aggregates across workers like prom-client’s Histogram', async () => {
    const a = pair();
    const b = pair();
    for (const [h, v] of [
      [a, 0.003],
      [a, 0.5],
      [b, 0.5],
      [b, 45],
    ] as const) {
      h.prom.observe({ method: 'GET', route: '/', status_code: '200' }, v);
      h.lean.observe({ method: 'GET', route: '/', status_code: '200' }, v);
    }
    const promText = await aggregate([
      await snapshotOf(a.promRegistry),
      await snapshotOf(b.promRegistry),
    ]).metrics();
    const leanText = await aggregate([
      await snapshotOf(a.leanRegistry),
      await snapshotOf(b.leanRegistry),
    ]).metrics();
    expect(leanText).toBe(promText);
    expect(leanText).toContain('h_seconds_count{method="GET",route="/",status_code="200"} 4');
  });

  it('refuses non-finite values and missing labels, like prom-client', () => {
    const { lean } = pair();
    expect(() =>
      lean.observe({ method: 'GET', route: '/', status_code: '200' }, Number.NaN),
    ).toThrow(TypeError);
    expect(() => lean.observe({ method: 'GET', route: '/' } as never, 1)).toThrow(/status_code/);
  });

  it('reset() clears every series', async () => {
    const { lean, leanRegistry } = pair();
    lean.observe({ method: 'GET', route: '/', status_code: '200' }, 1);
    lean.reset();
    expect((await snapshotOf(leanRegistry))[0]?.values).toEqual([]);
  });
});

describe('LeanHistogram exemplars', () => {
  function traced() {
    const registry = new Registry();
    let ms = 1_000;
    const lean = new LeanHistogram({
      name: 'x_seconds',
      help: 'x',
      labelNames: ['route', 'method'],
      buckets: [1, 0.1],
      registers: [registry],
      now: () => (ms += 1),
    });
    new Histogram({ name: 'other_seconds', help: 'o', registers: [registry] }).observe(1);
    const report = (le: number | string, route: string, method: string) => ({
      family: 'x_seconds',
      metricName: 'x_seconds_bucket',
      labels: { le, route, method },
    });
    return { registry, lean, report };
  }

  it('exemplarsSince: the newest of each bucket kept after `since`, le first, then the labels', () => {
    const { registry, lean, report } = traced();
    const get = { route: '/a', method: 'GET' };
    const before = exemplarsKept();
    lean.observe(get, 0.05, 'a1');
    lean.observe(get, 0.1, 'a2'); // the same bucket (le is inclusive), newer: replaces a1
    lean.observe(get, 0.07); // untraced: counted, keeps a2
    lean.observe(get, 0.5, 'a3');
    expect(exemplarsKept()).toBe(before + 3);
    const since = exemplarsKept();
    lean.observe({ method: 'POST', route: '/b' }, 5, 'b1'); // labels in another order
    lean.observe(get, 0.01);

    const newer = lean.exemplarsSince(since);
    expect(newer).toEqual([
      {
        ...report('+Inf', '/b', 'POST'),
        exemplar: { labels: { trace_id: 'b1' }, value: 5, timestampMs: 1_004 },
      },
    ]);
    expect(Object.keys(newer[0]!.labels)).toEqual(['le', 'route', 'method']);
    const all = [
      {
        ...report(0.1, '/a', 'GET'),
        exemplar: { labels: { trace_id: 'a2' }, value: 0.1, timestampMs: 1_002 },
      },
      {
        ...report(1, '/a', 'GET'),
        exemplar: { labels: { trace_id: 'a3' }, value: 0.5, timestampMs: 1_003 },
      },
      ...newer,
    ];
    expect(lean.exemplarsSince(before)).toEqual(all);
    // a1 was kept at `before + 1`, then replaced by a2: only the newest is ever reported.
    expect(lean.exemplarsSince(before + 1)).toEqual(all);
    expect(lean.exemplarsSince(before + 2)).toEqual(all.slice(1));
    expect(lean.exemplarsSince(exemplarsKept())).toEqual([]);
    // The registry's: its LeanHistograms' alone (the prom-client histogram has none).
    expect(registryExemplars(registry, before)).toEqual(all);
  });

  it('keeps no exemplar without a trace id, and none after reset()', () => {
    const { lean, registry } = traced();
    const before = exemplarsKept();
    lean.observe({ route: '/a', method: 'GET' }, 0.5);
    expect(exemplarsKept()).toBe(before);
    lean.observe({ route: '/a', method: 'GET' }, 0.5, 'c1');
    expect(registryExemplars(registry, 0)).toHaveLength(1);
    lean.reset();
    expect(registryExemplars(registry, 0)).toEqual([]);
  });
});
