// What the main thread does when the manager endpoint (on the metrics thread) asks: the
// supervisor's state, its commands, and the main thread's own metrics for a scrape.
import type { LogLevel } from '../../config.js';
import { HttpError } from '../../http-errors.js';
import type { Logger } from '../../logger.js';
import { snapshotOf } from '../../metrics/snapshot.js';
import type { SupervisionMetrics } from '../supervision/supervision-metrics.js';
import type { MainCallHandlers } from './main-thread-calls.js';
import type { Supervisor } from '../supervision/supervisor.js';

export interface MainThreadHandlerDeps {
  supervisor: Supervisor;
  managerMetrics: SupervisionMetrics;
  logger: Logger;
  /** Sets the level of the manager, its metrics thread and every worker. */
  setLogLevel(level: LogLevel): void;
}

export function mainThreadHandlers(deps: MainThreadHandlerDeps): MainCallHandlers {
  const { supervisor, managerMetrics, logger } = deps;
  // Checked where the command runs, so nothing can start shutting down in between.
  const refuseWhileStopping = () => {
    if (supervisor.shuttingDown)
      throw new HttpError(503, 'shutting_down', 'the cluster is shutting down');
  };
  return {
    live: () => null,
    status: () => supervisor.status(),
    reload: () => {
      refuseWhileStopping();
      logger.info('rolling reload requested over HTTP');
      void supervisor.reload();
      return supervisor.desiredWorkers;
    },
    scale: (workers) => {
      refuseWhileStopping();
      logger.info({ workers }, 'scale requested over HTTP');
      supervisor.scaleTo(workers);
      return null;
    },
    setLogLevel: (level) => {
      deps.setLogLevel(level);
      return null;
    },
    managerMetrics: () => {
      return snapshotOf(managerMetrics.registry);
    },
  };
}
