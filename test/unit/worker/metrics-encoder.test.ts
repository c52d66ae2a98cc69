// The encoder reads a prom-client histogram whose shape is the one it was sent in by its values
// alone, straight from its series (src/worker/histogram-values.ts). That is an optimisation of
// "read every family, compare with what was sent": under any sequence of
// operations, including hostile ones (labels objects mutated after use, default labels set or
// mutated in place, subclasses, collect() callbacks), its replies must be exactly the replies of
// an encoder that reads everything through getMetricsAsJSON().
import fc from 'fast-check';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  matchesPacked,
  packedValues,
  packFamily,
  sameShape,
  type PackedFamily,
} from '../../../src/metrics/packed-family.js';
import { LeanHistogram } from '../../../src/metrics/lean-histogram.js';
import { snapshotOf } from '../../../src/metrics/snapshot.js';
import type { FamilyUpdate, MetricsReplyMessage } from '../../../src/protocol.js';
import { MetricsEncoder } from '../../../src/worker/metrics-encoder.js';

/**
 * The straightforward encoder: getMetricsAsJSON(), then compare every family with its last copy
 * (unchanged: by name; same samples in the same places: values only; else packed whole).
 */
class ReadEverythingEncoder {
  private last: { requestId: number; families: Map<string, PackedFamily> } | null = null;

  constructor(private readonly registry: Registry) {}

  async encode(requestId: number, have: number | null): Promise<MetricsReplyMessage> {
    const base = this.last !== null && this.last.requestId === have ? this.last.families : null;
    const families = new Map<string, PackedFamily>();
    const updates: FamilyUpdate[] = [];
    for (const live of await snapshotOf(this.registry)) {
      const before = base?.get(live.name);
      const same = before !== undefined && matchesPacked(before, live);
      const packed = same ? before : packFamily(live);
      families.set(live.name, packed);
      if (same) updates.push({ same: live.name });
      else if (before !== undefined && sameShape(before, packed)) {
        updates.push({ revalued: live.name, values: packedValues(packed) });
      } else updates.push({ packed });
    }
    this.last = { requestId, families };
    return { type: 'metrics', requestId, base: base === null ? null : have, families: updates };
  }
}

class SubclassedHistogram extends Histogram {}

/** The reply carries this family (whole or its values), not merely its name. */
const sentAgain = (reply: MetricsReplyMessage, name: string) =>
  reply.families.some(
    (f) => ('packed' in f ? f.packed.name : 'revalued' in f ? f.revalued : '') === name,
  );

function world() {
  // OpenMetrics, because prom-client allows exemplars only there.
  const openMetrics = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
  openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const registry = openMetrics as unknown as Registry;
  const registers = [registry];
  const buckets = [0.1, 1, 10];
  let collected = 0.5;
  const metrics = {
    labelled: new Histogram({ name: 'h_l', help: 'h', labelNames: ['a', 'b'], buckets, registers }),
    plain: new Histogram({ name: 'h_p', help: 'h', buckets, registers }),
    exemplars: new Histogram({
      name: 'h_x',
      help: 'h',
      labelNames: ['a'],
      buckets,
      enableExemplars: true,
      registers,
    }),
    // Ineligible: its collect() runs inside get() (deterministic here, so both encoders agree).
    collecting: new Histogram({
      name: 'h_c',
      help: 'h',
      buckets,
      registers,
      collect() {
        this.reset();
        this.observe(collected);
      },
    }),
    subclassed: new SubclassedHistogram({ name: 'h_s', help: 'h', labelNames: ['a'], registers }),
    counter: new Counter({ name: 'c_total', help: 'c', labelNames: ['a'], registers }),
    gauge: new Gauge({ name: 'g', help: 'g', registers }),
  };
  return { registry, metrics, setCollected: (v: number) => (collected = v) };
}

type World = ReturnType<typeof world>;
type HistogramName = 'labelled' | 'plain' | 'exemplars' | 'collecting' | 'subclassed';

/** Labels objects handed to prom-client, kept so that a hostile step can mutate them later. */
type Pool = Record<string, string | number | undefined>[];

const value = fc.constantFrom(0.05, 0.5, 1, 5, 50, 0, 0.1, 1e308);
const labelValue = fc.constantFrom('x', 'y', '', 7, 0, 'a,b:c');
const histogramName = fc.constantFrom<HistogramName>(
  'labelled',
  'plain',
  'exemplars',
  'collecting',
  'subclassed',
);

