// The types the app's pieces agree on: what the worker hands the app (AppDeps), the per-request
// state the middlewares share, and the context type.
import type { RouterContext } from '@koa/router';
import type Koa from 'koa';
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

export interface AppState {
  requestId: string;
  /** W3C trace id (32 hex digits): the caller's, or a new trace's. */
  traceId: string;
  /** This request's own span id (16 hex digits): the parent of anything it calls. */
  spanId: string;
  /** The caller's span id from its traceparent; undefined for a trace started here. */
  parentSpanId: string | undefined;
  /** The sampled bit only, 0 or 1: version 00 defines no other flag, so none is passed on. */
  traceFlags: number;
  /** The caller's tracestate as received, when its traceparent was honoured and it is valid. */
  tracestate: string | undefined;
  /** Created on first use, see requestLogger(). */
  log?: Logger;
  /** A known path's template when its method did not match (405), which the router leaves unset. */
  routeTemplate?: string;
}

/** What @koa/router adds to the context; app-level middlewares read it after routing. */
export type RouterExtras = Partial<Pick<RouterContext<AppState>, '_matchedRoute' | 'matched'>>;

export type AppContext = Koa.ParameterizedContext<AppState, RouterExtras>;
export type AppMiddleware = Koa.Middleware<AppState, RouterExtras>;

// pino's child() costs more than serving most requests here: built only once something is logged.
export function requestLogger(ctx: AppContext, base: Logger): Logger {
  // trace_id and span_id: the names of OpenTelemetry's log data model, which Grafana links on.
  const state = ctx.state;
  state.log ??= base.child({
    reqId: state.requestId,
    trace_id: state.traceId,
    span_id: state.spanId,
  });
  return state.log;
}

/** The client left before a response was written: neither our error nor a 500 in the metrics. */
export function clientGone(ctx: Koa.Context | AppContext): boolean {
  return !ctx.res.writableEnded && (ctx.res.destroyed || ctx.req.socket.destroyed);
}
