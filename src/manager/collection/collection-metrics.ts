// The metrics about collection itself, owned where collection happens (the metrics thread).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { snapshotOf, type MetricsSnapshot } from '../../metrics/snapshot.js';
import type { Collection, CollectionFailure } from './collector.js';

const FAILURES: readonly CollectionFailure[] = ['unreachable', 'timeout'];

export class CollectionMetrics {
  private readonly registry = new Registry();
  private readonly scrapeSuccess: Gauge<'slot'>;
  private readonly failures: Counter<'slot' | 'reason'>;
  private readonly duration: Histogram;
  private lastCollectionId: number | null = null;

  constructor() {
    const registers = [this.registry];
    this.scrapeSuccess = new Gauge({
      name: 'cluster_worker_scrape_success',
      help: '1 if every worker of the slot answered the last metrics collection in time, else 0 (its gauges are then left out).',
      labelNames: ['slot'],
      registers,
    });
    this.failures = new Counter({
      name: 'cluster_worker_collection_failures_total',
      help: 'Metrics collections (for scrapes or checkpoints) a worker of the slot failed: unreachable (no open metrics link), timeout (no answer by the deadline). Its counts arrive with its next answer.',
      labelNames: ['slot', 'reason'],
      registers,
    });
    this.duration = new Histogram({
      name: 'cluster_scrape_duration_seconds',
      help: 'Time the manager spent collecting worker metrics for one scrape.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
  }

  countFailure(slot: number, reason: CollectionFailure): void {
    this.failures.inc({ slot: String(slot), reason });
  }

  async snapshot(collection: Collection): Promise<MetricsSnapshot> {
    // Overlapping scrapes share one collection: time it once.
    if (collection.id !== this.lastCollectionId) this.duration.observe(collection.durationSeconds);
    this.lastCollectionId = collection.id;
    this.scrapeSuccess.reset();
    for (const [slot, ok] of collection.slotSuccess) {
      this.scrapeSuccess.set({ slot: String(slot) }, ok ? 1 : 0);
      // Every slot collected from has both series from its first scrape (0 until a failure), so
      // increase() sees the first failure.
      for (const reason of FAILURES) this.failures.inc({ slot: String(slot), reason }, 0);
    }
    return snapshotOf(this.registry);
  }
}
