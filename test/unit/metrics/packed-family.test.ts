// The packed wire shape of a changed family is an optimisation of sending the family as JSON:
// whatever a family holds, unpacking its packed JSON must give exactly what parsing its JSON
// gives (values, labels, key order, dropped undefined labels, NaN/±Infinity as null).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  packedValues,
  matchesPacked,
  samePacked,
  sameShape,
  packFamily,
  unpackFamily,
  type PackedFamily,
} from '../../../src/metrics/packed-family.js';
import type { MetricFamily } from '../../../src/metrics/snapshot.js';

const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const labelName = fc.constantFrom('le', 'quantile', 'method', 'route', 'a', 'b', '__proto__', '');
const labelValue = fc.oneof(
  fc.constantFrom('GET', '/api/x', '+Inf', '', 'a"b\\c\nd', 'é☃', '1'),
  fc.string(),
  fc.constantFrom(0.005, 1, 2.5, 10, -0),
  fc.double(),
  fc.constant(undefined),
);
const sample = fc.record(
  {
    value: fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1e308)),
    labels: fc.dictionary(labelName, labelValue, { maxKeys: 5 }),
    metricName: fc.constantFrom('x_bucket', 'x_sum', 'x_count', '', 'x'),
  },
  { requiredKeys: ['value', 'labels'] },
);
const family: fc.Arbitrary<MetricFamily> = fc.record({
  name: fc.constantFrom('x', 'x_total', 'http_request_duration_seconds'),
  help: fc.string(),
  type: fc.constantFrom('counter', 'gauge', 'histogram', 'summary'),
  aggregator: fc.constantFrom('sum', 'max', 'min', 'average', 'first', 'omit'),
  values: fc.array(sample, { maxLength: 40 }),
}) as fc.Arbitrary<MetricFamily>;

/** The encoder's copy of a family: these keys, in this order. */
function asSent(f: MetricFamily): MetricFamily {
  return {
    name: f.name,
    help: f.help,
    type: f.type,
    aggregator: f.aggregator,
    values: f.values.map((s) => {
      const copy: MetricFamily['values'][number] = { value: s.value, labels: { ...s.labels } };
      if (s.metricName !== undefined) copy.metricName = s.metricName;
      return copy;
    }),
  };
}

describe('packed families', () => {
  it('unpack to exactly what the family as JSON parses to', () => {
    fc.assert(
      fc.property(family, (f) => {
        const sent = asSent(f);
        const unpacked = unpackFamily(roundTrip(packFamily(sent)));
        // String equality: same keys in the same order, own "__proto__" labels included.
        expect(JSON.stringify(unpacked)).toBe(JSON.stringify(sent));
        expect(unpacked).toStrictEqual(roundTrip(sent));
      }),
      { numRuns: 1_000 },
    );
  });

  it('are much smaller than the family as JSON for a labelled histogram', () => {
    const buckets = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, '+Inf'];
    const values: MetricFamily['values'] = [];
    for (let route = 0; route < 100; route += 1) {
      const labels = { method: 'GET', route: `/api/r${route}`, status_code: '200' };
      for (const le of buckets) {
        values.push({ value: route, labels: { le, ...labels }, metricName: 'h_bucket' });
      }
      values.push({ value: route / 2, labels, metricName: 'h_sum' });
      values.push({ value: route, labels, metricName: 'h_count' });
    }
    const histogram: MetricFamily = {
      name: 'h',
      help: 'h',
      type: 'histogram',
      aggregator: 'sum',
      values,
    };
    const packed = JSON.stringify(packFamily(histogram)).length;
    expect(packed * 4).toBeLessThan(JSON.stringify(histogram).length);
  });

  it('refuses malformed input instead of inventing samples', () => {
    const good = packFamily({
      name: 'x',
      help: 'h',
      type: 'gauge',
      aggregator: 'sum',
      values: [{ value: 1, labels: { a: 'b' } }],
    });
    const broken: Partial<PackedFamily>[] = [
      { samples: [-1, 7, 1, 0] },
      { samples: [-1, 0, 1] },
      { samples: [-1, 0, 1, 99] },
      { samples: [5, 0, 1, 0] },
      { strings: undefined },
    ];
    for (const change of broken) {
      expect(() => unpackFamily({ ...good, ...change } as PackedFamily)).toThrow(/malformed/);
    }
  });
});

