// A histogram read from prom-client's series (src/worker/histogram-values.ts) without get(): for
// any histogram, labels (undefined, numbers, falsy values, names in any order, odd names) and
// default labels, its values must be those of packFamily() of the family getMetricsAsJSON()
// returns, and while its shape is unchanged that family must keep its samples in their places.
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { packedValues, packFamily, sameShape } from '../../../src/metrics/packed-family.js';
import { snapshotOf } from '../../../src/metrics/snapshot.js';
import {
  defaultLabelsOf,
  histogramShape,
  histogramValues,
  sameHistogramShape,
} from '../../../src/worker/histogram-values.js';

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
  // zero() takes any labels object, unchecked: the way odd names get into a series.
  fc.record({
    op: fc.constant('zero' as const),
    labels: fc.constantFrom<Labels>({ le: 'x' }, { '1': 'x' }, JSON.parse('{"__proto__": "x"}')),
  }),
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

describe('reading a histogram from its series', () => {
  it('gives the values, and keeps the places, of packFamily(getMetricsAsJSON()) (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(histogram, step, async ({ labelNames, buckets, defaults, steps }, last) => {
        const registry = new Registry();
        const h = new Histogram({
          name: 'h',
          help: 'h\\elp',
          labelNames,
          buckets,
          registers: [registry],
        });
        registry.setDefaultLabels(defaults);
        const apply = (s: typeof last) => {
          const own = s.op === 'zero' ? s.labels : declared(s.labels, labelNames);
          if (s.op === 'observe') h.observe(own as never, s.v);
          else if (s.op === 'zero') h.zero(own as never);
          else h.remove(own as never);
        };
        steps.forEach(apply);
        const read = async () => packFamily((await snapshotOf(registry))[0]!);
        const before = await read();
        // Equal, not merely equal once serialised (-0 stays -0, NaN stays NaN).
        expect(histogramValues(h)).toStrictEqual(packedValues(before));
        const shape = histogramShape(h, defaultLabelsOf(registry)!);
        expect(shape).not.toBeNull();
        apply(last);
        const after = await read();
        expect(histogramValues(h)).toStrictEqual(packedValues(after));
        if (sameHistogramShape(h, defaultLabelsOf(registry)!, shape!)) {
          expect(sameShape(before, after)).toBe(true);
        }
      }),
      { numRuns: 1500 },
    );
  });
});
