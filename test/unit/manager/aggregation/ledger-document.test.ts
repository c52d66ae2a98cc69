// The ledger writes the document family by family into a buffer it is handed (a reused one in
// the metrics thread), instead of joining one string and encoding it. The reference is the
// straightforward path: prom-client's aggregate() over the same full snapshots, its metrics()
// string, encoded as UTF-8. Compared byte for byte (order, blank lines, trailer included), with
// text that is not ASCII (HELP, label values, lone surrogates) and buffers left dirty by a longer
// document.
import fc from 'fast-check';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BodyBuffers } from '../../../../src/manager/endpoint/body-buffers.js';
import {
  MetricsLedger,
  type AllocateBody,
} from '../../../../src/manager/aggregation/metrics-ledger.js';
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

/** Buffers bigger than asked, starting past a few bytes, full of something else. */
const dirty: AllocateBody = (byteLength) =>
  new Uint8Array(byteLength + 16).fill(0x41).subarray(3, 3 + byteLength + 10);

describe('MetricsLedger.renderBytes', () => {
  it('writes the bytes of prom-client’s aggregate().metrics(), whatever buffer it is given', async () => {
    const pool = new BodyBuffers();
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
          // Cached texts this time, into a dirty oversized buffer, then a reused pooled one.
          expect(Buffer.from(await ledger.renderBytes(answered, [], type, dirty))).toEqual(
            expected,
          );
          const pooled = await ledger.renderBytes(answered, [], type, (n) => pool.take(n));
          expect(Buffer.from(pooled)).toEqual(expected);
          pool.giveBack(pooled.buffer as ArrayBuffer);
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

describe('BodyBuffers', () => {
  it('reuses a given-back buffer that fits, and lets go of one far too large', () => {
    const pool = new BodyBuffers(2);
    const first = pool.take(1000);
    expect(first.byteLength).toBe(1000);
    pool.giveBack(first.buffer as ArrayBuffer);
    const second = pool.take(900);
    expect(second.buffer).toBe(first.buffer);
    expect(second.byteLength).toBe(900);
    expect(pool.held).toBe(0);
    pool.giveBack(second.buffer as ArrayBuffer);
    // Too small for this one: a new buffer; the old one stays for later.
    const big = pool.take(200_000);
    expect(big.buffer).not.toBe(first.buffer);
    expect(pool.held).toBe(1);
    pool.giveBack(big.buffer as ArrayBuffer);
    // A 250 kB buffer for a 10-byte body would hold memory for nothing: the small one is taken.
    expect(pool.take(10).buffer).toBe(first.buffer);
  });

  it('holds at most `keep` buffers, the newest, and ignores detached ones', () => {
    const pool = new BodyBuffers(2);
    const buffers = [pool.take(10), pool.take(10), pool.take(10)].map(
      (b) => b.buffer as ArrayBuffer,
    );
    for (const buffer of buffers) pool.giveBack(buffer);
    expect(pool.held).toBe(2);
    expect(pool.take(10).buffer).toBe(buffers[2]);
    expect(pool.take(10).buffer).toBe(buffers[1]);
    const detached = new ArrayBuffer(64);
    structuredClone(detached, { transfer: [detached] });
    pool.giveBack(detached);
    expect(pool.held).toBe(0);
  });
});