type Step =
  | { op: 'observe'; h: HistogramName; a: string | number; b: string | number; v: number }
  | { op: 'labelsObserve'; a: string | number; b: string | number; v: number }
  | { op: 'zero' | 'remove'; a: string | number; b: string | number }
  | { op: 'reset'; h: HistogramName }
  | { op: 'rewrite'; h: HistogramName; a: string | number; vs: readonly number[] }
  | { op: 'mutateLabels'; pick: number; kind: 'value' | 'add' | 'delete'; to: string | number }
  | { op: 'defaults'; kind: 'set' | 'mutate' | 'clear'; name: string; to: string | number }
  | { op: 'counter'; a: string | number }
  | { op: 'gauge'; v: number }
  | { op: 'collected'; v: number }
  | { op: 'encode'; have: 'last' | 'older' | 'none'; times: number };

const weighted = (weight: number, arbitrary: fc.Arbitrary<unknown>) => ({ weight, arbitrary });
const step = fc.oneof(
  weighted(
    3,
    fc.record({
      op: fc.constant('observe'),
      h: histogramName,
      a: labelValue,
      b: labelValue,
      v: value,
    }),
  ),
  weighted(
    1,
    fc.record({ op: fc.constant('labelsObserve'), a: labelValue, b: labelValue, v: value }),
  ),
  weighted(1, fc.record({ op: fc.constantFrom('zero', 'remove'), a: labelValue, b: labelValue })),
  weighted(1, fc.record({ op: fc.constant('reset'), h: histogramName })),
  // Reset and observe again so that only one field differs from before: the same count and
  // buckets with another sum ([0.05] / [0]), the same count and sum in other buckets
  // ([0.5, 0.5] / [0, 1]), the same sum and buckets with another count ([50, 50] / [100]).
  weighted(
    4,
    fc.record({
      op: fc.constant('rewrite'),
      h: histogramName,
      a: fc.constant('x'),
      vs: fc.constantFrom([0.05], [0], [0.5, 0.5], [0, 1], [50, 50], [100]),
    }),
  ),
  weighted(
    1,
    fc.record({
      op: fc.constant('mutateLabels'),
      pick: fc.nat(),
      kind: fc.constantFrom('value', 'add', 'delete'),
      to: labelValue,
    }),
  ),
  weighted(
    2,
    fc.record({
      op: fc.constant('defaults'),
      kind: fc.constantFrom('set', 'mutate', 'clear'),
      // `a` is also a histogram label: a default applies only where the sample's value is falsy.
      name: fc.constantFrom('zone', 'a'),
      to: labelValue,
    }),
  ),
  weighted(1, fc.record({ op: fc.constant('counter'), a: labelValue })),
  weighted(1, fc.record({ op: fc.constant('gauge'), v: value })),
  weighted(1, fc.record({ op: fc.constant('collected'), v: value })),
  // Scrapes are frequent, so that most operations land between two of them, and come in runs
  // (the later ones of a run acknowledged), so that histograms are read by their values in a
  // shape sent before.
  weighted(
    5,
    fc.record({
      op: fc.constant('encode'),
      have: fc.constantFrom('last', 'last', 'older', 'none'),
      times: fc.integer({ min: 1, max: 4 }),
    }),
  ),
) as fc.Arbitrary<Step>;

function observe(w: World, pool: Pool, name: HistogramName, labels: Pool[number], v: number) {
  const h = w.metrics[name];
  if (name === 'plain' || name === 'collecting') return h.observe(v);
  const own = name === 'labelled' ? labels : { a: labels.a };
  pool.push(own);
  if (name === 'exemplars') {
    h.observe({ labels: own, value: v, exemplarLabels: { id: 'e' } } as never);
  } else {
    h.observe(own as never, v);
  }
}

