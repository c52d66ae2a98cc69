// Entry of the manager's metrics thread (worker_threads). Everything heavy about /metrics runs
// here, off the main thread that accepts every API connection: reading the workers' replies
// from their links, merging as prom-client's aggregate() does, rendering, encoding. The main thread
// only forwards scrape requests, writes the finished bytes and gives their buffer back.
import { parentPort, workerData } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { createLogger } from '../logger.js';
import { snapshotOf } from '../metrics/snapshot.js';
import type { MetricsSnapshot } from '../protocol.js';
import { BodyBuffers } from './body-buffers.js';
import { MetricsAggregator } from './metrics-aggregator.js';
import { MANAGER_METRICS_PREFIX, registerProcessWideMetrics } from './process-wide-metrics.js';
import { niceThisThread } from './thread-priority.js';
import type {
  FromMetricsThread,
  MetricsThreadOptions,
  ToMetricsThread,
} from './metrics-thread-protocol.js';
import { WorkerLinks } from './worker-links.js';

/** How long a gone worker's link may take to hand over its last bytes. */
const LINK_DRAIN_GRACE_MS = 1_000;

const port = parentPort;
if (!port) throw new Error('metrics-thread.ts runs as a worker thread');
const options = workerData as MetricsThreadOptions;
const logger = createLogger(options.logLevel, { role: 'manager', thread: 'metrics' });
const priority = niceThisThread(options.nice);
if (priority.applied) logger.debug(priority, 'metrics thread priority lowered');
else if (options.nice !== 0) logger.warn(priority, 'metrics thread priority unchanged');

const post = (message: FromMetricsThread, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);

// Requests go out over the links; what comes back over them goes to the aggregator.
const aggregator: MetricsAggregator = new MetricsAggregator((workerId, message) =>
  links.send(workerId, message),
);
const links: WorkerLinks = new WorkerLinks(aggregator, logger);

const bodies = new BodyBuffers();

/** Scrapes whose manager metrics are still on their way from the main thread. */
const awaitingManager = new Map<number, (snapshot: MetricsSnapshot) => void>();

// The manager's process-wide metrics (CPU, memory, descriptors): the same values from any thread,
// read here so that the main thread does not list /proc/self/fd at every scrape.
const processWide = new Registry();
registerProcessWideMetrics(processWide, MANAGER_METRICS_PREFIX);

function readProcessWide(): Promise<MetricsSnapshot> {
  return snapshotOf(processWide).catch((error: unknown) => {
    logger.error({ err: error }, 'reading the manager process metrics failed');
    return [];
  });
}

port.on('message', (message: ToMetricsThread) => {
  switch (message.type) {
    case 'scrape': {
      const fromMain = new Promise<MetricsSnapshot>((resolve) =>
        awaitingManager.set(message.scrapeId, resolve),
      );
      // Read in a microtask, so after scrape() below has sent the collection requests (it does
      // before its first await): while the workers encode and this thread has nothing to do.
      const processRead = Promise.resolve().then(readProcessWide);
      const manager = Promise.all([fromMain, processRead]).then(([own, wide]) => [...own, ...wide]);
      aggregator
        .scrape({ ...message, manager }, (byteLength) => bodies.take(byteLength))
        .then(
          (body: Uint8Array) => {
            // A buffer of its own (not a slice of Node's pool), so it can be transferred, not copied.
            post({ type: 'scrape-done', scrapeId: message.scrapeId, body }, [
              body.buffer as ArrayBuffer,
            ]);
          },
          (error: unknown) => {
            logger.error({ err: error }, 'scrape failed');
            post({ type: 'scrape-failed', scrapeId: message.scrapeId, message: String(error) });
          },
        );
      return;
    }
    case 'manager-metrics':
      awaitingManager.get(message.scrapeId)?.(message.manager);
      awaitingManager.delete(message.scrapeId);
      return;
    case 'worker-gone':
      void links
        .drained(message.workerId, LINK_DRAIN_GRACE_MS)
        .then(() => aggregator.onWorkerGone(message.workerId));
      return;
    case 'body-returned':
      bodies.giveBack(message.buffer);
      return;
    case 'set-log-level':
      logger.level = message.level;
      return;
  }
});

await links.listen(options.socketPath);
post({ type: 'listening' });
