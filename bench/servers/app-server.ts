// One process serving the service's Koa app (createApp) behind the worker's own HTTP server
// wrapper, without the cluster: rows 2 and 3 of the bench. BENCH_METRICS picks the variant:
//   real  createHttpMetrics(new Registry()): what a worker runs
//   noop  the same middleware, handed metric stand-ins whose methods do nothing (prom-client's cost)
//   none  no HTTP metrics at all: createApp without them (the whole instrumentation's cost)
//   histogram-only, gauge-only  one real metric, the other a stand-in (diagnostics, not in the table)
//   gauge-collect  real histogram; in-flight kept in a plain number that the real Gauge reads in
//                  its collect() at scrape time (diagnostics: a cheaper shape for the gauge)
// BENCH_TRACING=worker: the tracer as a worker gets it (startRequestTracing: OTLP export when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, else nothing); the listening line then says how many
// @opentelemetry modules were resolved (0 when unset: the SDK is not loaded). Unset: no tracer.
// Run: PORT=... BENCH_METRICS=real node --import tsx bench/servers/app-server.ts
import { registerHooks } from 'node:module';
import { Gauge, Registry } from 'prom-client';
import { createApp } from '../../src/app/create-app.js';
import { secureResponseClass } from '../../src/app/security-headers.js';
import { startRequestTracing } from '../../src/app/otlp-tracing.js';
import { createLogger } from '../../src/logger.js';
import { createHttpMetrics, type HttpMetrics } from '../../src/metrics/http-metrics.js';
import { createApiServer } from '../../src/worker/api-server.js';
import { VERSION } from '../../src/version.js';

type Variant = 'real' | 'noop' | 'none' | 'histogram-only' | 'gauge-only' | 'gauge-collect';
const VARIANTS: readonly string[] = [
  'real',
  'noop',
  'none',
  'histogram-only',
  'gauge-only',
  'gauge-collect',
];

/**
 * The methods the app calls: observe(labels, value) per request, zero(labels) per route at
 * creation (create-app.ts), inc() and dec().
 */
export function noopHttpMetrics(): HttpMetrics {
  const nothing = () => undefined;
  return {
    requestDuration: {
      observe: nothing,
      zero: nothing,
    } as unknown as HttpMetrics['requestDuration'],
    requestsInFlight: { inc: nothing, dec: nothing },
  };
}

const variant = (process.env.BENCH_METRICS ?? 'real') as Variant;
if (!VARIANTS.includes(variant)) {
  throw new Error(`BENCH_METRICS=${variant}: expected one of ${VARIANTS.join(', ')}`);
}
const port = Number(process.env.PORT ?? '0');
const host = process.env.HOST ?? '127.0.0.1';

function metricsFor(v: Variant): HttpMetrics {
  const real = createHttpMetrics(new Registry());
  const noop = noopHttpMetrics();
  if (v === 'real') return real;
  if (v === 'histogram-only') return { ...noop, requestDuration: real.requestDuration };
  if (v === 'gauge-only') return { ...noop, requestsInFlight: real.requestsInFlight };
  if (v === 'gauge-collect') {
    let inFlight = 0;
    const gauge = new Gauge({
      name: 'http_requests_in_flight_collected',
      help: 'In-flight requests, read at collection time.',
      registers: [new Registry()],
      collect() {
        this.set(inFlight);
      },
    });
    void gauge;
    const counter = { inc: () => void (inFlight += 1), dec: () => void (inFlight -= 1) };
    return { requestDuration: real.requestDuration, requestsInFlight: counter };
  }
  return noop;
}
const metrics = metricsFor(variant);
const logger = createLogger('warn', { role: 'bench-app', variant });
const tracing = process.env.BENCH_TRACING === 'worker';
// The app server's own imports are linked by now; from here on, whatever the tracer loads.
const otelModules = new Set<string>();
if (tracing) {
  registerHooks({
    resolve(specifier, context, next) {
      if (specifier.includes('@opentelemetry/')) otelModules.add(specifier);
      return next(specifier, context);
    },
  });
}
const tracer = tracing ? await startRequestTracing('koa-cluster-service') : undefined;
const app = createApp({
  config: { serviceName: 'koa-cluster-service' },
  logger,
  // 'none': no metrics at all, the request envelope skips the timer, labels and metric calls.
  ...(variant === 'none' ? {} : { metrics }),
  ...(tracer && { tracer }),
  lifecycle: { draining: false },
  slot: 0,
  version: VERSION,
});
// The same wrapper and timeouts as a worker (src/worker/run-worker.ts, config defaults).
const api = createApiServer(app.callback(), {
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  ServerResponse: secureResponseClass,
});
api.server.listen(port, host, () => {
  const otel = tracing
    ? `, tracer ${tracer ? 'on' : 'off'}, opentelemetry modules: ${otelModules.size}`
    : '';
  process.stdout.write(`app-server (${variant}${otel}) listening on ${host}:${port}\n`);
});
// Exit through process.exit so --cpu-prof and exit hooks run when the bench stops this server.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
