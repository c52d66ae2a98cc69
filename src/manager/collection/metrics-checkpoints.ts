// Collections between scrapes, so that a worker killed without warning (SIGKILL, the OOM killer)
// loses at most METRICS_CHECKPOINT_MS of its counts: when no collection has started for that long,
// one runs. A checkpoint is an ordinary collection that renders nothing.
import type { Logger } from '../../logger.js';
import type { ClusterMetrics } from './cluster-metrics.js';

interface MetricsCheckpointsOptions {
  /** METRICS_CHECKPOINT_MS; 0 turns checkpoints off. */
  intervalMs: number;
  /** METRICS_COLLECT_TIMEOUT_MS. */
  timeoutMs: number;
  logger: Logger;
}

/** Returns the stop. */
export function startCheckpoints(
  metrics: Pick<ClusterMetrics, 'checkpoint' | 'msSinceLastCollection'>,
  { intervalMs, timeoutMs, logger }: MetricsCheckpointsOptions,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  // Never keeps the thread alive by itself.
  const schedule = (delayMs: number) => {
    if (!stopped) timer = setTimeout(() => void tick(), delayMs).unref();
  };
  const tick = async () => {
    const since = metrics.msSinceLastCollection();
    // A scrape collected meanwhile: wait until the interval has passed since that one.
    if (since !== null && since < intervalMs) return schedule(intervalMs - since);
    try {
      const collection = await metrics.checkpoint(timeoutMs);
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
    schedule(intervalMs);
  };
  if (intervalMs > 0) schedule(intervalMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
