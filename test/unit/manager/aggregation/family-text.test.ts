// The ledger's own merge and renderer (family-merge.ts, family-text.ts) against prom-client's
// aggregate(parts, contentType).metrics() (referenceText), byte for byte, over random
// families: every metric type and aggregator, series present in some inputs only or twice in
// one, label sets that collide in prom-client's series key, values that need care in print
// (NaN, ±Infinity, -0, extremes, null as JSON turns NaN into), text that needs escaping.
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { mergesHere } from '../../../../src/manager/aggregation/family-merge.js';
import {
  familyText,
  referenceText,
  revalueBytes,
} from '../../../../src/manager/aggregation/family-text.js';
import { inputOf, type FamilyInput } from '../../../../src/manager/aggregation/family-input.js';
import type { ContentType, MetricFamily } from '../../../../src/metrics/snapshot.js';

type Sample = MetricFamily['values'][number];

/** prom-client's own text of these families, as bytes. */
async function reference(families: MetricFamily[], contentType: ContentType): Promise<Buffer> {
  return Buffer.from((await referenceText(families.map(inputOf), contentType)).bytes);
}
type Labels = Sample['labels'];

const FORMATS = [Registry.PROMETHEUS_CONTENT_TYPE, Registry.OPENMETRICS_CONTENT_TYPE] as const;

// Text that prom-client escapes (`\`, `"`, newline), unicode, and the characters of its series
// key (`name:value,` pairs after `metricName_`), so that distinct label sets collide in it.
const tricky = fc.constantFrom(
  '',
  'x',
  'GET',
  'a\\b',
  'say "hi"',
  'two\nlines',
  '\\"\n',
  'ünïcødé ✓ 🚀',
  // Lone surrogates: UTF-8 has no bytes for them (U+FFFD's go out), wherever a text is cut.
  '\uD83Dx',
  'x\uDC00',
  'a,b:c',
  'x,b:1',
  'b:1,',
  '1',
  '_',
  ' ',
);
const labelValue = fc.oneof(
  { weight: 4, arbitrary: tricky },
  { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
  // Numbers print and key like their text: 1 and '1' are one series to prom-client.
  { weight: 1, arbitrary: fc.constantFrom(0, 1, -1, 0.005, 2.5, Infinity) },
);
const labelName = fc.constantFrom('a', 'b', 'c', 'le', 'quantile', 'b_c');
const labels: fc.Arbitrary<Labels> = fc.dictionary(labelName, labelValue, {
  maxKeys: 3,
  noNullPrototype: true,
});

const value: fc.Arbitrary<number> = fc.oneof(
  fc.double(),
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 0.1, 1e21, 1e-7, Number.MAX_VALUE, 5e-324),
  // The longest a number prints: 25 characters.
  fc.constantFrom(-0.0000014704282822207114, -Number.MAX_VALUE, -1.2345678901234567e-123),
  // What JSON makes of NaN and ±Infinity on the wire; prom-client prints it as +Inf.
  fc.constant(null as unknown as number),
);

/** Where a sample's name comes from: the family's name (undefined, or '' which is falsy). */
const metricName = fc.option(
  fc.constantFrom('', 'fam', 'fam_bucket', 'fam_sum', 'fam_count', 'fam_b', 'we\\ird'),
  { nil: undefined },
);

interface Series {
  metricName: string | undefined;
  labels: Labels;
}

/**
 * Distinct series that prom-client's key (`${metricName}_` + sorted `name:value,` pairs) takes
 * for one, each group a collision: a value with the key's separators in it, a number and its
 * text, a metricName whose tail reads as a label, the same labels in another order.
 */
const colliding = fc.constantFrom<Series[]>(
  [
    { metricName: undefined, labels: { a: 'x,b:1' } },
    { metricName: undefined, labels: { a: 'x', b: '1' } },
    { metricName: undefined, labels: { b: 1, a: 'x' } },
  ],
  [
    { metricName: 'fam_bucket', labels: { le: 0.005 } },
    { metricName: 'fam_bucket', labels: { le: '0.005' } },
  ],
  [
    { metricName: 'fam', labels: { b_c: 1 } },
    { metricName: 'fam_b', labels: { c: 1 } },
  ],
  [
    { metricName: 'fam_sum', labels: { a: '1', b: '2' } },
    { metricName: 'fam_sum', labels: { b: '2', a: '1' } },
  ],
);

/** A copy of the series' labels, keys sometimes in another order: same series, new object. */
function copyLabels(source: Labels, reversed: boolean): Labels {
  const keys = Object.keys(source);
  const copy: Labels = {};
  for (const key of reversed ? keys.reverse() : keys) copy[key] = source[key]!;
  return copy;
}

const familyHead = fc.record({
  name: fc.constantFrom('fam', 'fam_total', 'fam_total_total', 'odd\\name', 'new\nline_total'),
  help: fc.oneof(tricky, fc.string({ maxLength: 6 })),
  type: fc.constantFrom<MetricFamily['type'][]>('counter', 'gauge', 'histogram', 'summary'),
  aggregator: fc.constantFrom<MetricFamily['aggregator'][]>(
    'sum',
    'max',
    'min',
    'first',
    'average',
    'omit',
  ),
});

