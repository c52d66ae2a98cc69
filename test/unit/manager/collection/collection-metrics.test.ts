// cluster_worker_collection_failures_total: every collection a slot's worker failed is counted
// once, by why: `unreachable` (no open metrics link, as while its socket is being made again) or
// `timeout` (asked, silent past the deadline). A worker that left with its final metrics did not
// fail. Once the worker answers again its counts arrive in full and the failures stop growing.
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ClusterMetrics } from '../../../../src/manager/collection/cluster-metrics.js';
import type { WorkerRef } from '../../../../src/manager/supervision/lifecycle.js';
import { snapshotOf } from '../../../../src/metrics/snapshot.js';
import type { CollectMetricsMessage } from '../../../../src/protocol.js';
import { MetricsEncoder } from '../../../../src/worker/metrics-encoder.js';

const overTheWire = <T>(message: T): T => JSON.parse(JSON.stringify(message)) as T;

const failures = (text: string, slot: number, reason: string) =>
  Number(
    new RegExp(
      `^cluster_worker_collection_failures_total\\{slot="${slot}",reason="${reason}"\\} (\\S+)$`,
      'm',
    ).exec(text)?.[1],
  );

/** A stand-in worker: its registry, and whether its link is up (else a request cannot be sent). */
function standIn(jobs: number) {
  const registry = new Registry();
  const counter = new Counter({ name: 'jobs_total', help: 'Jobs.', registers: [registry] });
  counter.inc(jobs);
  return { registry, counter, encoder: new MetricsEncoder(registry), linked: true };
}

describe('cluster_worker_collection_failures_total', () => {
  it('counts each failed collection once per slot, by reason, and stops once answers resume', async () => {
    const workers = new Map([
      [1, standIn(1)], // slot 0: answers
      [2, standIn(10)], // slot 1: its link is down (its socket is being made again)
      [3, standIn(100)], // slot 2: asked, never answers
      [4, standIn(1000)], // slot 3: leaves with its final metrics mid-collection
    ]);
    workers.get(2)!.linked = false;
    const requests = new Map<number, CollectMetricsMessage>();
    const refs: WorkerRef[] = [1, 2, 3, 4].map((id) => ({ id, slot: id - 1, state: 'ready' }));
    const metrics = new ClusterMetrics({
      send: (workerId, message) => {
        if (!workers.get(workerId)!.linked) return false;
        requests.set(workerId, message);
        return true;
      },
      drained: () => Promise.resolve(),
      readManager: () => Promise.resolve([]),
    });
    await metrics.setWorkers(refs);

    const scrape = async (answering: number[]) => {
      requests.clear();
      const pending = metrics.scrape({
        timeoutMs: 150,
        contentType: Registry.PROMETHEUS_CONTENT_TYPE,
      });
      for (const id of answering) {
        const request = requests.get(id);
        if (!request) continue;
        const reply = await workers.get(id)!.encoder.encode(request.requestId, request.have);
        metrics.onReply(id, overTheWire(reply));
      }
      return new TextDecoder().decode(await pending);
    };

    // A checkpoint counts as a collection too. Worker 4 leaves during it: final words, then its
    // link closes; it is gone from the next scrapes.
    const checkpoint = metrics.checkpoint(150);
    metrics.onReply(
      1,
      overTheWire(
        await workers.get(1)!.encoder.encode(requests.get(1)!.requestId, requests.get(1)!.have),
      ),
    );
    metrics.onFinalMetrics(4, overTheWire(await snapshotOf(workers.get(4)!.registry)));
    metrics.onLinkClosed(4);
    await checkpoint;
    // Reaped: gone from the supervisor's list.
    await metrics.setWorkers(refs.slice(0, 3));

    const first = await scrape([1]);
    expect(first).toContain('cluster_worker_scrape_success{slot="1"} 0\n');
    for (const [slot, unreachable, timeout] of [
      [0, 0, 0],
      [1, 2, 0],
      [2, 0, 2],
    ] as const) {
      expect(failures(first, slot, 'unreachable')).toBe(unreachable);
      expect(failures(first, slot, 'timeout')).toBe(timeout);
    }
    expect(first).not.toContain('slot="3",reason=');

    // Slot 1 counted on while unreachable; its link is back and it answers: nothing was lost.
    workers.get(2)!.counter.inc(5);
    workers.get(2)!.linked = true;
    const second = await scrape([1, 2, 3]);
    expect(second).toContain('cluster_worker_scrape_success{slot="1"} 1\n');
    expect(second).toContain(`jobs_total ${1 + 15 + 100 + 1000}\n`);
    expect(failures(second, 1, 'unreachable')).toBe(2);
    expect(failures(second, 2, 'timeout')).toBe(2);
  });
});
