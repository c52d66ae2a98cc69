// One process serving GET /api/hello with the service's contract features added one layer at a
// time, for the per-request cost row (3b). BENCH_SPLIT picks how far:
//   plain    Koa + @koa/router, a hello handler, node:http around app.callback(): the reference
//   routes   + the service's router (zod validation of the query), error handler, route fallback
//   ids      + request and trace ids on ctx.state (trace-context.ts) in one layer
//   headers  + security headers and the ids' headers (src/app/security-headers.ts) in that layer
//   envelope the service's own createApp() with HTTP metrics: + metrics and the access-log check
//   service  + the worker's HTTP server wrapper (src/worker/api-server.ts: timeouts, counting)
// Every variant answers the same JSON. The bench runs this file bundled by esbuild, as the worker
// runs in production (dist/worker.js), not under tsx: tsx compiles src/ with esbuild's keepNames,
// which adds a __name() call to every closure our code creates per request, and Koa's code in
// node_modules would not pay it. Run: PORT=... BENCH_SPLIT=plain node --import tsx ...
import http from 'node:http';
import { Router } from '@koa/router';
import Koa from 'koa';
import { Registry } from 'prom-client';
import type { AppMiddleware, AppState, RouterExtras } from '../../src/app/context.js';
import { createApp } from '../../src/app/create-app.js';
import { errorHandler } from '../../src/app/error-handler.js';
import { routeFallback } from '../../src/app/route-fallback.js';
import { createRouter } from '../../src/app/routes.js';
import { secureResponseClass, setResponseHeaders } from '../../src/app/security-headers.js';
import { assignRequestIds } from '../../src/app/trace-context.js';
import { createLogger } from '../../src/logger.js';
import { createHttpMetrics } from '../../src/metrics/http-metrics.js';
import { createApiServer } from '../../src/worker/api-server.js';
import { VERSION } from '../../src/version.js';
import { SPLIT_VARIANTS, type SplitVariant } from './split-variants.js';

type Variant = SplitVariant;

const variant = (process.env.BENCH_SPLIT ?? 'plain') as Variant;
if (!SPLIT_VARIANTS.includes(variant)) {
  throw new Error(`BENCH_SPLIT=${variant}: expected one of ${SPLIT_VARIANTS.join(', ')}`);
}
const port = Number(process.env.PORT ?? '0');
const host = process.env.HOST ?? '127.0.0.1';
const logger = createLogger('warn', { role: 'bench-split', variant });
const deps = {
  config: { serviceName: 'koa-cluster-service' },
  logger,
  lifecycle: { draining: false },
  slot: 0,
  version: VERSION,
};

function plainApp(): { callback(): http.RequestListener } {
  const app = new Koa();
  const router = new Router();
  router.get('/api/hello', (ctx) => {
    const name = ctx.query.name;
    ctx.body = { message: `hello, ${typeof name === 'string' ? name : 'world'}` };
  });
  return app.use(router.routes()).use(router.allowedMethods());
}

/** The service's chain without createApp's envelope; `layer` stands in for it. */
function layeredApp(layer: AppMiddleware | null): Koa<AppState, RouterExtras> {
  const app = new Koa<AppState, RouterExtras>({ proxy: false });
  if (layer) app.use(layer);
  app.use(errorHandler(logger));
  app.use(createRouter(deps).routes());
  app.use(routeFallback());
  return app;
}

function appFor(v: Variant): { callback(): http.RequestListener } {
  switch (v) {
    case 'plain':
      return plainApp();
    case 'routes':
      return layeredApp(null);
    case 'ids':
      return layeredApp((ctx, next) => {
        assignRequestIds(ctx);
        return next();
      });
    case 'headers':
      return layeredApp((ctx, next) => {
        assignRequestIds(ctx);
        setResponseHeaders(ctx);
        return next();
      });
    case 'envelope':
    case 'service':
      return createApp({ ...deps, metrics: createHttpMetrics(new Registry()) });
  }
}

const callback = appFor(variant).callback();
const server =
  variant === 'service'
    ? createApiServer(callback, {
        headersTimeoutMs: 10_000,
        keepAliveTimeoutMs: 5_000,
        ServerResponse: secureResponseClass,
      }).server
    : http.createServer(callback);
if (variant !== 'service') server.keepAliveTimeout = 5_000;
server.listen(port, host, () => {
  process.stdout.write(`split-server (${variant}) listening on ${host}:${port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
