// ClusterMetrics owns a scrape: the manager's own families join the workers', in the format
// asked for; a manager read that fails the scrape (503) fails it. A worker that leaves during a
// collection hands in its final metrics and then its link closes: it left, it did not fail, so
// its slot's cluster_worker_scrape_success stays 1; a link closed without final words did fail.
// A worker missing from the supervisor's list was reaped: once its link drained, its counts are
// carried over (the one route of a departure to the ledger).
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  ClusterMetrics,
  type ClusterMetricsDeps,
} from '../../../../src/manager/collection/cluster-metrics.js';
import { MainThreadUnresponsiveError } from '../../../../src/manager/thread/main-thread-calls.js';
import type { CollectMetricsMessage } from '../../../../src/protocol.js';
import { snapshotOf, type MetricsSnapshot } from '../../../../src/metrics/snapshot.js';
import { MetricsEncoder } from '../../../../src/worker/metrics-encoder.js';

const overTheWire = <T>(message: T): T => JSON.parse(JSON.stringify(message)) as T;
const text = (body: Uint8Array) => new TextDecoder().decode(body);

const gauge = (name: string, value: number): MetricsSnapshot[number] => ({
  name,
  help: `${name} help`,
  type: 'gauge',
  aggregator: 'first',
  values: [{ value, labels: {} }],
});

function workerRegistry(): Registry {
  const registry = new Registry();
  new Counter({ name: 'jobs_total', help: 'Jobs.', registers: [registry] }).inc(2);
  return registry;
}

function clusterMetrics(overrides: Partial<ClusterMetricsDeps> = {}) {
  const requests = new Map<number, CollectMetricsMessage>();
  const metrics = new ClusterMetrics({
    send: (workerId, message) => {
      requests.set(workerId, message);
      return true;
    },
    drained: () => Promise.resolve(),
    readManager: () => Promise.resolve([gauge('manager_gauge', 1)]),
    ...overrides,
  });
  return { metrics, requests };
}

/** Two workers in slot 0: the first answers, the second goes away as `how` says. */
async function scrapeWithLeaver(
  how: 'final words, then link closed' | 'link closed',
): Promise<string> {
  const { metrics, requests } = clusterMetrics();
  await metrics.setWorkers([
    { id: 1, slot: 0, state: 'ready' },
    { id: 2, slot: 0, state: 'stopping' },
  ]);
  const scrape = metrics.scrape({
    timeoutMs: 5_000,
    contentType: Registry.PROMETHEUS_CONTENT_TYPE,
  });
  const request = requests.get(1)!;
  const reply = await new MetricsEncoder(workerRegistry()).encode(request.requestId, request.have);
  metrics.onReply(1, overTheWire(reply));
  if (how === 'final words, then link closed') {
    metrics.onFinalMetrics(2, overTheWire(await snapshotOf(workerRegistry())));
  }
  metrics.onLinkClosed(2);
  return text(await scrape);
}

describe('ClusterMetrics', () => {
  it("adds the manager's families, in the format asked for", async () => {
    const { metrics } = clusterMetrics();
    const body = text(
      await metrics.scrape({ timeoutMs: 50, contentType: Registry.OPENMETRICS_CONTENT_TYPE }),
    );
    expect(body).toMatch(/^manager_gauge 1$/m);
    expect(body).toMatch(/# EOF\n$/);
  });

  it("asks for the manager's families with the collection's deadline; their failure fails the scrape", async () => {
    const deadlines: number[] = [];
    const { metrics } = clusterMetrics({
      readManager: (deadlineMs) => {
        deadlines.push(deadlineMs);
        return Promise.reject(new MainThreadUnresponsiveError(deadlineMs));
      },
    });
    const failed = await metrics
      .scrape({ timeoutMs: 40, contentType: Registry.PROMETHEUS_CONTENT_TYPE })
      .catch((e: unknown) => e);
    expect(failed).toMatchObject({ status: 503, code: 'manager_unresponsive' });
    expect(deadlines).toEqual([40]);
  });

  it('a worker that handed in its final metrics mid-collection does not fail its slot', async () => {
    const body = await scrapeWithLeaver('final words, then link closed');
    expect(body).toContain('cluster_worker_scrape_success{slot="0"} 1\n');
    // Both workers' counts are in the total.
    expect(body).toContain('jobs_total 4\n');
  });

  it('a worker whose link closed without final words did fail it', async () => {
    const body = await scrapeWithLeaver('link closed');
    expect(body).toContain('cluster_worker_scrape_success{slot="0"} 0\n');
  });

  it('retires a reaped worker only once its link has drained, keeping its counts in the total', async () => {
    let drain = () => undefined as void;
    const draining: number[] = [];
    const { metrics, requests } = clusterMetrics({
      drained: (workerId) => {
        draining.push(workerId);
        return new Promise<void>((resolve) => (drain = resolve));
      },
    });
    const scrape = async () => {
      requests.clear();
      const pending = metrics.scrape({
        timeoutMs: 50,
        contentType: Registry.PROMETHEUS_CONTENT_TYPE,
      });
      const request = requests.get(1);
      if (request) {
        const encoder = new MetricsEncoder(workerRegistry());
        metrics.onReply(1, overTheWire(await encoder.encode(request.requestId, request.have)));
      }
      return text(await pending);
    };
    await metrics.setWorkers([{ id: 1, slot: 0, state: 'ready' }]);
    expect(await scrape()).toContain('jobs_total 2\n');

    let retired = false;
    const reaped = metrics.setWorkers([]).then(() => (retired = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(draining).toEqual([1]);
    expect(retired).toBe(false);
    drain();
    await reaped;
    // Not asked any more, and what it counted is still in the total.
    const after = await scrape();
    expect(requests.size).toBe(0);
    expect(after).toContain('jobs_total 2\n');
  });
});
