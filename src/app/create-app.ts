// The Koa application the worker serves: middlewares in the order that makes each one see what it
// needs, then the routes. The worker owns the HTTP server around it (timeouts, drain, counting).
import Koa from 'koa';
import type { AppDeps, AppState, RouterExtras } from './context.js';
import { errorHandler } from './error-handler.js';
import { requestEnvelope } from './request-envelope.js';
import { routeFallback } from './route-fallback.js';
import { createRouter } from './routes.js';

// The client hung up or sent garbage: not our failure.
const CLIENT_SOCKET_ERRORS = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

export function createApp(deps: AppDeps): Koa<AppState, RouterExtras> {
  // proxy stays false: the API is served directly, so X-Forwarded-* headers are not trusted.
  const app = new Koa<AppState, RouterExtras>({ proxy: false });
  const router = createRouter(deps);
  // Every route's success series exists at zero from the start, so dashboards show 0 rather
  // than "No data" on a quiet worker and rate() counts the very first request.
  for (const layer of router.stack) {
    if (typeof layer.path !== 'string') continue;
    for (const method of layer.methods) {
      if (method === 'HEAD') continue; // @koa/router adds it to every GET
      deps.metrics?.requestDuration.zero({ method, route: layer.path, status_code: '200' });
    }
  }

  // Outermost first: the envelope's metrics see the status the error handler settles on, and its
  // headers are set before the handler runs, which never rethrows, so error responses keep them.
  app.use(requestEnvelope(deps.logger, deps.metrics, deps.tracer));
  app.use(errorHandler(deps.logger));
  app.use(router.routes());
  app.use(routeFallback());

  // Only errors outside the middleware chain get here (a socket failing while the response is
  // written): the client is usually gone, so this is worth a line, not an alarm.
  app.on('error', (err: unknown, ctx?: Koa.Context) => {
    const code = (err as { code?: unknown } | null)?.code;
    const clientSide =
      typeof code === 'string' && (CLIENT_SOCKET_ERRORS.has(code) || code.startsWith('HPE_'));
    const state = ctx?.state as AppState | undefined;
    deps.logger[clientSide ? 'debug' : 'warn'](
      { err, reqId: state?.requestId, trace_id: state?.traceId, span_id: state?.spanId },
      'response error',
    );
  });

  return app;
}
