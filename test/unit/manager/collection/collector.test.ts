// The collection protocol's timing rules, with stand-in workers that answer (or not) on cue.
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MetricsCollector } from '../../../../src/manager/collection/collector.js';
import { MetricsLedger } from '../../../../src/manager/aggregation/metrics-ledger.js';
import { packFamily } from '../../../../src/metrics/packed-family.js';
import { snapshotOf, type MetricsSnapshot } from '../../../../src/metrics/snapshot.js';
import type { WorkerRef } from '../../../../src/manager/supervision/lifecycle.js';
import type { CollectMetricsMessage } from '../../../../src/protocol.js';

async function snapshot(count: number): Promise<MetricsSnapshot> {
  const registry = new Registry();
  new Counter({ name: 'n_total', help: 'h', registers: [registry] }).inc(count);
  return snapshotOf(registry);
}

function fullReply(metrics: MetricsSnapshot) {
  return { base: null, families: metrics.map((family) => ({ packed: packFamily(family) })) };
}

function standIn(id: number, slot: number) {
  const received: CollectMetricsMessage[] = [];
  const worker: WorkerRef = { id, slot, state: 'ready' };
  return { worker, received };
}

/** A collector whose requests reach these stand-ins by worker id. */
function collectorOf(ledger: MetricsLedger, ...standIns: ReturnType<typeof standIn>[]) {
  return new MetricsCollector(ledger, (workerId, message) => {
    const found = standIns.find(({ worker }) => worker.id === workerId);
    found?.received.push(message);
    return found !== undefined;
  });
}

function requestIdOf(messages: CollectMetricsMessage[]): number {
  const last = messages.at(-1);
  if (!last) throw new Error('no collect request');
  return last.requestId;
}

describe('MetricsCollector', () => {
  it('shares one collection between overlapping scrapes', async () => {
    const a = standIn(1, 0);
    const collector = collectorOf(new MetricsLedger(), a);
    const first = collector.collect([a.worker], 1_000);
    const second = collector.collect([a.worker], 1_000);
    expect(a.received).toHaveLength(1);
    collector.onReply(a.worker.id, {
      type: 'metrics',
      requestId: requestIdOf(a.received),
      ...fullReply(await snapshot(1)),
    });
    const [x, y] = await Promise.all([first, second]);
    expect(a.received).toHaveLength(1);
    expect(x.id).toBe(y.id);
    expect(y.answered).toEqual(x.answered);
    expect([...x.answered]).toEqual([1]);
    expect(x.slotSuccess.get(0)).toBe(true);
  });

  it('reports a silent worker as failed after the deadline, without waiting longer', async () => {
    const a = standIn(1, 0);
    const b = standIn(2, 1);
    const ledger = new MetricsLedger();
    const collector = collectorOf(ledger, a, b);
    const started = Date.now();
    const pending = collector.collect([a.worker, b.worker], 150);
    collector.onReply(a.worker.id, {
      type: 'metrics',
      requestId: requestIdOf(a.received),
      ...fullReply(await snapshot(1)),
    });
    const result = await pending;
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(result.slotSuccess.get(0)).toBe(true);
    expect(result.slotSuccess.get(1)).toBe(false);
    expect(result.answered.has(2)).toBe(false);
  });

  it('ignores a late reply to an older collection', async () => {
    const a = standIn(1, 0);
    const ledger = new MetricsLedger();
    const collector = collectorOf(ledger, a);
    await collector.collect([a.worker], 50); // times out
    const stale = requestIdOf(a.received);
    const next = collector.collect([a.worker], 50);
    collector.onReply(a.worker.id, {
      type: 'metrics',
      requestId: stale,
      ...fullReply(await snapshot(99)),
    });
    expect(ledger.baseFor(1)).toBeNull();
    collector.onReply(a.worker.id, {
      type: 'metrics',
      requestId: requestIdOf(a.received),
      ...fullReply(await snapshot(5)),
    });
    expect((await next).answered.has(1)).toBe(true);
  });

  it('stops waiting for a worker that left, without marking its slot failed', async () => {
    const a = standIn(1, 0);
    const collector = collectorOf(new MetricsLedger(), a);
    const started = Date.now();
    const pending = collector.collect([a.worker], 5_000);
    collector.stopWaiting(a.worker.id, 'gone');
    const result = await pending;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(result.slotSuccess.has(0)).toBe(false);
  });

  it('does not ask workers that are still booting', async () => {
    const a = standIn(1, 0);
    a.worker.state = 'starting';
    const collector = collectorOf(new MetricsLedger(), a);
    const result = await collector.collect([a.worker], 1_000);
    expect(a.received).toEqual([]);
    expect(result.slotSuccess.size).toBe(0);
  });

  it('answers a scrape with a shorter deadline at that deadline, from the shared collection', async () => {
    const a = standIn(1, 0);
    const b = standIn(2, 1);
    const collector = collectorOf(new MetricsLedger(), a, b);
    const long = collector.collect([a.worker, b.worker], 5_000);
    const started = Date.now();
    collector.onReply(a.worker.id, {
      type: 'metrics',
      requestId: requestIdOf(a.received),
      ...fullReply(await snapshot(1)),
    });
    const short = await collector.collect([a.worker, b.worker], 100);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(a.received).toHaveLength(1);
    expect([...short.answered]).toEqual([1]);
    expect(short.slotSuccess.get(1)).toBe(false);
    collector.onReply(b.worker.id, {
      type: 'metrics',
      requestId: requestIdOf(b.received),
      ...fullReply(await snapshot(2)),
    });
    expect([...(await long).answered].sort()).toEqual([1, 2]);
  });
});