/** A family and a variant of it: the same, or changed in one of the ways a registry changes. */
const familyAndVariant = family.chain((f) =>
  fc
    .record({
      change: fc.constantFrom(
        'none',
        'value',
        'label value',
        'label added',
        'label removed',
        'undefined label added',
        'labels reordered',
        'sample dropped',
        'sample added',
        'metric name',
        'type',
      ),
      at: fc.nat(),
      value: fc.oneof(fc.double(), fc.constantFrom(NaN, 0, 1)),
      label: labelValue,
    })
    .map(({ change, at, value, label }) => {
      const g = asSent(f);
      const sample = g.values[at % Math.max(g.values.length, 1)];
      if (change === 'value' && sample) sample.value = value;
      if (change === 'label value' && sample) {
        const key = Object.keys(sample.labels)[0];
        if (key !== undefined) sample.labels[key] = label as string;
      }
      if (change === 'label added' && sample) sample.labels.zz = label as string;
      if (change === 'label removed' && sample) {
        const key = Object.keys(sample.labels).pop();
        if (key !== undefined) delete sample.labels[key];
      }
      if (change === 'undefined label added' && sample) {
        (sample.labels as Record<string, unknown>).zz = undefined;
      }
      if (change === 'labels reordered' && sample) {
        sample.labels = Object.fromEntries(Object.entries(sample.labels).reverse());
      }
      if (change === 'sample dropped') g.values.splice(at % Math.max(g.values.length, 1), 1);
      if (change === 'sample added') g.values.push({ value, labels: { a: 'new' } });
      if (change === 'metric name' && sample) sample.metricName = `${sample.metricName ?? ''}_x`;
      if (change === 'type') g.type = g.type === 'gauge' ? 'counter' : 'gauge';
      return { f: asSent(f), g };
    }),
);

