// Worker boot: build the app, listen, report ready, beat, answer metric collections, and drain
// when the manager says so. The worker never decides its own fate beyond that: the manager
// supervises, so a worker only exits when told to, when its manager is gone, or when it fails.
import cluster from 'node:cluster';
import { once } from 'node:events';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { handleClientError } from '../app/client-error.js';
import { createApp } from '../app/create-app.js';
import { handleExpectations } from '../app/request-preconditions.js';
import { secureResponseClass } from '../app/security-headers.js';
import { createLoadShedder } from '../app/load-shedding.js';
import { loadConfig, type Config } from '../config.js';
import { createLogger, rateLimitedLog, type Logger } from '../logger.js';
import { registerBuildInfo } from '../metrics/build-info.js';
import { createHttpMetrics } from '../metrics/http-metrics.js';
import { createShedMetrics } from '../metrics/shed-metrics.js';
import { METRICS_SOCKET_ENV, WORKER_SLOT_ENV, type StopReason } from '../protocol.js';
import { mapErrorStacks } from '../source-positions.js';
import { VERSION } from '../version.js';
import { startRequestTracing } from '../app/otlp-tracing.js';
import { withDeadline } from '../deadline.js';
import { createApiServer, type ApiServer } from './api-server.js';
import { listenOptions } from './listen-options.js';
import { ownConnectionBudget } from './descriptor-budget.js';
import { startHeartbeat } from './heartbeat.js';
import { MetricsLink } from './metrics-link.js';
import { onManagerMessage, sendToManager } from './ipc.js';
import { stackWatchdogFor } from './stack-watchdog.js';

