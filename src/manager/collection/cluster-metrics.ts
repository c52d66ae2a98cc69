// The cluster's /metrics: one object owns a scrape from request to body, the checkpoints between
// scrapes, and every worker's link events and departure. Transport-free: the metrics thread wires
// it to the links and the main thread, and the differential oracle drives it directly.
import { isGaugeNamedLikeCounter } from '../../metrics/aggregation-rules.js';
import type { ContentType, MetricsSnapshot } from '../../metrics/snapshot.js';
import type { CollectMetricsMessage, MetricsReplyMessage } from '../../protocol.js';
import { MetricsLedger, type LedgerLayers } from '../aggregation/metrics-ledger.js';
import type { WorkerRef } from '../supervision/lifecycle.js';
import { CollectionMetrics } from './collection-metrics.js';
import { MetricsCollector, type Collection } from './collector.js';
import type { LinkEvents } from './worker-links.js';

export interface ClusterMetricsDeps {
  /** False if the worker cannot be reached. */
  send(workerId: number, message: CollectMetricsMessage): boolean;
  /** Resolves once a reaped worker's link has delivered all it will (or its grace ran out). */
  drained(workerId: number): Promise<void>;
  /** The manager's own families; a rejection fails the scrape. */
  readManager(deadlineMs: number): Promise<MetricsSnapshot>;
  /** For the oracle and the bench's ablation rows. */
  layersOff?: Partial<LedgerLayers>;
}

export interface ScrapeRequest {
  contentType: ContentType;
  /** The collection's deadline (the endpoint fits it to the scraper's timeout). */
  timeoutMs: number;
}

export class ClusterMetrics implements LinkEvents {
  readonly ledger: MetricsLedger;
  private readonly collectionMetrics = new CollectionMetrics();
  private readonly collector: MetricsCollector;
  /** Workers that handed in their final metrics: when their link closes, they left. */
  private readonly departed = new Set<number>();
  private workers: readonly WorkerRef[] = [];

  constructor(private readonly deps: ClusterMetricsDeps) {
    this.ledger = new MetricsLedger(deps.layersOff);
    this.collector = new MetricsCollector(
      this.ledger,
      (workerId, message) => deps.send(workerId, message),
      (slot, reason) => this.collectionMetrics.countFailure(slot, reason),
    );
  }

  async scrape(request: ScrapeRequest): Promise<Uint8Array> {
    // Asked first, so the main thread reads its own while the workers encode; marked handled
    // now, as it may reject before the collection ends.
    const manager = this.deps.readManager(request.timeoutMs);
    manager.catch(() => undefined);
    const collection = await this.collector.collect(this.workers, request.timeoutMs);
    // The per-type gauges beside the dropped *_total ones carry the same numbers.
    const own = [...(await manager), ...(await this.collectionMetrics.snapshot(collection))].filter(
      (family) => !isGaugeNamedLikeCounter(family),
    );
    return this.ledger.renderBytes(collection.answered, own, request.contentType);
  }

  /** A collection no scrape asked for (metrics-checkpoints.ts); a scrape meanwhile shares it. */
  checkpoint(timeoutMs: number): Promise<Collection> {
    return this.collector.collect(this.workers, timeoutMs);
  }

  msSinceLastCollection(): number | null {
    return this.collector.msSinceLastCollection();
  }

  onReply(workerId: number, message: MetricsReplyMessage): void {
    this.collector.onReply(workerId, message);
  }

  /** A leaving worker's last words: everything it counted, recorded before it exits. */
  onFinalMetrics(workerId: number, metrics: MetricsSnapshot, exemplars?: unknown): void {
    this.ledger.record(workerId, metrics);
    this.ledger.exemplars.add(exemplars);
    this.departed.add(workerId);
  }

  /** After its final metrics a closed link is a worker leaving; before, a failed collection. */
  onLinkClosed(workerId: number): void {
    this.collector.stopWaiting(workerId, this.departed.has(workerId) ? 'gone' : 'unreachable');
  }

  /**
   * The supervisor's workers changed. One missing from the new list has been reaped: once its
   * link has delivered all it will, its totals are carried over (the one route by which a
   * departure, killed or drained, reaches the ledger). Resolves once each is retired.
   */
  async setWorkers(workers: readonly WorkerRef[]): Promise<void> {
    const present = new Set(workers.map(({ id }) => id));
    const gone = this.workers.filter(({ id }) => !present.has(id));
    this.workers = workers;
    await Promise.all(gone.map(({ id }) => this.retire(id)));
  }

  private async retire(workerId: number): Promise<void> {
    await this.deps.drained(workerId);
    await this.ledger.retire(workerId);
    this.departed.delete(workerId);
    this.collector.stopWaiting(workerId, 'gone');
  }
}
