// The metrics about collection itself, owned where collection happens (the metrics thread): did
// each slot answer the last collection, and how long collections take.
import { Gauge, Histogram, Registry } from 'prom-client';
import { snapshotOf } from '../metrics/snapshot.js';
import type { MetricsSnapshot } from '../protocol.js';
import type { Collection } from './collector.js';

export class CollectionMetrics {
  private readonly registry = new Registry();
  private readonly scrapeSuccess: Gauge<'slot'>;
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
    this.duration = new Histogram({
      name: 'cluster_scrape_duration_seconds',
      help: 'Time the manager spent collecting worker metrics for one scrape.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
  }

  async snapshot(collection: Collection): Promise<MetricsSnapshot> {
    // Overlapping scrapes share one collection: time it once.
    if (collection.id !== this.lastCollectionId) this.duration.observe(collection.durationSeconds);
    this.lastCollectionId = collection.id;
    this.scrapeSuccess.reset();
    for (const [slot, ok] of collection.slotSuccess) {
      this.scrapeSuccess.set({ slot: String(slot) }, ok ? 1 : 0);
    }
    return snapshotOf(this.registry);
  }
}