/** How one input lists the shared series: all in order (the usual case), or otherwise. */
const layout = fc.record({
  kind: fc.constantFrom('all', 'all', 'subset', 'shuffled', 'twice'),
  picks: fc.array(fc.nat(), { maxLength: 8 }),
  reversed: fc.boolean(),
});

const scenario = fc.record({
  head: familyHead,
  // Later inputs may disagree on help and aggregator: aggregate() takes the first's. (Inputs
  // that disagree on the type go to prom-client itself: see mergesHere.)
  others: fc.array(fc.option(familyHead, { nil: undefined }), { minLength: 0, maxLength: 4 }),
  series: fc
    .array(
      fc.oneof(
        fc.record({ metricName, labels }).map((one) => [one]),
        colliding,
      ),
      {
        maxLength: 5,
      },
    )
    .map((groups) => groups.flat()),
  layouts: fc.array(layout, { minLength: 5, maxLength: 5 }),
  values: fc.array(value, { minLength: 40, maxLength: 40 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function inputsOf(s: Scenario): MetricFamily[] {
  let nextValue = 0;
  const sample = (series: Series, reversed: boolean): Sample => {
    const out: Sample = {
      value: s.values[nextValue++ % s.values.length]!,
      labels: copyLabels(series.labels, reversed),
    };
    if (series.metricName !== undefined) out.metricName = series.metricName;
    return out;
  };
  return [s.head, ...s.others].map((head, i) => {
    const { kind, picks, reversed } = s.layouts[i]!;
    const pool = s.series;
    let chosen: Series[];
    if (kind === 'all') chosen = pool;
    else if (kind === 'twice') chosen = [...pool, ...pool];
    else {
      const indices = picks.map((p) => p % Math.max(pool.length, 1)).filter((p) => p < pool.length);
      chosen = (kind === 'subset' ? [...new Set(indices)].sort((a, b) => a - b) : indices).map(
        (p) => pool[p]!,
      );
    }
    return {
      ...(head ?? s.head),
      name: s.head.name,
      type: s.head.type,
      values: chosen.map((series) => sample(series, reversed)),
    };
  });
}

describe('familyText: the ledger’s merge and renderer against prom-client', () => {
  it('prints what aggregate(parts).metrics() prints, in both formats', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const families = inputsOf(s);
        const inputs = families.map(inputOf);
        // Held to prom-client on its own path, not on the fallback to prom-client.
        expect(mergesHere(inputs)).toBe(true);
        for (const contentType of FORMATS) {
          const ours = Buffer.from((await familyText(inputs, contentType)).bytes);
          expect(ours).toEqual(await reference(families, contentType));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('prints inputs of the same shape from the last layout as it prints them afresh', async () => {
    // The ledger's revalue path: the same samples in the same places, only the values new.
    const revalued = fc.tuple(scenario, fc.array(value, { minLength: 1, maxLength: 200 }));
    await fc.assert(
      fc.asyncProperty(revalued, async ([s, newValues]) => {
        const before = inputsOf(s);
        let k = 0;
        // Every other input the way the ledger makes it (the old layout, whose sample values
        // are stale, with the new numbers), the others with samples of their own.
        const afterFamilies = before.map((family) => {
          const values = family.values.map(() => newValues[k++ % newValues.length]!);
          return {
            ...family,
            values: family.values.map((sample, j) => ({ ...sample, value: values[j]! })),
          };
        });
        const after = afterFamilies.map((family, i): FamilyInput =>
          i % 2 === 0
            ? { layout: before[i]!, values: family.values.map((x) => x.value), packed: null }
            : inputOf(family),
        );
        for (const contentType of FORMATS) {
          const { layout } = await familyText(before.map(inputOf), contentType);
          if (layout === null) continue; // omitted: nothing to print again
          expect(Buffer.from(revalueBytes(layout, after))).toEqual(
            await reference(afterFamilies, contentType),
          );
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves a family whose type differs between inputs to prom-client', async () => {
    const input = (type: MetricFamily['type']): MetricFamily => ({
      name: 'jobs_total',
      help: 'h',
      type,
      aggregator: 'sum',
      values: [{ value: 1, labels: {} }],
    });
    const families = [input('counter'), input('gauge')];
    const inputs = families.map(inputOf);
    expect(mergesHere(inputs)).toBe(false);
    for (const contentType of FORMATS) {
      expect(Buffer.from((await familyText(inputs, contentType)).bytes)).toEqual(
        await reference(families, contentType),
      );
    }
  });

  it('leaves an aggregator it does not fold to prom-client, which rejects it', async () => {
    const family: MetricFamily = {
      name: 'x',
      help: 'h',
      type: 'gauge',
      aggregator: 'median' as MetricFamily['aggregator'],
      values: [{ value: 1, labels: {} }],
    };
    expect(mergesHere([inputOf(family)])).toBe(false);
    await expect(familyText([inputOf(family)], Registry.PROMETHEUS_CONTENT_TYPE)).rejects.toThrow(
      /not a defined aggregator/,
    );
  });
});
