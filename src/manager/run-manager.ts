// Manager boot: validate config, open the manager endpoint, fork the workers, and map signals
// to supervisor actions. Exits 0 after a clean shutdown, 1 when it gave up (crash loop, fatal
// error), 2 on bad configuration.
import fs from 'node:fs';
import { ConfigError, loadConfig, MAX_WORKERS, type Config, type LogLevel } from '../config.js';
import { TCP_MIGRATE_REQ_PATH, tcpMigrateReqWarning } from '../listen-mode.js';
import { createLogger, type Logger } from '../logger.js';
import { VERSION } from '../version.js';
import { METRICS_SOCKET_ENV } from '../protocol.js';
import { checkBindings } from './bind-probe.js';
import { SupervisionMetrics } from './supervision/supervision-metrics.js';
import { EndpointFailedError, MetricsHub } from './thread/metrics-hub.js';
import { mainThreadHandlers } from './thread/main-thread-calls.js';
import { Supervisor } from './supervision/supervisor.js';

export async function runManager(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
    // Resolves and listens for a moment on each address: one that cannot work is refused here.
    await checkBindings(config);
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

  // Wired in dependency order: the supervisor announces, the metrics listen.
  const supervisor = new Supervisor(config, logger, VERSION);
  const managerMetrics = new SupervisionMetrics(supervisor);
  supervisor.on('heartbeat', (slot, beat, last) => managerMetrics.onHeartbeat(slot, beat, last));
  supervisor.on('restart', (slot, reason) => managerMetrics.onRestart(slot, reason));
  supervisor.on('stall', () => managerMetrics.onStall());

  let hub: MetricsHub | undefined;
  const setLogLevel = (level: LogLevel) => {
    logger.level = level;
    // Workers forked from now on (reload, replacement, scale-up, recycling) start at it too.
    process.env.LOG_LEVEL = level;
    hub?.setLogLevel(level);
    for (const worker of supervisor.list()) worker.send({ type: 'set-log-level', level });
    logger.info({ logLevel: level }, 'log level changed');
  };

  // The manager endpoint and all metrics work (worker links, merging, rendering) run on a thread
  // of their own: with LISTEN_MODE=shared this thread accepts every API connection and must stay
  // free for that.
  try {
    hub = new MetricsHub(
      logger,
      {
        config,
        workers: () => supervisor.list().map(({ id, slot, state }) => ({ id, slot, state })),
      },
      mainThreadHandlers({ supervisor, managerMetrics, logger, setLogLevel }),
    );
    await hub.ready();
  } catch (error) {
    const message =
      error instanceof EndpointFailedError
        ? `cannot open the manager endpoint on ${config.metricsHost}:${config.metricsPort}`
        : 'cannot start the metrics thread';
    logger.fatal({ err: error }, message);
    process.exit(1);
  }
  const metricsHub = hub;
  // Forked workers inherit the environment: this is how they find the metrics link.
  process.env[METRICS_SOCKET_ENV] = metricsHub.socketPath;
  supervisor.on('workers-changed', () => metricsHub.workersChanged());

  const finish = async () => {
    await supervisor.shutdown();
    // Ends the endpoint with the thread that serves it.
    await metricsHub.close();
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
      listenMode: config.listenMode,
      adminEnabled: config.adminToken !== undefined,
      version: VERSION,
    },
    'manager started',
  );
  if (config.listenMode === 'reuseport') logMigrateReq(logger);
  supervisor.start();
}

/** reuseport: whether a closing worker's queued connections survive (src/listen-mode.ts). */
function logMigrateReq(logger: Logger): void {
  let value: string | undefined;
  try {
    value = fs.readFileSync(TCP_MIGRATE_REQ_PATH, 'utf8').trim();
  } catch {
    // Not there (a kernel before 5.14) or not readable: said below as unreadable.
  }
  logger.info(
    { tcpMigrateReq: value ?? null },
    'LISTEN_MODE=reuseport: every worker listens on the API port',
  );
  const warning = tcpMigrateReqWarning(value);
  if (warning !== undefined) logger.warn({ tcpMigrateReq: value ?? null }, warning);
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
  const step = (signal: NodeJS.Signals, by: number, bound: string, stepped: string) =>
    process.on(signal, () => {
      const workers = Math.min(Math.max(supervisor.desiredWorkers + by, 1), MAX_WORKERS);
      if (workers === supervisor.desiredWorkers) {
        logger.warn({ workers }, `${signal}: already at ${bound}; unchanged`);
        return;
      }
      logger.info({ workers }, `${signal}: ${stepped}`);
      supervisor.scaleTo(workers);
    });
  step('SIGTTIN', 1, 'MAX_WORKERS', 'one worker more');
  step('SIGTTOU', -1, 'one worker', 'one worker fewer');
}
