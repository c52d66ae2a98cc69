// LeanHistogram must export exactly what prom-client's Histogram exports for the same
// observations: same samples, same text, same aggregation across registries.
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LeanHistogram } from '../../../src/metrics/lean-histogram.js';
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
