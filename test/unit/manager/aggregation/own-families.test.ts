// The manager's own families reach the ledger as new objects every scrape; the ledger reuses the
// text of those whose content did not change and re-values those whose values alone did
// (MetricsLedger's ownInputs). The reference is the straightforward path: prom-client's aggregate() over
// the families as they are at that scrape (and, for both formats, a ledger that has never
// rendered anything). Random registry operations between scrapes, delivered either as copies
// (what the main thread posts) or as prom-client's own objects, which the registry then updates
// in place (what the metrics thread's own registry hands over).
import fc from 'fast-check';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MetricsLedger } from '../../../../src/manager/aggregation/metrics-ledger.js';
import { aggregate, snapshotOf, type MetricsSnapshot } from '../../../../src/metrics/snapshot.js';

const FORMATS = [Registry.PROMETHEUS_CONTENT_TYPE, Registry.OPENMETRICS_CONTENT_TYPE] as const;
const slot = fc.constantFrom('0', '1', '2');

type Op =
  | { op: 'set'; slot: string; value: number }
  | { op: 'set-reversed'; slot: string; value: number }
  | { op: 'inc'; slot: string; by: number }
  | { op: 'observe'; value: number }
  | { op: 'reset' }
  | { op: 'rehelp'; help: string }
  | { op: 'same' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('set'), slot, value: fc.double({ noNaN: false }) }),
  fc.record({ op: fc.constant('set-reversed'), slot, value: fc.integer({ min: -5, max: 5 }) }),
  fc.record({ op: fc.constant('inc'), slot, by: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ op: fc.constant('observe'), value: fc.double({ min: 0, max: 3, noNaN: true }) }),
  fc.record({ op: fc.constant('reset') }),
  fc.record({ op: fc.constant('rehelp'), help: fc.constantFrom('a', 'b', 'ünï’') }),
  fc.record({ op: fc.constant('same') }),
);

/** A registry like the manager's: per-slot gauges and counters, a histogram, a plain gauge. */
class OwnRegistry {
  readonly registry = new Registry();
  private readonly perSlot = new Gauge({
    name: 'own_slot_level',
    help: 'per slot',
    labelNames: ['slot', 'kind'],
    registers: [this.registry],
  });
  private readonly counter = new Counter({
    name: 'own_restarts_total',
    help: 'restarts',
    labelNames: ['slot'],
    registers: [this.registry],
  });
  private readonly histogram = new Histogram({
    name: 'own_scrape_seconds',
    help: 'scrape',
    buckets: [0.5, 1],
    registers: [this.registry],
  });
  private plain = new Gauge({ name: 'own_plain', help: 'a', registers: [this.registry] });

  apply(step: Op): void {
    switch (step.op) {
      case 'set':
        return this.perSlot.set({ slot: step.slot, kind: 'k' }, step.value);
      case 'set-reversed':
        // A series first created with its labels in the other order prints them that way.
        return this.perSlot.set({ kind: 'k', slot: step.slot }, step.value);
      case 'inc':
        return this.counter.inc({ slot: step.slot }, step.by);
      case 'observe':
        return this.histogram.observe(step.value);
      case 'reset':
        return this.perSlot.reset();
      case 'rehelp':
        this.registry.removeSingleMetric('own_plain');
        this.plain = new Gauge({ name: 'own_plain', help: step.help, registers: [this.registry] });
        return this.plain.set(1);
      case 'same':
        return;
    }
  }
}

const scrape = fc.record({
  ops: fc.array(op, { maxLength: 4 }),
  delivery: fc.constantFrom('copied', 'shared'),
});

describe('MetricsLedger with the manager’s own families', () => {
  it('renders what aggregate() renders at each scrape, whatever changed in between', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(scrape, { minLength: 1, maxLength: 12 }), async (scrapes) => {
        const own = new OwnRegistry();
        const ledger = new MetricsLedger();
        for (const { ops, delivery } of scrapes) {
          for (const step of ops) own.apply(step);
          const read = await snapshotOf(own.registry);
          const extra: MetricsSnapshot = delivery === 'copied' ? structuredClone(read) : read;
          const first = structuredClone(read).map((f) => ({ ...f, aggregator: 'first' as const }));
          for (const type of FORMATS) {
            const text = await ledger.render(new Set(), extra, type);
            expect(text).toBe(
              await new MetricsLedger().render(new Set(), structuredClone(read), type),
            );
            if (type === Registry.PROMETHEUS_CONTENT_TYPE) {
              expect(text).toBe(await aggregate([first], type).metrics());
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
