// The one middleware around every request: request id, trace context, security headers, metrics
// and the access log, as plain calls in one layer: each Koa layer costs a dispatch, a bound
// function and promises per request, so these cross-cutting steps share one.
import { performance } from 'node:perf_hooks';
import type { HttpMetrics } from '../metrics/http-metrics.js';
import type { Logger } from '../logger.js';
import { logAccess } from './access-log.js';
import type { AppContext, AppMiddleware } from './context.js';
import { assignRequestId } from './request-id.js';
import { recordRequest } from './request-metrics.js';
import { setSecurityHeaders } from './security-headers.js';
import { assignTraceContext } from './trace-context.js';

export function requestEnvelope(logger: Logger, metrics: HttpMetrics | undefined): AppMiddleware {
  const finish = (ctx: AppContext, start: number, threw: boolean) => {
    if (metrics) recordRequest(metrics, ctx, (performance.now() - start) / 1000, threw);
    logAccess(ctx, logger, start);
  };
  // Not an async function: a promise chain saves this hot path an allocation per request.
  return (ctx, next) => {
    const start = performance.now();
    metrics?.requestsInFlight.inc();
    // Before the rest of the chain, so error responses carry them too.
    assignRequestId(ctx);
    assignTraceContext(ctx);
    setSecurityHeaders(ctx);
    return next().then(
      () => finish(ctx, start, false),
      (error: unknown) => {
        finish(ctx, start, true);
        throw error;
      },
    );
  };
}