/** extendRegistry: the benchmark's heavy synthetic series (bench/README.md); the service passes none. */
export async function runWorker(
  options: { extendRegistry?: (registry: Registry) => void } = {},
): Promise<void> {
  // The manager validated the same environment before forking, so this cannot fail here.
  const config = loadConfig();
  const slot = Number(process.env[WORKER_SLOT_ENV] ?? '0');
  const logger = createLogger(config.logLevel, { role: 'worker', slot });

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = createHttpMetrics(registry);
  registerBuildInfo(registry, { version: VERSION, slot });
  options.extendRegistry?.(registry);
  const socketPath = process.env[METRICS_SOCKET_ENV];
  const workerId = cluster.worker?.id;
  const link =
    socketPath && workerId !== undefined
      ? new MetricsLink({ socketPath, workerId, slot, registry, logger })
      : null;
  if (!link) logger.warn(`${METRICS_SOCKET_ENV} not set: this worker's metrics reach no manager`);
  const lifecycle = { draining: false };
  const shedder = createLoadShedder(config, {
    inFlight: () => api.counters.inFlight,
    metrics: createShedMetrics(registry),
    logger,
  });
  const tracer = await startRequestTracing(config.serviceName);
  const app = createApp({
    config,
    logger,
    metrics,
    lifecycle,
    shedder,
    tracer,
    slot,
    version: VERSION,
  });
  const api = createApiServer(app.callback(), {
    headersTimeoutMs: config.httpHeadersTimeoutMs,
    keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs,
    connectionMaxAgeMs: config.httpConnectionMaxAgeMs,
    ServerResponse: secureResponseClass,
    maxConnections: ownConnectionBudget(),
    onRefused: rateLimitedLog<void>((refused) =>
      logger.warn({ refused }, 'connection budget full (descriptor limit): refusing connections'),
    ),
  });
  // Requests Node's parser rejects get the API's JSON error shape too.
  api.server.on('clientError', handleClientError);
  // Expect headers answered by the app too: no 100 Continue for a body it will refuse.
  handleExpectations(api.server);
  // Each heartbeat is progress the stack watchdog sees (stack-watchdog.ts).
  const watchdog = stackWatchdogFor(config, logger);
  const heartbeat = startHeartbeat(config.heartbeatIntervalMs, api.counters, watchdog?.progress);
  // Each request reached is progress: beat if the timers had no chance to (heartbeat.ts).
  api.server.on('request', () => heartbeat.beatIfDue());

  const leave = async (reason: StopReason | 'manager_gone', timeoutMs: number) => {
    if (lifecycle.draining) return;
    lifecycle.draining = true;
    logger.info({ reason }, 'draining');
    const clean = await api.drain(timeoutMs);
    if (!clean) logger.warn({ reason }, 'drain timed out; closed remaining connections');
    heartbeat.stop();
    // Final words: everything this worker counted reaches the manager before it exits.
    if (link && !(await link.sendFinalMetrics(FINAL_METRICS_TIMEOUT_MS))) {
      logger.warn({ reason }, 'the manager did not confirm the final metrics');
    }
    // Spans still queued go out, but never hold the exit longer than the final metrics may.
    if (tracer) await withDeadline(tracer.shutdown(), FINAL_METRICS_TIMEOUT_MS, undefined);
    logger.info({ reason }, 'worker exiting');
    process.exit(0);
  };

  onManagerMessage((message) => {
    switch (message.type) {
      case 'drain':
        void leave(message.reason, message.timeoutMs);
        return;
      case 'set-log-level':
        logger.level = message.level;
        logger.info({ logLevel: message.level }, 'log level changed');
        return;
    }
  });
  // Ctrl-C and terminal hang-ups reach the whole process group; the manager coordinates those,
  // so workers ignore them instead of dying all at once. Job-control signals (scale requests
  // sent to the group) must not stop a worker either.
  for (const signal of ['SIGINT', 'SIGHUP', 'SIGTTIN', 'SIGTTOU'] as const) {
    process.on(signal, () => logger.debug({ signal }, 'signal ignored by worker'));
  }
  // SIGTERM sent to a worker directly is a request to leave gracefully.
  process.on('SIGTERM', () => void leave('shutdown', config.shutdownTimeoutMs));
  // An uncaught exception (or unhandled rejection) ends the worker as Node's default does, but
  // first logs it as a JSON line and hands over the counts since the last scrape (a SIGKILL loses
  // them, a crash need not). Exits 1 within the timeout whatever happens: the manager sees a crash.
  let crashing = false;
  process.on('uncaughtException', (error) => {
    if (crashing) return; // already on the way out
    crashing = true;
    // Positions in src/, not in the bundle: the map is read now, once, on the way out.
    mapErrorStacks(error);
    logger.fatal({ err: error }, 'worker crashed; handing over its metrics and exiting');
    setTimeout(() => process.exit(1), CRASH_FINAL_METRICS_TIMEOUT_MS + 250);
    // No new connections for a process in an unknown state; the manager replaces it.
    api.server.close();
    heartbeat.stop();
    if (!link) process.exit(1);
    void link
      .sendFinalMetrics(CRASH_FINAL_METRICS_TIMEOUT_MS)
      .catch(() => false)
      .then(() => process.exit(1));
  });
  // The manager died or cut us off (SIGKILL, the OOM killer). Node's cluster child would exit at
  // once on the IPC disconnect, resetting every accepted request, unless it was expected
  // (exitedAfterDisconnect, set here in cluster's own 'disconnect' handler before it decides):
  // this worker finishes what it accepted, bounded by its drain deadline, and leaves.
  const self = cluster.worker;
  self?.once('disconnect', () => (self.exitedAfterDisconnect = true));
  process.once('disconnect', () => void leave('manager_gone', config.shutdownTimeoutMs));

  await Promise.all([listen(api, config, logger), link?.connect()]);
  await sendToManager({ type: 'ready' });
  watchdog?.start();
  logger.info(
    { port: config.port, host: config.host, listenMode: config.listenMode },
    'worker ready',
  );
}

const FINAL_METRICS_TIMEOUT_MS = 2_000;
const CRASH_FINAL_METRICS_TIMEOUT_MS = 1_000;

async function listen(api: ApiServer, config: Config, logger: Logger): Promise<void> {
  try {
    // Rejects if the server emits 'error' (EADDRINUSE) before it listens.
    await once(api.server.listen(listenOptions(config)), 'listening');
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    const code = err.code ?? 'UNKNOWN';
    const message = `cannot listen on ${config.host}:${config.port}: ${err.message}`;
    logger.error({ code }, message);
    await sendToManager({ type: 'boot-failed', code, message });
    process.exit(1);
  }
}
