// One debug line per request. Off in production (LOG_LEVEL=info), and then it costs one level
// check: the interesting failures are logged at error level by the error handler regardless.
import { performance } from 'node:perf_hooks';
import type { Logger } from '../logger.js';
import { requestLogger, type AppMiddleware } from './context.js';

export function accessLog(logger: Logger): AppMiddleware {
  return async (ctx, next) => {
    // Checked per request, not once: the manager can change the level at run time.
    if (!logger.isLevelEnabled('debug')) return next();
    const start = performance.now();
    try {
      await next();
    } finally {
      requestLogger(ctx, logger).debug(
        {
          method: ctx.method,
          // The path as sent (it is not a metric label, so cardinality does not matter here).
          path: ctx.path,
          status: ctx.status,
          durationMs: Math.round((performance.now() - start) * 1000) / 1000,
        },
        'request',
      );
    }
  };
}
