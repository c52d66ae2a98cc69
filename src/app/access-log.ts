// One debug line per request. Off in production (LOG_LEVEL=info), and then it costs one level
// check: the interesting failures are logged at error level by the error handler regardless.
import { performance } from 'node:perf_hooks';
import type { Logger } from '../logger.js';
import { requestLogger, type AppContext } from './context.js';

/** One debug line per finished request; a single level check when debug is off. */
export function logAccess(ctx: AppContext, logger: Logger, startMs: number): void {
  // Checked per request, not once: the manager can change the level at run time.
  if (!logger.isLevelEnabled('debug')) return;
  requestLogger(ctx, logger).debug(
    {
      method: ctx.method,
      // The path as sent (it is not a metric label, so cardinality does not matter here).
      path: ctx.path,
      status: ctx.status,
      durationMs: Math.round((performance.now() - startMs) * 1000) / 1000,
    },
    'request',
  );
}
