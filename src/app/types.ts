// What the worker hands to the Koa application: everything the app needs from outside it.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { HttpMetrics } from '../metrics/http-metrics.js';
import type { LoadShedder } from './load-shedding.js';
import type { RequestTracer } from './otlp-tracing.js';

export interface Lifecycle {
  /** True once the worker was told to drain: /readyz answers 503 from then on. */
  draining: boolean;
}

export interface AppDeps {
  config: Pick<Config, 'serviceName'>;
  logger: Logger;
  /** HTTP metrics; omitted, the app records none (the benchmark's uninstrumented baseline). */
  metrics?: HttpMetrics;
  lifecycle: Lifecycle;
  /** Refuses API requests with 503 while the worker is saturated; omitted, nothing is shed. */
  shedder?: LoadShedder;
  /** Exports a span per request (OTLP); omitted when no OTLP endpoint is configured. */
  tracer?: RequestTracer;
  /** Stable across replacements. */
  slot: number;
  version: string;
}