function apply(w: World, pool: Pool, s: Exclude<Step, { op: 'encode' }>): void {
  const m = w.metrics;
  switch (s.op) {
    case 'observe':
      return observe(w, pool, s.h, { a: s.a, b: s.b }, s.v);
    case 'labelsObserve':
      return m.labelled.labels(String(s.a), String(s.b)).observe(s.v);
    case 'zero':
      return m.labelled.zero({ a: s.a, b: s.b });
    case 'remove':
      return m.labelled.remove({ a: s.a, b: s.b });
    case 'reset':
      return m[s.h].reset();
    case 'rewrite':
      m[s.h].reset();
      for (const v of s.vs) observe(w, pool, s.h, { a: s.a, b: 'r' }, v);
      return;
    case 'mutateLabels': {
      // prom-client keeps the caller's labels object; a caller that mutates it changes the
      // output without any observe.
      const labels = pool[s.pick % Math.max(pool.length, 1)];
      if (!labels) return;
      if (s.kind === 'value') labels.a = s.to;
      else if (s.kind === 'add') labels.b = s.to;
      else delete labels.b;
      return;
    }
    case 'defaults': {
      const current = (w.registry as unknown as { _defaultLabels: Pool[number] })._defaultLabels;
      if (s.kind === 'set') w.registry.setDefaultLabels({ [s.name]: s.to });
      else if (s.kind === 'mutate') current[s.name] = s.to;
      else w.registry.setDefaultLabels({});
      return;
    }
    case 'counter':
      return m.counter.inc({ a: s.a });
    case 'gauge':
      return m.gauge.set(s.v);
    case 'collected':
      w.setCollected(s.v);
      return;
  }
}

describe('reading histograms from their series', () => {
  afterEach(() => vi.restoreAllMocks());

  it('replies exactly as an encoder that reads every family (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 60 }), async (steps) => {
        const w = world();
        const pool: Pool = [];
        const fast = new MetricsEncoder(w.registry);
        const reference = new ReadEverythingEncoder(w.registry);
        let requestId = 0;
        for (const s of [...steps, { op: 'encode', have: 'last', times: 1 } as const]) {
          if (s.op !== 'encode') {
            apply(w, pool, s);
            continue;
          }
          for (let n = 0; n < s.times; n += 1) {
            const policy = n === 0 ? s.have : 'last';
            const have =
              policy === 'none' || requestId === 0
                ? null
                : policy === 'last'
                  ? requestId
                  : requestId - 1;
            requestId += 1;
            const got = await fast.encode(requestId, have);
            const want = await reference.encode(requestId, have);
            expect(JSON.stringify(got)).toBe(JSON.stringify(want));
          }
        }
      }),
      { numRuns: 1500 },
    );
  });

  it.each([
    ['the sum', [0.05], [0]],
    ['the buckets', [0.5, 0.5], [0, 1]],
    ['the count', [50, 50], [100]],
  ])('sends a histogram again when only %s changed', async (_, before, after) => {
    const w = world();
    const encoder = new MetricsEncoder(w.registry);
    const reference = new ReadEverythingEncoder(w.registry);
    for (const v of before) w.metrics.plain.observe(v);
    // Packed, then read by its values.
    for (let id = 1; id <= 3; id += 1) {
      await encoder.encode(id, id === 1 ? null : id - 1);
      await reference.encode(id, id === 1 ? null : id - 1);
    }
    w.metrics.plain.reset();
    for (const v of after) w.metrics.plain.observe(v);
    const got = await encoder.encode(4, 3);
    expect(sentAgain(got, 'h_p')).toBe(true);
    expect(JSON.stringify(got)).toBe(JSON.stringify(await reference.encode(4, 3)));
  });

  it('compares a reshaped histogram with the values last sent, not those of its first packing', async () => {
    // Sent packed (values V1), then by its values (V2). Then its shape changes but not its
    // packing (a label set to undefined is dropped from the output), and it is back at V1: the
    // manager holds V2, so V1 must go out again.
    const w = world();
    const encoder = new MetricsEncoder(w.registry);
    const reference = new ReadEverythingEncoder(w.registry);
    const both = async (id: number) => {
      const got = await encoder.encode(id, id === 1 ? null : id - 1);
      expect(JSON.stringify(got)).toBe(
        JSON.stringify(await reference.encode(id, id === 1 ? null : id - 1)),
      );
      return got;
    };
    w.metrics.labelled.observe({ a: 'x' }, 1);
    await both(1);
    w.metrics.labelled.observe({ a: 'x' }, 2);
    const second = await both(2);
    expect(second.families.find((f) => 'revalued' in f && f.revalued === 'h_l')).toBeDefined();
    w.metrics.labelled.zero({ a: 'x', b: undefined } as never);
    w.metrics.labelled.observe({ a: 'x' }, 1);
    const third = await both(3);
    expect(sentAgain(third, 'h_l')).toBe(true);
  });

  it('reads a histogram by its values, without get(), while its shape stands', async () => {
    const w = world();
    const encoder = new MetricsEncoder(w.registry);
    for (let i = 0; i < 100; i += 1) w.metrics.labelled.observe({ a: i, b: 'x' }, i / 10);
    const reads = vi.spyOn(Histogram.prototype, 'get');
    const readsOf = (h: Histogram) => reads.mock.contexts.filter((c) => c === h).length;
    // Three eligible histograms (labelled, plain, exemplars); collecting and subclassed are not.
    const eligible = 3;

    // Read (sent, its shape taken), then read by its values.
    for (let id = 1; id <= 3; id += 1) await encoder.encode(id, id === 1 ? null : id - 1);
    expect(encoder.taken).toEqual({ valuesByShape: 2 * eligible, read: eligible + 3 * 4 });
    const idle = await encoder.encode(4, 3);
    expect(encoder.taken.valuesByShape).toBe(3 * eligible);
    expect(idle.families).toContainEqual({ same: 'h_l' });
    // get() for the eligible ones at the first scrape only; for the others, at every scrape.
    expect(readsOf(w.metrics.labelled)).toBe(1);
    expect(readsOf(w.metrics.collecting)).toBe(4);
    expect(readsOf(w.metrics.subclassed)).toBe(4);

    // Observed in a series it has: its values alone, read by shape, not packed.
    w.metrics.labelled.observe({ a: 3, b: 'x' }, 0.5);
    const changed = await encoder.encode(5, 4);
    expect(encoder.taken.valuesByShape).toBe(4 * eligible);
    expect(changed.families.find((f) => 'revalued' in f && f.revalued === 'h_l')).toBeDefined();
    // A new series changes its shape: read and packed whole again.
    w.metrics.labelled.observe({ a: 1000, b: 'x' }, 0.5);
    const grown = await encoder.encode(6, 5);
    expect(encoder.taken.valuesByShape).toBe(5 * eligible - 1);
    expect(grown.families.find((f) => 'packed' in f && f.packed.name === 'h_l')).toBeDefined();
    expect(readsOf(w.metrics.labelled)).toBe(2);

    // A manager that lost the base gets everything.
    const rebased = await encoder.encode(7, null);
    expect(rebased.families.every((f) => 'packed' in f)).toBe(true);
  });
});