describe('matchesPacked', () => {
  it('never calls a changed family unchanged, and recognises an unchanged one', () => {
    fc.assert(
      fc.property(familyAndVariant, ({ f, g }) => {
        const sameOnTheWire = JSON.stringify(f) === JSON.stringify(g);
        const matches = matchesPacked(packFamily(f), g);
        // Sound: a match means the manager already holds exactly what would be sent.
        if (matches) expect(sameOnTheWire).toBe(true);
        // Complete where JSON is faithful and === is reflexive: NaN and ±Infinity values (JSON
        // null) and NaN label values count as changes.
        const exact = g.values.every(
          (s) => Number.isFinite(s.value) && !Object.values(s.labels).some((v) => Number.isNaN(v)),
        );
        if (sameOnTheWire && exact) expect(matches).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('agrees with samePacked on the packing of the variant', () => {
    fc.assert(
      fc.property(familyAndVariant, ({ f, g }) => {
        expect(samePacked(packFamily(f), packFamily(g))).toBe(matchesPacked(packFamily(f), g));
      }),
      { numRuns: 2_000 },
    );
  });

  it('counts a NaN as changed', () => {
    const f: MetricFamily = {
      name: 'x',
      help: 'h',
      type: 'gauge',
      aggregator: 'sum',
      values: [{ value: NaN, labels: {} }],
    };
    expect(matchesPacked(packFamily(f), f)).toBe(false);
  });
});

describe('sameShape', () => {
  /** A label value as === sees it (-0 is 0; NaN is left out of the comparison below). */
  const tag = (v: unknown) => `${typeof v}:${String(v)}`;
  /** What a merge groups by: each sample's metric name and labels, in key order. */
  const shapeOf = (f: MetricFamily) =>
    JSON.stringify(
      f.values.map((s) => [
        s.metricName,
        Object.entries(s.labels)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, tag(v)]),
      ]),
    );
  const headOf = (f: MetricFamily) => JSON.stringify([f.name, f.help, f.type, f.aggregator]);
  const hasNaNLabel = (f: MetricFamily) =>
    f.values.some((s) => Object.values(s.labels).some((v) => Number.isNaN(v)));

  type Variant = [string, number[], number, unknown, MetricFamily, string];
  /** `f` with new values, or with one near miss: a label value or name, a metric name, two samples swapped. */
  const variant = fc.tuple(
    fc.constantFrom('values', 'label', 'labelName', 'metricName', 'swap', 'other'),
    fc.array(fc.double(), { minLength: 1 }),
    fc.nat(),
    labelValue,
    family,
    labelName,
  );
  function apply(
    f: MetricFamily,
    [kind, values, at, newLabel, other, newName]: Variant,
  ): MetricFamily {
    const samples = f.values.map((s, i) => ({
      ...s,
      labels: { ...s.labels },
      value: values[i % values.length]!,
    }));
    const i = samples.length === 0 ? -1 : at % samples.length;
    if (kind === 'other') return other;
    if (i >= 0 && kind === 'label') {
      const names = Object.keys(samples[i]!.labels);
      if (names.length > 0) samples[i]!.labels[names[at % names.length]!] = newLabel as never;
    }
    if (i >= 0 && kind === 'labelName') {
      const entries = Object.entries(samples[i]!.labels);
      const k = at % Math.max(entries.length, 1);
      if (entries[k]) entries[k] = [newName, entries[k][1]];
      samples[i]!.labels = Object.fromEntries(entries) as never;
    }
    if (i >= 0 && kind === 'metricName')
      samples[i]!.metricName = `${samples[i]!.metricName ?? ''}x`;
    if (i >= 0 && kind === 'swap') {
      const j = (i + 1) % samples.length;
      [samples[i], samples[j]] = [samples[j]!, samples[i]!];
    }
    return { ...f, values: samples };
  }

  it('holds exactly for the same samples in the same places, whatever the values', () => {
    fc.assert(
      fc.property(family, variant, (a, v) => {
        const sentA = asSent(a);
        const sentB = asSent(apply(a, v));
        fc.pre(!hasNaNLabel(sentA) && !hasNaNLabel(sentB));
        const [packedA, packedB] = [packFamily(sentA), packFamily(sentB)];
        const same = sameShape(packedA, packedB);
        expect(same).toBe(headOf(sentA) === headOf(sentB) && shapeOf(sentA) === shapeOf(sentB));
        // And then B unpacks to A's unpacking with B's values (what the ledger relies on).
        if (same) {
          const a = unpackFamily(roundTrip(packedA));
          const b = roundTrip(packedB);
          const values = packedValues(b);
          const revalued = { ...a, values: a.values.map((x, k) => ({ ...x, value: values[k]! })) };
          expect(revalued).toStrictEqual(unpackFamily(b));
          expect(JSON.stringify(revalued)).toBe(JSON.stringify(unpackFamily(b)));
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('tells label names apart where the tables agree (the keyset alone differs)', () => {
    const f = (third: string): MetricFamily => ({
      name: 'x',
      help: 'h',
      type: 'gauge',
      aggregator: 'sum',
      values: [
        { value: 1, labels: { a: 'x' } },
        { value: 2, labels: { b: 'x' } },
        { value: 3, labels: { [third]: 'x' } },
      ],
    });
    expect(sameShape(packFamily(f('a')), packFamily(f('b')))).toBe(false);
    expect(sameShape(packFamily(f('a')), packFamily(f('a')))).toBe(true);
  });
});
