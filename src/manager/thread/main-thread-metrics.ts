// The main thread's own metrics for one scrape, asked for with the collection's deadline: late, its
// last ones are carried and the part flagged (cluster_manager_scrape_success 0), as a slow worker's
// slot is, so a short scrape timeout or a GC pause does not make a healthy cluster `up` 0. Silent
// past MAIN_THREAD_DEADLINE_MS it is a stuck manager: 503 manager_unresponsive.
import { HttpError } from '../../http-errors.js';
import type { Logger } from '../../logger.js';
import type { MetricFamily, MetricsSnapshot } from '../../metrics/snapshot.js';
import { MAIN_THREAD_DEADLINE_MS, MainThreadUnresponsiveError } from './main-thread-calls.js';

export interface MainThreadMetricsDeps {
  /** Rejects with MainThreadUnresponsiveError by the deadline. */
  read: (deadlineMs: number) => Promise<MetricsSnapshot>;
  unansweredForMs: () => number;
  logger: Logger;
}

function successFamily(answered: boolean): MetricFamily {
  return {
    name: 'cluster_manager_scrape_success',
    help: "1 if the manager's main thread answered this scrape in time, else 0 (its last values are then repeated).",
    type: 'gauge',
    aggregator: 'first',
    values: [{ value: answered ? 1 : 0, labels: {} }],
  };
}

export class MainThreadMetrics {
  /** Repeated while the main thread does not answer in time. */
  private last: MetricsSnapshot = [];

  constructor(private readonly deps: MainThreadMetricsDeps) {}

  /** By `deadlineMs`; rejects only once the main thread is silent as long as /livez allows. */
  async read(deadlineMs: number): Promise<MetricsSnapshot> {
    try {
      this.last = await this.deps.read(deadlineMs);
      return [...this.last, successFamily(true)];
    } catch (error) {
      if (error instanceof MainThreadUnresponsiveError) {
        // This scrape's own call counts too: it was sent deadlineMs ago.
        const silentMs = Math.max(deadlineMs, this.deps.unansweredForMs());
        if (silentMs >= MAIN_THREAD_DEADLINE_MS) throw error;
      } else if (error instanceof HttpError) {
        throw error;
      } else {
        // A bug in the read: logged; the scrape is served, the part flagged.
        this.deps.logger.error({ err: error }, "reading the main thread's metrics failed");
      }
      return [...this.last, successFamily(false)];
    }
  }
}
