// A loopback OTLP/HTTP trace receiver for row 2d: decodes each POST with OpenTelemetry's own
// generated protobufjs root (as test/unit/app/otlp-tracing.test.ts does), counts spans, answers
// 200 with an empty response message. GET /stats: { posts, bytes, spans } so far.
// Run: PORT=... node --import tsx bench/servers/otlp-receiver.ts
import { createServer } from 'node:http';
import root from 'otlp-transformer-protobufjs/build/src/generated/root.js';

interface Decoded {
  resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[];
}
const Request = (
  root as unknown as {
    opentelemetry: {
      proto: {
        collector: {
          trace: { v1: { ExportTraceServiceRequest: { decode(b: Uint8Array): unknown } } };
        };
      };
    };
  }
).opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

const stats = { posts: 0, bytes: 0, spans: 0 };
const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const message = Request.decode(body) as Decoded;
    stats.posts += 1;
    stats.bytes += body.length;
    for (const r of message.resourceSpans ?? [])
      for (const s of r.scopeSpans ?? []) stats.spans += s.spans?.length ?? 0;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
server.listen(Number(process.env.PORT ?? '0'), process.env.HOST ?? '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
