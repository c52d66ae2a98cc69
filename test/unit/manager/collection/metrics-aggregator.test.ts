// A worker that leaves during a collection hands in its final metrics and then its link closes
// (the process exits): it left, it did not fail. Its slot's cluster_worker_scrape_success must
// not turn 0 for it, while a worker whose link closed without final words did fail.
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MetricsAggregator } from '../../../../src/manager/collection/metrics-aggregator.js';
import type { CollectMetricsMessage } from '../../../../src/protocol.js';
import { snapshotOf } from '../../../../src/metrics/snapshot.js';
import { MetricsEncoder } from '../../../../src/worker/metrics-encoder.js';

const overTheWire = <T>(message: T): T => JSON.parse(JSON.stringify(message)) as T;

function workerRegistry(): Registry {
  const registry = new Registry();
  new Counter({ name: 'jobs_total', help: 'Jobs.', registers: [registry] }).inc(2);
  return registry;
}

/** Two workers in slot 0: the first answers, the second goes away as `how` says. */
async function scrapeWithLeaver(
  how: 'final words, then link closed' | 'link closed',
): Promise<string> {
  const requests = new Map<number, CollectMetricsMessage>();
  const aggregator = new MetricsAggregator((workerId, message) => {
    requests.set(workerId, message);
    return true;
  });
  const staying = workerRegistry();
  const leaving = workerRegistry();
  const scrape = aggregator.scrape({
    workers: [
      { id: 1, slot: 0, state: 'ready' },
      { id: 2, slot: 0, state: 'stopping' },
    ],
    timeoutMs: 5_000,
    contentType: Registry.PROMETHEUS_CONTENT_TYPE,
    manager: [],
  });
  const request = requests.get(1)!;
  aggregator.onReply(
    1,
    overTheWire(await new MetricsEncoder(staying).encode(request.requestId, request.have)),
  );
  if (how === 'final words, then link closed') {
    aggregator.onFinalMetrics(2, overTheWire(await snapshotOf(leaving)));
  }
  aggregator.onLinkClosed(2);
  return new TextDecoder().decode(await scrape);
}

describe('MetricsAggregator and a worker leaving mid-collection', () => {
  it('a worker that handed in its final metrics does not fail its slot', async () => {
    const text = await scrapeWithLeaver('final words, then link closed');
    expect(text).toContain('cluster_worker_scrape_success{slot="0"} 1\n');
    // Both workers' counts are in the total.
    expect(text).toContain('jobs_total 4\n');
  });

  it('a worker whose link closed without final words did fail it', async () => {
    const text = await scrapeWithLeaver('link closed');
    expect(text).toContain('cluster_worker_scrape_success{slot="0"} 0\n');
  });
});
