// The cluster's /metrics, computed on the metrics thread: collect from the workers (over their
// links), merge with carry-over, add the manager's own metrics, render in the format asked for.
// Transport-free, so the same object runs in the thread and in unit tests.
import { isGaugeNamedLikeCounter } from '../../metrics/aggregation-rules.js';
import type { ContentType, MetricsSnapshot } from '../../metrics/snapshot.js';
import type { CollectMetricsMessage, MetricsReplyMessage } from '../../protocol.js';
import { CollectionMetrics } from './collection-metrics.js';
import { MetricsCollector, type Collection, type CollectTarget } from './collector.js';
import { MetricsLedger, type AllocateBody } from '../aggregation/metrics-ledger.js';
import type { WorkerState } from '../supervision/lifecycle.js';

/** A worker as the supervisor knows it. */
export interface WorkerRef {
  id: number;
  slot: number;
  state: WorkerState;
}

export interface ScrapeInput {
  workers: readonly WorkerRef[];
  timeoutMs: number;
  contentType: ContentType;
  /** The manager's own metrics; may still be on their way while the workers are collected. */
  manager: MetricsSnapshot | Promise<MetricsSnapshot>;
}

export class MetricsAggregator {
  readonly ledger = new MetricsLedger();
  private readonly collectionMetrics = new CollectionMetrics();
  readonly collector = new MetricsCollector(this.ledger, (slot, reason) =>
    this.collectionMetrics.countFailure(slot, reason),
  );
  /** Workers that handed in their final metrics: when their link closes, they left. */
  private readonly departed = new Set<number>();

  /** @param send delivers a collection request to a worker; false if it cannot be reached. */
  constructor(
    private readonly send: (workerId: number, message: CollectMetricsMessage) => boolean,
  ) {}

  /** The exposition, UTF-8, in bytes from `allocate` (a fresh array unless given). */
  async scrape(input: ScrapeInput, allocate?: AllocateBody): Promise<Uint8Array> {
    const collection: Collection = await this.collect(input.workers, input.timeoutMs);
    const manager = await input.manager;
    // The per-type gauges beside the dropped *_total ones carry the same numbers.
    const own = [...manager, ...(await this.collectionMetrics.snapshot(collection))].filter(
      (family) => !isGaugeNamedLikeCounter(family),
    );
    return this.ledger.renderBytes(collection.answered, own, input.contentType, allocate);
  }

  /**
   * A collection no scrape asked for (metrics-checkpoints.ts): every worker's newest counts reach
   * the ledger, so a worker killed without warning loses only what it counted after it. Renders
   * nothing; a scrape that arrives meanwhile shares it.
   */
  checkpoint(workers: readonly WorkerRef[], timeoutMs: number): Promise<Collection> {
    return this.collect(workers, timeoutMs);
  }

  /** Milliseconds since the last collection started; null before any. */
  msSinceLastCollection(): number | null {
    return this.collector.msSinceLastCollection();
  }

  onReply(workerId: number, message: MetricsReplyMessage): void {
    this.collector.onReply(workerId, message);
  }

  /** A leaving worker's last words: everything it counted, recorded before it exits. */
  onFinalMetrics(workerId: number, metrics: MetricsSnapshot): void {
    this.ledger.record(workerId, metrics);
    this.departed.add(workerId);
  }

  /**
   * The worker's link closed: it cannot answer the collection in progress. After its final
   * metrics that is a worker leaving (not a failed collection of its slot); before, a failure.
   */
  onLinkClosed(workerId: number): void {
    if (this.departed.has(workerId)) this.collector.onGone(workerId);
    else this.collector.onUnreachable(workerId);
  }

  /** The worker has exited and its link has delivered all it will: carry its totals over. */
  async onWorkerGone(workerId: number): Promise<void> {
    await this.ledger.retire(workerId);
    this.departed.delete(workerId);
    this.collector.onGone(workerId);
  }

  private collect(workers: readonly WorkerRef[], timeoutMs: number): Promise<Collection> {
    const targets: CollectTarget[] = workers.map((worker) => ({
      ...worker,
      send: (message) => this.send(worker.id, message),
    }));
    return this.collector.collect(targets, timeoutMs);
  }
}
