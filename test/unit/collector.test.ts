// The collection protocol's timing rules, with stand-in workers that answer (or not) on cue.
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MetricsCollector } from '../../src/manager/collector.js';
import type { ManagedWorker } from '../../src/manager/managed-worker.js';
import { MetricsLedger } from '../../src/manager/metrics-ledger.js';
import { snapshotOf } from '../../src/metrics/snapshot.js';
import type { ManagerMessage, MetricsSnapshot } from '../../src/protocol.js';

async function snapshot(count: number): Promise<MetricsSnapshot> {
  const registry = new Registry();
  new Counter({ name: 'n_total', help: 'h', registers: [registry] }).inc(count);
  return snapshotOf(registry);
}

function fullReply(metrics: MetricsSnapshot) {
  return { base: null, families: metrics.map((family) => ({ family })) };
}

function standIn(id: number, slot: number) {
  const received: ManagerMessage[] = [];
  const worker = {
    id,
    slot,
    state: 'ready',
    send: (message: ManagerMessage) => {
      received.push(message);
      return true;
    },
  } as unknown as ManagedWorker;
  return { worker, received };
}

function requestIdOf(messages: ManagerMessage[]): number {
  const last = messages.at(-1);
  if (last?.type !== 'collect-metrics') throw new Error('no collect request');
  return last.requestId;
}

describe('MetricsCollector', () => {
  it('shares one collection between overlapping scrapes', async () => {
    const a = standIn(1, 0);
    const collector = new MetricsCollector(new MetricsLedger(), 1_000, () => [a.worker]);
    const first = collector.collect();
    const second = collector.collect();
    expect(a.received).toHaveLength(1);
    collector.onReply(a.worker, {
      type: 'metrics',
      requestId: requestIdOf(a.received),
      ...fullReply(await snapshot(1)),
    });
    const [x, y] = await Promise.all([first, second]);
    expect(x).toBe(y);
    expect([...x.answered]).toEqual([1]);
    expect(x.slotSuccess.get(0)).toBe(true);
  });

  it('reports a silent worker as failed after the deadline, without waiting longer', async () => {
    const a = standIn(1, 0);
    const b = standIn(2, 1);
    const ledger = new MetricsLedger();
    const collector = new MetricsCollector(ledger, 150, () => [a.worker, b.worker]);
    const started = Date.now();
    const pending = collector.collect();
    collector.onReply(a.worker, {
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
    const collector = new MetricsCollector(ledger, 50, () => [a.worker]);
    await collector.collect(); // times out
    const stale = requestIdOf(a.received);
    const next = collector.collect();
    collector.onReply(a.worker, {
      type: 'metrics',
      requestId: stale,
      ...fullReply(await snapshot(99)),
    });
    expect(ledger.baseFor(1)).toBeNull();
    collector.onReply(a.worker, {
      type: 'metrics',
      requestId: requestIdOf(a.received),
      ...fullReply(await snapshot(5)),
    });
    expect((await next).answered.has(1)).toBe(true);
  });

  it('stops waiting for a worker that left, without marking its slot failed', async () => {
    const a = standIn(1, 0);
    const collector = new MetricsCollector(new MetricsLedger(), 5_000, () => [a.worker]);
    const started = Date.now();
    const pending = collector.collect();
    collector.onGone(a.worker);
    const result = await pending;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(result.slotSuccess.has(0)).toBe(false);
  });

  it('does not ask workers that are still booting', async () => {
    const a = standIn(1, 0);
    (a.worker as { state: string }).state = 'starting';
    const collector = new MetricsCollector(new MetricsLedger(), 1_000, () => [a.worker]);
    const result = await collector.collect();
    expect(a.received).toEqual([]);
    expect(result.slotSuccess.size).toBe(0);
  });
});