describe('exemplars in replies', () => {
  it('sends those kept since the held reply with a delta, all of them otherwise', async () => {
    const registry = new Registry();
    const lean = new LeanHistogram({
      name: 'd_seconds',
      help: 'd',
      labelNames: ['r'],
      buckets: [0.1, 1],
      registers: [registry],
    });
    const traces = (reply: MetricsReplyMessage) =>
      reply.exemplars?.map((e) => e.exemplar.labels.trace_id).sort();
    const encoder = new MetricsEncoder(registry);

    lean.observe({ r: 'a' }, 0.05, 't1');
    const first = await encoder.encode(1, null);
    expect([first.base, traces(first)]).toEqual([null, ['t1']]);

    lean.observe({ r: 'a' }, 0.5, 't2');
    lean.observe({ r: 'b' }, 5); // counted, no exemplar
    const delta = await encoder.encode(2, 1);
    expect([delta.base, traces(delta)]).toEqual([1, ['t2']]);

    // Nothing kept since: no exemplars at all, not an empty list.
    const quiet = await encoder.encode(3, 2);
    expect(quiet.base).toBe(2);
    expect(quiet).not.toHaveProperty('exemplars');

    // The manager holds reply 2, not 3 (3 came too late): all of them, with the full families.
    lean.observe({ r: 'b' }, 0.05, 't3');
    const resent = await encoder.encode(4, 2);
    expect([resent.base, traces(resent)]).toEqual([null, ['t1', 't2', 't3']]);

    // Deltas switched off: every reply is whole, and so are its exemplars.
    const whole = new MetricsEncoder(registry, { delta: false });
    await whole.encode(5, null);
    const again = await whole.encode(6, 5);
    expect([again.base, traces(again)]).toEqual([null, ['t1', 't2', 't3']]);
  });
});
