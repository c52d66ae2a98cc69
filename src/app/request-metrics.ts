// HTTP metrics for every request: duration by method, route template and final status, and the
// number in flight. Called by the request envelope, so the status is the error handler's.
import { methodLabel, UNMATCHED_ROUTE, type HttpMetrics } from '../metrics/http-metrics.js';
import { clientGone, type AppContext } from './context.js';

// nginx's status for a client that left before it was answered: no status was sent, and a 500
// would page someone for a client's impatience.
export const CLIENT_CLOSED_STATUS = '499';

/** The router's template for the request (never the raw path, which is unbounded). */
export function routeLabel(ctx: AppContext): string {
  const matched = ctx._matchedRoute ?? ctx.state.routeTemplate;
  return typeof matched === 'string' ? matched : UNMATCHED_ROUTE;
}

/** The status a finished request is recorded with (metrics and spans alike). */
export function requestStatus(ctx: AppContext, threw: boolean): string {
  return threw ? '500' : clientGone(ctx) ? CLIENT_CLOSED_STATUS : String(ctx.status);
}

/** `threw`: an error escaped the chain (the error handler prevents it); Koa then answers 500. */
export function recordRequest(
  metrics: HttpMetrics,
  ctx: AppContext,
  seconds: number,
  threw: boolean,
): void {
  metrics.requestsInFlight.dec();
  const status = requestStatus(ctx, threw);
  metrics.requestDuration.observe(
    { method: methodLabel(ctx.method), route: routeLabel(ctx), status_code: status },
    seconds,
    // The exemplar links to the trace: only a sampled one is recorded anywhere.
    ctx.state.traceFlags === 1 ? ctx.state.traceId : undefined,
  );
}
