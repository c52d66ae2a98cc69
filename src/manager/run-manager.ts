// Manager boot: validate config, open the manager endpoint, fork the workers, and map signals
// to supervisor actions. Exits 0 after a clean shutdown, 1 when it gave up (crash loop, fatal
// error), 2 on bad configuration.
import http from 'node:http';
import { ConfigError, loadConfig, MAX_WORKERS, type Config, type LogLevel } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { VERSION } from '../version.js';
import { answerClientError } from './client-error.js';
import { METRICS_SOCKET_ENV } from '../protocol.js';
import { ClusterMetrics } from './cluster-metrics.js';
import { createManagerServer } from './http-server.js';
import { ManagerMetrics } from './manager-metrics.js';
import { MetricsHub } from './metrics-hub.js';
import { Supervisor } from './supervisor.js';

export async function runManager(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  // Workers inherit the environment and run application code; admin calls are the manager's
  // alone, so the token stays here.
  delete process.env.ADMIN_TOKEN;
  const logger = createLogger(config.logLevel, { role: 'manager' });

  // Metrics work (worker links, merging, rendering) runs on a thread of its own: this thread
  // accepts every API connection and must stay free for that.
  let hub: MetricsHub;
  try {
    hub = new MetricsHub(logger, config.logLevel, config.metricsThreadNice);
    await hub.ready();
  } catch (error) {
    logger.fatal({ err: error }, 'cannot start the metrics thread');
    process.exit(1);
  }
  // Forked workers inherit the environment: this is how they find the metrics link.
  process.env[METRICS_SOCKET_ENV] = hub.socketPath;

  // Wired in dependency order: the supervisor announces, the metrics listen.
  const supervisor = new Supervisor(config, logger, VERSION);
  const managerMetrics = new ManagerMetrics(supervisor);
  supervisor.on('heartbeat', (worker, beat, previous) =>
    managerMetrics.onHeartbeat(worker, beat, previous),
  );
  supervisor.on('restart', (slot, reason) => managerMetrics.onRestart(slot, reason));
  supervisor.on('stall', () => managerMetrics.onStall());
  supervisor.on('worker-gone', (worker) => hub.workerGone(worker.id));
  const clusterMetrics = new ClusterMetrics(
    hub,
    managerMetrics,
    () => supervisor.list().map(({ id, slot, state }) => ({ id, slot, state })),
    config.metricsCollectTimeoutMs,
  );

  const setLogLevel = (level: LogLevel) => {
    logger.level = level;
    // Workers forked from now on (reload, replacement, scale-up, recycling) start at it too.
    process.env.LOG_LEVEL = level;
    hub.setLogLevel(level);
    for (const worker of supervisor.list()) worker.send({ type: 'set-log-level', level });
    logger.info({ logLevel: level }, 'log level changed');
  };
  const server = createManagerServer({
    supervisor,
    metrics: clusterMetrics,
    adminToken: config.adminToken,
    logger,
    setLogLevel,
    limits: {
      headersTimeoutMs: config.httpHeadersTimeoutMs,
      keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs,
      maxConnections: config.metricsMaxConnections,
      maxConcurrentScrapes: config.metricsMaxScrapes,
    },
  });
  // Requests its parser rejects get the endpoint's JSON error shape, not an empty body.
  server.on('clientError', answerClientError);
  try {
    await listen(server, config.metricsPort, config.metricsHost);
  } catch (error) {
    logger.fatal(
      { err: error },
      `cannot open the manager endpoint on ${config.metricsHost}:${config.metricsPort}`,
    );
    process.exit(1);
  }

  const finish = async () => {
    await supervisor.shutdown();
    server.close();
    server.closeAllConnections();
    await hub.close();
    logger.info({ exitCode: supervisor.exitCode }, 'manager exiting');
    process.exit(supervisor.exitCode);
  };
  // Every way out (signal, crash loop, fatal error) starts the supervisor's shutdown; this ends
  // the process once it has drained.
  void supervisor.shutdownBegun.then(finish);
  installSignals(supervisor, logger, config);
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'manager crashed; shutting down the workers');
    void supervisor.shutdown(1);
  });

  logger.info(
    {
      workers: config.workers,
      workersFrom: config.workersSource,
      api: `${config.host}:${config.port}`,
      manager: `${config.metricsHost}:${config.metricsPort}`,
      adminEnabled: config.adminToken !== undefined,
      version: VERSION,
    },
    'manager started',
  );
  supervisor.start();
}

function installSignals(supervisor: Supervisor, logger: Logger, config: Config): void {
  let interrupts = 0;
  const stop = (signal: NodeJS.Signals) => {
    if (signal === 'SIGINT') interrupts += 1;
    if (interrupts > 1) {
      // A second Ctrl-C means "now": no more waiting for drains.
      logger.warn({ signal }, 'second interrupt: killing workers immediately');
      supervisor.killAll();
      process.exit(1);
    }
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'graceful shutdown requested');
    void supervisor.shutdown();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: rolling reload');
    void supervisor.reload();
  });
  // At a bound the signal changes nothing, and the log says so rather than announce a step.
  process.on('SIGTTIN', () => {
    const workers = Math.min(supervisor.desiredWorkers + 1, MAX_WORKERS);
    if (workers === supervisor.desiredWorkers) {
      logger.warn({ workers }, 'SIGTTIN: already at MAX_WORKERS; unchanged');
      return;
    }
    logger.info({ workers }, 'SIGTTIN: one worker more');
    supervisor.scaleTo(workers);
  });
  process.on('SIGTTOU', () => {
    const workers = Math.max(supervisor.desiredWorkers - 1, 1);
    if (workers === supervisor.desiredWorkers) {
      logger.warn({ workers }, 'SIGTTOU: already at one worker; unchanged');
      return;
    }
    logger.info({ workers }, 'SIGTTOU: one worker fewer');
    supervisor.scaleTo(workers);
  });
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
