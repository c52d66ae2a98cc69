// The application PM2 runs in rows 8-8c (`pm2 start` in cluster mode, bench/lib/pm2.ts): our
// worker's request path as src/worker/run-worker.ts builds it, from the compiled dist/ (the same
// code dist/worker.js bundles): config, the same metric registry, the load shedder, createApp(),
// the worker's HTTP server wrapper with its options and parser-error handlers. Left out is only
// what exists for our manager (metrics link, heartbeat, ready message, stack watchdog): PM2
// supervises by itself. PM2's graceful stop (reload) sends SIGINT: the app drains with the
// worker's own drain and SHUTDOWN_TIMEOUT_MS, as our workers do on a reload.
// Run by PM2 only: PORT=... HOST=127.0.0.1 LOG_LEVEL=warn (bench/lib/pm2.ts writes the config).
import process from 'node:process';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { handleClientError } from '../../dist/app/client-error.js';
import { createApp } from '../../dist/app/create-app.js';
import { handleExpectations } from '../../dist/app/request-preconditions.js';
import { secureResponseClass } from '../../dist/app/security-headers.js';
import { createLoadShedder } from '../../dist/app/load-shedding.js';
import { loadConfig } from '../../dist/config.js';
import { createLogger } from '../../dist/logger.js';
import { registerBuildInfo } from '../../dist/metrics/build-info.js';
import { createHttpMetrics } from '../../dist/metrics/http-metrics.js';
import { createShedMetrics } from '../../dist/metrics/shed-metrics.js';
import { VERSION } from '../../dist/version.js';
import { ownConnectionBudget } from '../../dist/worker/descriptor-budget.js';
import { createApiServer } from '../../dist/worker/api-server.js';

const config = loadConfig();
// PM2 numbers its cluster instances 0..n-1, as our slots are.
const slot = Number(process.env.NODE_APP_INSTANCE ?? '0');
const logger = createLogger(config.logLevel, { role: 'pm2-app', slot });
const registry = new Registry();
collectDefaultMetrics({ register: registry });
const metrics = createHttpMetrics(registry);
registerBuildInfo(registry, { version: VERSION, slot });
const lifecycle = { draining: false };
const shedder = createLoadShedder(config, {
  inFlight: () => api.counters.inFlight,
  metrics: createShedMetrics(registry),
  logger,
});
const app = createApp({ config, logger, metrics, lifecycle, shedder, slot, version: VERSION });
const api = createApiServer(app.callback(), {
  headersTimeoutMs: config.httpHeadersTimeoutMs,
  keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs,
  connectionMaxAgeMs: config.httpConnectionMaxAgeMs,
  ServerResponse: secureResponseClass,
  maxConnections: ownConnectionBudget(),
});
api.server.on('clientError', handleClientError);
handleExpectations(api.server);
api.server.listen(config.port, config.host);

let leaving = false;
const leave = async () => {
  if (leaving) return;
  leaving = true;
  lifecycle.draining = true;
  await api.drain(config.shutdownTimeoutMs);
  process.exit(0);
};
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void leave());
