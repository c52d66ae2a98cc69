// packHistogram (src/worker/histogram-pack.ts) packs a histogram from prom-client's series without
// get(). It must give exactly what the straightforward path gives, packFamily() of the family
// getMetricsAsJSON() returns, for any histogram, labels (undefined, numbers, falsy values,
// names in any order) and default labels; where it cannot, it must say so (null) instead. The
// values alone (histogramValues) must be the packing's.
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { packedValues, packFamily } from '../../../src/metrics/packed-family.js';
import { snapshotOf } from '../../../src/metrics/snapshot.js';
import {
  defaultLabelsOf,
  histogramValues,
  packHistogram,
} from '../../../src/worker/histogram-pack.js';

type Labels = Record<string, string | number | undefined>;

const labelValue = fc.constantFrom<string | number | undefined>(
  'GET',
  '',
  '0',
  0,
  -0,
  7,
  NaN,
  undefined,
  'a"b\\c\nd',
  'é',
);
const labelName = fc.constantFrom('a', 'b', 'route', 'zone');
const labels = fc.dictionary(labelName, labelValue, { maxKeys: 4 });

const step = fc.oneof(
  fc.record({
    op: fc.constant('observe' as const),
    labels,
    v: fc.double({ noNaN: true, min: -5, max: 50 }),
  }),
  fc.record({ op: fc.constant('zero' as const), labels }),
  fc.record({ op: fc.constant('remove' as const), labels }),
);

const histogram = fc.record({
  labelNames: fc.subarray(['a', 'b', 'route', 'zone']),
  buckets: fc.constantFrom([1], [0.1, 1, 10], [0, 0.5, 2.5, 5, 25], [-1, 0, 1]).map((b) => [...b]),
  defaults: fc.dictionary(labelName, labelValue, { maxKeys: 2 }),
  steps: fc.array(step, { maxLength: 25 }),
});

/** Only the label names the histogram declares (prom-client rejects others on observe). */
function declared(all: Labels, names: readonly string[]): Labels {
  return Object.fromEntries(Object.entries(all).filter(([name]) => names.includes(name)));
}

describe('packing a histogram from its series', () => {
  it('equals packFamily() of what getMetricsAsJSON() returns (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(histogram, async ({ labelNames, buckets, defaults, steps }) => {
        const registry = new Registry();
        const h = new Histogram({
          name: 'h',
          help: 'h\\elp',
          labelNames,
          buckets,
          registers: [registry],
        });
        registry.setDefaultLabels(defaults);
        for (const s of steps) {
          const own = declared(s.labels, labelNames);
          if (s.op === 'observe') h.observe(own as never, s.v);
          else if (s.op === 'zero') h.zero(own as never);
          else h.remove(own as never);
        }
        const packed = packHistogram(h, defaultLabelsOf(registry)!);
        expect(packed).not.toBeNull();
        const [family] = await snapshotOf(registry);
        expect(JSON.stringify(packed)).toBe(JSON.stringify(packFamily(family!)));
        // Equal, not merely equal once serialised (-0 stays -0, NaN stays NaN).
        expect(packed).toStrictEqual(packFamily(family!));
        // Its values alone, read without packing, are the packing's, in its order.
        expect(histogramValues(h)).toStrictEqual(packedValues(packed!));
      }),
      { numRuns: 1500 },
    );
  });

  it.each([
    ['a label named le', { le: 'x' }, {}],
    ['a label named __proto__', JSON.parse('{"__proto__": "x"}') as Labels, {}],
    ['an index-like label name', { '1': 'x' }, {}],
    ['a default label named le', {}, { le: 'x' }],
    ['a default label named toString', {}, { toString: 'x' }],
  ])('declines %s', (_, seriesLabels: Labels, defaults: Labels) => {
    const registry = new Registry();
    const h = new Histogram({ name: 'h', help: 'h', labelNames: ['a'], registers: [registry] });
    h.observe({ a: 'ok' }, 1);
    // zero() takes any labels object, unchecked: the way odd names get into a series.
    if (Object.keys(seriesLabels).length > 0) {
      expect(packHistogram(h, {})).not.toBeNull();
      h.zero(seriesLabels as never);
    }
    expect(packHistogram(h, defaults)).toBeNull();
  });
});
