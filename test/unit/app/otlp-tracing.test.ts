// Optional OTLP export (src/app/otlp-tracing.ts): spans reach a real HTTP receiver as OTLP/HTTP
// protobuf, decoded with OpenTelemetry's own definitions (test/helpers/otlp-receiver.ts), carrying
// exactly the ids, times and attributes recorded; and with no endpoint configured the SDK is never
// loaded. test/integration/otlp-export.test.ts does the same through the real cluster.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startRequestTracing, type RequestSpan } from '../../../src/app/otlp-tracing.js';
import { VERSION } from '../../../src/version.js';
import { attributes, hex, startReceiver } from '../../helpers/otlp-receiver.js';

const nanos = (ms: number): string => (BigInt(ms) * 1_000_000n).toString();

const OTEL_VARIABLES = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_SERVICE_NAME',
  'OTEL_SDK_DISABLED',
];
const saved = Object.fromEntries(OTEL_VARIABLES.map((name) => [name, process.env[name]]));
afterEach(() => {
  for (const name of OTEL_VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

const child: RequestSpan = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '53995c3f42cd8ad8',
  parentSpanId: '00f067aa0ba902b7',
  traceFlags: 1,
  traceState: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
  name: 'POST /api/items/:id',
  startTimeMs: 1_765_000_000_123,
  endTimeMs: 1_765_000_000_168,
  attributes: {
    'http.request.method': 'POST',
    'http.route': '/api/items/:id',
    'http.response.status_code': 503,
    'url.path': '/api/items/7',
  },
  error: true,
};
const root_: RequestSpan = {
  traceId: 'a3ce929d0e0e47364bf92f3577b34da6',
  spanId: 'b7ad6b7169203331',
  traceFlags: 1,
  name: 'GET /',
  startTimeMs: 1_765_000_001_000,
  endTimeMs: 1_765_000_001_002,
  attributes: { 'http.request.method': 'GET', 'http.route': '/', 'http.response.status_code': 200 },
};
const unsampled: RequestSpan = {
  ...root_,
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'e457b5a2e4d86bd1',
  parentSpanId: 'b9c7c989f97918e1',
  traceFlags: 0,
};

describe('OTLP trace export', () => {
  it('exports one server span per sampled request with exactly its ids, times, attributes and status', async () => {
    const receiver = await startReceiver();
    try {
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
      process.env.OTEL_EXPORTER_OTLP_HEADERS = 'authorization=Bearer%20otlp-test';
      process.env.OTEL_SERVICE_NAME = 'checkout';
      const tracer = await startRequestTracing('koa-cluster-service');
      expect(tracer).toBeDefined();
      tracer?.record(child);
      tracer?.record(unsampled);
      tracer?.record(root_);
      await tracer?.shutdown(); // flushes the batch: the receiver has answered by now

      expect(receiver.posts.map(({ url }) => url)).toEqual(['/v1/traces']);
      const [post] = receiver.posts;
      expect(post?.headers['content-type']).toBe('application/x-protobuf');
      expect(post?.headers.authorization).toBe('Bearer otlp-test');
      const [resourceSpans] = post?.body.resourceSpans ?? [];
      expect(attributes(resourceSpans?.resource.attributes ?? [])).toMatchObject({
        'service.name': 'checkout',
        'service.version': VERSION,
        'telemetry.sdk.language': 'nodejs',
      });
      const spans = resourceSpans?.scopeSpans.flatMap((scope) => scope.spans) ?? [];
      expect(spans.map((span) => span.name)).toEqual([child.name, root_.name]);
      const [first, second] = spans;
      expect({
        traceId: hex(first?.traceId),
        spanId: hex(first?.spanId),
        parentSpanId: hex(first?.parentSpanId),
        traceState: first?.traceState,
        kind: first?.kind,
        start: first?.startTimeUnixNano,
        end: first?.endTimeUnixNano,
        status: first?.status?.code,
        attributes: attributes(first?.attributes ?? []),
      }).toEqual({
        traceId: child.traceId,
        spanId: child.spanId,
        parentSpanId: child.parentSpanId,
        traceState: child.traceState,
        kind: 'SPAN_KIND_SERVER',
        start: nanos(child.startTimeMs),
        end: nanos(child.endTimeMs),
        status: 'STATUS_CODE_ERROR',
        attributes: { ...child.attributes, 'http.response.status_code': '503' },
      });
      // Flags carry W3C's sampled bit and "the parent is remote" (OTLP's bits 8 and 9).
      expect(first?.flags).toBe(0x301);
      expect({
        traceId: hex(second?.traceId),
        spanId: hex(second?.spanId),
        parentSpanId: hex(second?.parentSpanId),
        kind: second?.kind,
        flags: second?.flags,
        status: second?.status?.code,
      }).toEqual({
        traceId: root_.traceId,
        spanId: root_.spanId,
        parentSpanId: '',
        kind: 'SPAN_KIND_SERVER',
        flags: 0x101, // sampled, a local root
        status: 'STATUS_CODE_UNSET',
      });
    } finally {
      await receiver.close();
    }
  });

  it('uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as the whole URL, and the given name without OTEL_SERVICE_NAME', async () => {
    const receiver = await startReceiver();
    try {
      process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${receiver.url}/custom/traces`;
      delete process.env.OTEL_SERVICE_NAME;
      const tracer = await startRequestTracing('koa-cluster-service');
      tracer?.record(root_);
      await tracer?.shutdown();
      expect(receiver.posts.map(({ url }) => url)).toEqual(['/custom/traces']);
      const resource = receiver.posts[0]?.body.resourceSpans[0]?.resource;
      expect(attributes(resource?.attributes ?? [])['service.name']).toBe('koa-cluster-service');
    } finally {
      await receiver.close();
    }
  });

  it('is off, without loading the SDK, when no endpoint is set (or set empty, or the SDK is disabled)', async () => {
    const run = promisify(execFile);
    const probe = async (env: Record<string, string>) => {
      const clean = Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')),
      );
      const { stdout } = await run(
        process.execPath,
        [
          '--import',
          'tsx',
          'test/fixtures/otlp-import-probe.mjs',
          path.resolve('src/app/otlp-tracing.ts'),
        ],
        { env: { ...clean, ...env }, timeout: 20_000 },
      );
      const { started, resolved } = JSON.parse(stdout) as { started: boolean; resolved: string[] };
      return { started, sdk: resolved.filter((s) => /opentelemetry|otlp-export/.test(s)) };
    };
    // The probe itself sees the SDK load when export is on: its silence below means something.
    const on = await probe({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    expect(on.started).toBe(true);
    expect(on.sdk).toEqual(
      expect.arrayContaining(['./otlp-export.js', '@opentelemetry/sdk-trace-base']),
    );

    const off: Record<string, string>[] = [
      {},
      { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: ' ' },
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_SDK_DISABLED: 'true' },
    ];
    for (const env of off) {
      expect(await probe(env)).toEqual({ started: false, sdk: [] });
    }
  });
});
