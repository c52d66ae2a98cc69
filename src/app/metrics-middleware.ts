// HTTP metrics for every request: duration by method, route template and final status, and the
// number in flight. It is the outermost middleware, so the status it records is the one the error
// handler settled on; it runs once per request, so it stays allocation-light.
import { performance } from 'node:perf_hooks';
import { methodLabel, UNMATCHED_ROUTE, type HttpMetrics } from '../metrics/http-metrics.js';
import { clientGone, type AppContext, type AppMiddleware } from './context.js';

/**
 * Status label for a request whose client disconnected before it was answered (nginx's
 * convention): no status was ever sent, and counting it as a 500 would page someone for a
 * client's impatience. Only requests the client abandons get it, so the label set stays bounded.
 */
export const CLIENT_CLOSED_STATUS = '499';

/** The router's template for the request (never the raw path, which is unbounded). */
export function routeLabel(ctx: AppContext): string {
  const matched = ctx._matchedRoute ?? ctx.state.routeTemplate;
  return typeof matched === 'string' ? matched : UNMATCHED_ROUTE;
}

export function httpMetrics(metrics: HttpMetrics): AppMiddleware {
  const { requestDuration, requestsInFlight } = metrics;
  return async (ctx, next) => {
    const start = performance.now();
    requestsInFlight.inc();
    let threw = false;
    try {
      await next();
    } catch (err) {
      // The error handler below should have caught everything; if it did not, Koa answers 500.
      threw = true;
      throw err;
    } finally {
      // In `finally`, so thrown errors and abandoned requests are decremented too. The duration
      // ends with the middleware chain: Koa then writes the body (a small in-memory JSON string)
      // synchronously, so waiting for the socket's 'finish' would cost a listener per request
      // and measure nothing of ours.
      requestsInFlight.dec();
      const status = threw ? '500' : clientGone(ctx) ? CLIENT_CLOSED_STATUS : String(ctx.status);
      requestDuration.observe(
        { method: methodLabel(ctx.method), route: routeLabel(ctx), status_code: status },
        (performance.now() - start) / 1000,
      );
    }
  };
}
