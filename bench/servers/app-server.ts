// One process serving the service's Koa app (createApp) behind the worker's own HTTP server
// wrapper, without the cluster: rows 2 and 3 of the bench. BENCH_METRICS picks the variant:
//   real  createHttpMetrics(new Registry()): what a worker runs
//   noop  the same middleware, handed metric stand-ins whose methods do nothing (prom-client's cost)
//   none  the metrics middleware removed from the chain (the whole middleware's cost)
// Run: PORT=... BENCH_METRICS=real node --import tsx bench/servers/app-server.ts
import type { Gauge, Histogram } from 'prom-client';
import { Registry } from 'prom-client';
import { createApp } from '../../src/app/create-app.js';
import { createLogger } from '../../src/logger.js';
import {
  createHttpMetrics,
  type HttpLabel,
  type HttpMetrics,
} from '../../src/metrics/http-metrics.js';
import { createApiServer } from '../../src/worker/api-server.js';
import { VERSION } from '../../src/version.js';

type Variant = 'real' | 'noop' | 'none';

/** The methods src/app/metrics-middleware.ts calls: observe(labels, value), inc(), dec(). */
export function noopHttpMetrics(): HttpMetrics {
  const nothing = () => undefined;
  return {
    requestDuration: { observe: nothing } as unknown as Histogram<HttpLabel>,
    requestsInFlight: { inc: nothing, dec: nothing } as unknown as Gauge,
  };
}

const variant = (process.env.BENCH_METRICS ?? 'real') as Variant;
if (!['real', 'noop', 'none'].includes(variant)) {
  throw new Error(`BENCH_METRICS=${variant}: expected real, noop or none`);
}
const port = Number(process.env.PORT ?? '0');
const host = process.env.HOST ?? '127.0.0.1';

const metrics = variant === 'real' ? createHttpMetrics(new Registry()) : noopHttpMetrics();
const logger = createLogger('warn', { role: 'bench-app', variant });
const app = createApp({
  config: { serviceName: 'koa-cluster-service' },
  logger,
  metrics,
  lifecycle: { draining: false },
  slot: 0,
  version: VERSION,
});
if (variant === 'none') {
  // createApp installs the metrics middleware first (outermost); take it out of the chain.
  const first = app.middleware[0];
  if (!first || !String(first).includes('requestsInFlight')) {
    throw new Error('the first middleware is not the metrics middleware: update app-server.ts');
  }
  app.middleware.splice(0, 1);
}

// The same wrapper and timeouts as a worker (src/worker/run-worker.ts, config defaults).
const api = createApiServer(app.callback(), {
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
});
api.server.listen(port, host, () => {
  process.stdout.write(`app-server (${variant}) listening on ${host}:${port}\n`);
});
