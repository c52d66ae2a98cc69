// Optional OTLP trace export. With OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
// set, a worker exports one server span per request; unset, the OpenTelemetry SDK sits behind the
// dynamic import below and is never loaded, so a worker without the variable pays nothing for it.
import type { RequestTracer } from './otlp-export.js';

export type { RequestSpan, RequestTracer } from './otlp-export.js';

/** The tracer when export is configured, else undefined. `serviceName` is used unless OTEL_SERVICE_NAME is set. */
export async function startRequestTracing(serviceName: string): Promise<RequestTracer | undefined> {
  const env = process.env;
  const endpoint = `${env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? ''}${env.OTEL_EXPORTER_OTLP_ENDPOINT ?? ''}`;
  // The SDK's own switch-off (OpenTelemetry's SDK configuration spec) is honoured here too.
  if (endpoint.trim() === '' || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return;
  const { startOtlpExport } = await import('./otlp-export.js');
  return startOtlpExport(env.OTEL_SERVICE_NAME?.trim() || serviceName);
}
