// The delta path end to end in-process: a real worker registry, the worker's encoder, the
// manager's ledger. Unchanged families travel by name only, changes always arrive, and the
// rendered text equals a cold, from-scratch render every time.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { negotiateContentType } from '../../../../src/manager/endpoint/scrape-request.js';
import { MetricsLedger } from '../../../../src/manager/aggregation/metrics-ledger.js';
import { MetricsEncoder } from '../../../../src/worker/metrics-encoder.js';
import type { PackedFamily } from '../../../../src/metrics/packed-family.js';
import type { MetricsReplyMessage } from '../../../../src/protocol.js';

function worker() {
  const registry = new Registry();
  const hits = new Counter({
    name: 'hits_total',
    help: 'h',
    labelNames: ['k'],
    registers: [registry],
  });
  const idle = new Histogram({
    name: 'idle_seconds',
    help: 'h',
    labelNames: ['k'],
    buckets: [1],
    registers: [registry],
  });
  const level = new Gauge({ name: 'level', help: 'h', registers: [registry] });
  for (let k = 0; k < 50; k += 1) idle.observe({ k: String(k) }, 0.5);
  return { registry, hits, level, encoder: new MetricsEncoder(registry) };
}

const PROM = negotiateContentType(undefined);
const OM = negotiateContentType('application/openmetrics-text');

/** What a ledger that never saw a delta would render for the same worker states. */
async function coldRender(replies: [number, MetricsReplyMessage][], type = PROM) {
  const cold = new MetricsLedger();
  for (const [id, reply] of replies) {
    const families = reply.families.map((f) => ('packed' in f ? f : undefined));
    if (families.some((f) => f === undefined)) throw new Error('cold render needs full replies');
    cold.recordReply(id, reply);
  }
  return cold.render(new Set(replies.map(([id]) => id)), [], type);
}

describe('metrics deltas', () => {
  it('sends unchanged families by name once the manager holds a base', async () => {
    const w = worker();
    const first = await w.encoder.encode(1, null);
    expect(first.base).toBeNull();
    expect(first.families.every((f) => 'packed' in f)).toBe(true);

    w.hits.inc({ k: 'a' });
    const second = await w.encoder.encode(2, 1);
    expect(second.base).toBe(1);
    const changed = second.families
      .filter((f) => 'packed' in f)
      .map((f) => (f as { packed: PackedFamily }).packed.name);
    expect(changed).toEqual(['hits_total']);
    expect(second.families).toContainEqual({ same: 'idle_seconds' });
    expect(second.families).toContainEqual({ same: 'level' });
  });

  it('sends everything when the manager holds another reply than the last one', async () => {
    const w = worker();
    await w.encoder.encode(1, null);
    await w.encoder.encode(2, 1); // the manager ignored this one (late)
    const third = await w.encoder.encode(3, 1);
    expect(third.base).toBeNull();
    expect(third.families.every((f) => 'packed' in f)).toBe(true);
  });

  it('keeps the same family objects for unchanged families and rejects a wrong base', async () => {
    const w = worker();
    const ledger = new MetricsLedger();
    expect(ledger.recordReply(7, await w.encoder.encode(1, ledger.baseFor(7)))).toBe(true);
    expect(ledger.baseFor(7)).toBe(1);
    w.level.set(3);
    const delta = await w.encoder.encode(2, ledger.baseFor(7));
    expect(ledger.recordReply(7, delta)).toBe(true);
    expect(ledger.baseFor(7)).toBe(2);
    expect(ledger.recordReply(7, { ...delta, requestId: 3, base: 99 })).toBe(false);
    expect(ledger.baseFor(7)).toBe(2);
  });

  it('renders exactly what a cold render would, scrape after scrape, in both formats', async () => {
    const a = worker();
    const b = worker();
    const ledger = new MetricsLedger();
    for (let round = 1; round <= 6; round += 1) {
      if (round % 2 === 0) a.hits.inc({ k: `r${round}` });
      if (round === 3) b.level.set(42);
      if (round === 5) b.hits.inc({ k: 'a' }, 5);
      const answered = new Set<number>();
      for (const [id, w] of [
        [1, a],
        [2, b],
      ] as const) {
        expect(ledger.recordReply(id, await w.encoder.encode(round, ledger.baseFor(id)))).toBe(
          true,
        );
        answered.add(id);
      }
      for (const type of [PROM, OM]) {
        const warm = await ledger.render(answered, [], type);
        const full: [number, MetricsReplyMessage][] = [
          [1, await new MetricsEncoder(a.registry).encode(0, null)],
          [2, await new MetricsEncoder(b.registry).encode(0, null)],
        ];
        expect(warm).toBe(await coldRender(full, type));
      }
    }
    const text = await ledger.render(new Set([1, 2]), [], PROM);
    expect(text).toContain('hits_total{k="a"} 5');
    expect(text).toContain('idle_seconds_count{k="7"} 2');
    expect(text).toContain('level 42');
  });
});
