// Collections between scrapes, so that a worker killed without warning (SIGKILL, the OOM killer)
// loses at most METRICS_CHECKPOINT_MS of its counts, not a whole scrape interval: when no
// collection has started for that long, the metrics thread runs one. A checkpoint is an ordinary
// collection that renders nothing (same requests, deltas, ledger and deadline as a scrape's).
import type { Logger } from '../../logger.js';
import type { ClusterMetrics } from './cluster-metrics.js';

export interface MetricsCheckpointsOptions {
  /** METRICS_CHECKPOINT_MS: the longest time without a collection; 0 turns checkpoints off. */
  intervalMs: number;
  /** A checkpoint's deadline (METRICS_COLLECT_TIMEOUT_MS): a worker not answering by then is skipped. */
  timeoutMs: number;
  logger: Logger;
}

type CheckpointTarget = Pick<ClusterMetrics, 'checkpoint' | 'msSinceLastCollection'>;

export class MetricsCheckpoints {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Checkpoints run so far (for tests and logs). */
  runs = 0;

  constructor(
    private readonly metrics: CheckpointTarget,
    private readonly options: MetricsCheckpointsOptions,
  ) {}

  start(): void {
    if (this.options.intervalMs > 0) this.schedule(this.options.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    // Never keeps the thread alive by itself.
    this.timer = setTimeout(() => void this.tick(), delayMs).unref();
  }

  private async tick(): Promise<void> {
    const { intervalMs, timeoutMs, logger } = this.options;
    const since = this.metrics.msSinceLastCollection();
    if (since !== null && since < intervalMs) {
      // A scrape collected meanwhile: wait until the interval has passed since that one.
      this.schedule(intervalMs - since);
      return;
    }
    try {
      const collection = await this.metrics.checkpoint(timeoutMs);
      this.runs += 1;
      logger.debug(
        {
          answered: collection.answered.size,
          asked: collection.asked,
          durationMs: Math.round(collection.durationSeconds * 1e4) / 10,
        },
        'metrics checkpoint',
      );
    } catch (error) {
      // A bug in the collection must not end the thread (and restart the cluster's totals).
      logger.error({ err: error }, 'metrics checkpoint failed');
    }
    this.schedule(intervalMs);
  }
}
