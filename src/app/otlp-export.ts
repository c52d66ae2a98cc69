// The OpenTelemetry half of otlp-tracing.ts, imported only when OTLP export is configured. The
// exporter (OTLP/HTTP protobuf) reads the standard OTEL_EXPORTER_OTLP_* variables itself, the
// batch processor OTEL_BSP_*. Requests are not traced live: the request path already made the
// trace context, so a finished request becomes one span with exactly its ids and times.
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  createTraceState,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { VERSION } from '../version.js';

/** One finished request, with the W3C ids its logs and exemplars carry (lower-case hex). */
export interface RequestSpan {
  traceId: string;
  spanId: string;
  /** The caller's span (traceparent's parent-id): the exported span becomes its child. */
  parentSpanId?: string;
  traceFlags: number;
  traceState?: string;
  name: string;
  startTimeMs: number;
  endTimeMs: number;
  attributes: Readonly<Record<string, string | number | boolean>>;
  /** Status ERROR (a 5xx); otherwise the status stays UNSET, as HTTP server semconv says. */
  error?: boolean;
}

export interface RequestTracer {
  /** Queues the span when it is sampled (traceFlags bit 0); never waits, never throws for I/O. */
  record(span: RequestSpan): void;
  shutdown(): Promise<void>;
}

export function startOtlpExport(serviceName: string): RequestTracer {
  // The SDK asks its IdGenerator for the ids while starting a span, synchronously: handing out
  // the recorded request's own ids is the SDK's extension point for choosing them.
  let ids: Pick<RequestSpan, 'traceId' | 'spanId'> = { traceId: '', spanId: '' };
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({ 'service.name': serviceName, 'service.version': VERSION }),
    ),
    // The sampling decision was made with the trace context (the sampled flag, below), the same
    // one logs and traceresponse report; OTEL_TRACES_SAMPLER would only make them disagree.
    sampler: new AlwaysOnSampler(),
    idGenerator: { generateTraceId: () => ids.traceId, generateSpanId: () => ids.spanId },
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  const tracer = provider.getTracer(serviceName, VERSION);
  return {
    record(span) {
      // Unsampled: the caller recorded nothing (W3C sampled flag), as ParentBased sampling,
      // the SDK's default, decides: a lone child of an unrecorded parent is an orphan.
      if ((span.traceFlags & TraceFlags.SAMPLED) === 0) return;
      ids = span;
      const parent =
        span.parentSpanId === undefined
          ? ROOT_CONTEXT
          : trace.setSpanContext(ROOT_CONTEXT, {
              traceId: span.traceId,
              spanId: span.parentSpanId,
              traceFlags: span.traceFlags,
              isRemote: true,
              ...(span.traceState === undefined
                ? {}
                : { traceState: createTraceState(span.traceState) }),
            });
      const options = {
        kind: SpanKind.SERVER,
        startTime: span.startTimeMs,
        attributes: span.attributes,
      };
      const exported = tracer.startSpan(span.name, options, parent);
      if (span.error === true) exported.setStatus({ code: SpanStatusCode.ERROR });
      exported.end(span.endTimeMs);
    },
    shutdown: () => provider.shutdown(),
  };
}
