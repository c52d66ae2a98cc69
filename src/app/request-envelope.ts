// The one middleware around every request: request id, trace context, security headers, metrics,
// span and access log, as plain calls in one layer: each Koa layer costs a dispatch, a bound
// function and promises per request, so these cross-cutting steps share one.
import { performance } from 'node:perf_hooks';
import { methodLabel, UNMATCHED_ROUTE, type HttpMetrics } from '../metrics/http-metrics.js';
import type { Logger } from '../logger.js';
import { clientGone, requestLogger, type AppContext, type AppMiddleware } from './context.js';
import { setResponseHeaders } from './security-headers.js';
import type { RequestTracer } from './otlp-tracing.js';
import { assignRequestIds } from './trace-context.js';

// nginx's status for a client that left before it was answered: no status was sent, and a 500
// would page someone for a client's impatience.
export const CLIENT_CLOSED_STATUS = '499';

export function requestEnvelope(
  logger: Logger,
  metrics: HttpMetrics | undefined,
  tracer: RequestTracer | undefined,
): AppMiddleware {
  // `threw`: an error escaped the chain (the error handler prevents it); Koa then answers 500.
  const finish = (ctx: AppContext, start: number, threw: boolean) => {
    const status = threw ? '500' : clientGone(ctx) ? CLIENT_CLOSED_STATUS : String(ctx.status);
    // The router's template, never the raw path (unbounded).
    const matched = ctx._matchedRoute ?? ctx.state.routeTemplate;
    const route = typeof matched === 'string' ? matched : UNMATCHED_ROUTE;
    if (metrics) {
      metrics.requestsInFlight.dec();
      metrics.requestDuration.observe(
        { method: methodLabel(ctx.method), route, status_code: status },
        (performance.now() - start) / 1000,
        // The exemplar links to the trace: only a sampled one is recorded anywhere.
        ctx.state.traceFlags === 1 ? ctx.state.traceId : undefined,
      );
    }
    if (tracer) exportSpan(tracer, ctx, start, route, status);
    logAccess(ctx, logger, start);
  };
  // Not an async function: a promise chain saves this hot path an allocation per request.
  return (ctx, next) => {
    const start = performance.now();
    metrics?.requestsInFlight.inc();
    // Before the rest of the chain, so error responses carry them too.
    assignRequestIds(ctx);
    setResponseHeaders(ctx);
    return next().then(
      () => finish(ctx, start, false),
      (error: unknown) => {
        finish(ctx, start, true);
        throw error;
      },
    );
  };
}

// One debug line per request. Checked per request, not once: the manager can change the level at
// run time; off (LOG_LEVEL=info) it costs this check, and failures are logged by the error handler.
function logAccess(ctx: AppContext, logger: Logger, start: number): void {
  if (!logger.isLevelEnabled('debug')) return;
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

/** One finished request as a server span, named and described by OpenTelemetry's HTTP semconv. */
function exportSpan(
  tracer: RequestTracer,
  ctx: AppContext,
  start: number,
  route: string,
  status: string,
) {
  const { traceId, spanId, parentSpanId, traceFlags, tracestate } = ctx.state;
  tracer.record({
    traceId,
    spanId,
    ...(parentSpanId !== undefined && { parentSpanId }),
    traceFlags,
    ...(tracestate !== undefined && { traceState: tracestate }),
    name: `${ctx.method} ${route}`,
    startTimeMs: performance.timeOrigin + start,
    endTimeMs: performance.timeOrigin + performance.now(),
    attributes: {
      'http.request.method': ctx.method,
      'http.route': route,
      'http.response.status_code': Number(status),
      'url.path': ctx.path,
    },
    error: status.startsWith('5'),
  });
}
