// The ledger writes the document family by family into one buffer, instead of joining one
// string and encoding it. The reference is the straightforward path: prom-client's aggregate()
// over the same full snapshots, its metrics() string, encoded as UTF-8. Compared byte for byte
// (order, blank lines, trailer included), with text that is not ASCII (HELP, label values, lone
// surrogates), rendered afresh and from the ledger's cached bytes.
import fc from 'fast-check';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MetricsLedger } from '../../../../src/manager/aggregation/metrics-ledger.js';
import { snapshotOf } from '../../../../src/metrics/snapshot.js';
import { MetricsOracle } from '../../../helpers/metrics-oracle.js';

const FORMATS = [Registry.PROMETHEUS_CONTENT_TYPE, Registry.OPENMETRICS_CONTENT_TYPE] as const;

/** Anything a string can hold: multi-byte characters, astral ones, lone surrogates. */
const anyText = fc.string({ unit: 'binary', maxLength: 6 });

type WorkerSpec = typeof workerSpec extends fc.Arbitrary<infer T> ? T : never;
const workerSpec = fc.record({
  help: anyText,
  values: fc.array(fc.tuple(anyText, fc.integer({ min: 0, max: 50 })), { maxLength: 4 }),
  gauge: fc.option(fc.double({ noNaN: false }), { nil: undefined }),
  observations: fc.array(fc.double({ min: 0, max: 3, noNaN: true }), { maxLength: 3 }),
});

async function registryOf(spec: WorkerSpec, index: number) {
  const registry = new Registry();
  const counter = new Counter({
    name: 'demo_items_total',
    // Every worker's HELP differs: aggregate() keeps the first one's.
    help: `items ’ ${spec.help} ${index}`,
    labelNames: ['name'],
    registers: [registry],
  });
  for (const [name, by] of spec.values) counter.inc({ name }, by);
  if (spec.gauge !== undefined) {
    new Gauge({ name: 'demo_level', help: 'ünïcode', registers: [registry] }).set(spec.gauge);
  }
  const histogram = new Histogram({
    name: 'demo_seconds',
    help: 'h\\n',
    buckets: [0.5, 1, 2],
    registers: [registry],
  });
  for (const value of spec.observations) histogram.observe(value);
  return snapshotOf(registry);
}

describe('MetricsLedger.renderBytes', () => {
  it('writes the bytes of prom-client’s aggregate().metrics(), afresh and from its cache', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(workerSpec, { minLength: 1, maxLength: 3 }), async (specs) => {
        const ledger = new MetricsLedger();
        const oracle = new MetricsOracle();
        for (const [i, spec] of specs.entries()) {
          const snapshot = await registryOf(spec, i);
          ledger.record(i, snapshot);
          oracle.deliver(i, snapshot);
        }
        const answered = new Set(specs.keys());
        for (const type of FORMATS) {
          const expected = Buffer.from(await oracle.expected(answered, type), 'utf8');
          const fresh = await ledger.renderBytes(answered, [], type);
          expect(Buffer.from(fresh)).toEqual(expected);
          // Cached texts this time.
          expect(Buffer.from(await ledger.renderBytes(answered, [], type))).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('writes just the trailer when there is nothing to report', async () => {
    const ledger = new MetricsLedger();
    expect(await ledger.render(new Set(), [], FORMATS[0])).toBe('\n');
    expect(await ledger.render(new Set(), [], FORMATS[1])).toBe('\n# EOF\n');
  });
});
