// Entry of the manager's metrics thread: the manager endpoint and everything heavy about /metrics
// (links, merging, rendering), off the main thread that accepts every API connection. What only
// the main thread knows (the supervisor, its own metrics) it asks for by message.
import { once } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { createLogger } from '../logger.js';
import { snapshotOf, type MetricsSnapshot } from '../metrics/snapshot.js';
import { ClusterMetrics } from './collection/cluster-metrics.js';
import { createManagerServer } from './endpoint/http-server.js';
import { MainThreadCalls } from './thread/main-thread-calls.js';
import { startCheckpoints } from './collection/metrics-checkpoints.js';
import {
  MANAGER_METRICS_PREFIX,
  registerProcessWideMetrics,
} from '../metrics/process-wide-metrics.js';
import { niceThisThread } from './thread/thread-priority.js';
import { MainThreadMetrics } from './thread/main-thread-metrics.js';
import type {
  FromMetricsThread,
  MetricsThreadOptions,
  ToMetricsThread,
} from './thread/metrics-thread-protocol.js';
import { WorkerLinks } from './collection/worker-links.js';

/** How long a gone worker's link may take to hand over its last bytes. */
const LINK_DRAIN_GRACE_MS = 1_000;

const port = parentPort;
if (!port) throw new Error('metrics-thread.ts runs as a worker thread');
const config = workerData as MetricsThreadOptions;
const logger = createLogger(config.logLevel, { role: 'manager', thread: 'metrics' });
niceThisThread(config.metricsThreadNice, logger);

const post = (message: FromMetricsThread) => port.postMessage(message);
const calls = new MainThreadCalls(post);

// The manager's process-wide metrics (CPU, memory, descriptors): the same values from any thread,
// read here so that the main thread does not list /proc/self/fd at every scrape.
const processWide = new Registry();
registerProcessWideMetrics(processWide, MANAGER_METRICS_PREFIX);
const readProcessWide = (): Promise<MetricsSnapshot> =>
  snapshotOf(processWide).catch((error: unknown) => {
    logger.error({ err: error }, 'reading the manager process metrics failed');
    return [];
  });
const mainMetrics = new MainThreadMetrics({
  read: (deadlineMs) => calls.call('managerMetrics', [], deadlineMs),
  unansweredForMs: () => calls.unansweredForMs(),
  logger,
});

// Requests go out over the links; what comes back over them goes to the cluster's metrics.
const metrics: ClusterMetrics = new ClusterMetrics({
  send: (workerId, message) => links.send(workerId, message),
  drained: (workerId) => links.drained(workerId, LINK_DRAIN_GRACE_MS),
  readManager: async (deadlineMs) => {
    // The main thread is asked at once; the process-wide read waits a microtask, until the
    // collection's requests are out.
    const main = mainMetrics.read(deadlineMs);
    main.catch(() => undefined);
    await null;
    const wide = await readProcessWide();
    return [...(await main), ...wide];
  },
});
const links: WorkerLinks = new WorkerLinks(metrics, logger);

port.on('message', (message: ToMetricsThread) => {
  switch (message.type) {
    case 'answer':
    case 'late':
      calls.onReply(message);
      return;
    case 'workers':
      // A failure here is logged, not left to end the thread (and restart the totals with it).
      metrics
        .setWorkers(message.workers)
        .catch((error: unknown) => logger.error({ err: error }, 'retiring a worker failed'));
      return;
    case 'set-log-level':
      logger.level = message.level;
      return;
    case 'ping':
      post({ type: 'pong' });
      return;
  }
});

const server = createManagerServer({ control: calls, metrics, config, logger });

await links.listen(config.socketPath);
try {
  // Rejects if the server emits 'error' (EADDRINUSE, a bad host) before it listens.
  await once(server.listen(config.metricsPort, config.metricsHost), 'listening');
} catch (error) {
  post({ type: 'endpoint-failed', message: String(error) });
  process.exit(1);
}
post({ type: 'listening' });

startCheckpoints(metrics, {
  intervalMs: config.metricsCheckpointMs,
  timeoutMs: config.metricsCollectTimeoutMs,
  logger,
});
