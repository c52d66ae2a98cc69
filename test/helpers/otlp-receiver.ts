// An OTLP/HTTP trace receiver on loopback for tests: decodes each POST with OpenTelemetry's own
// generated protobufjs root (otlp-transformer 0.216, the last release that shipped it), not a
// hand-written stand-in, and answers 200 (an empty response message).
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import root from 'otlp-transformer-protobufjs/build/src/generated/root.js';

interface Message {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: object): unknown;
}
export interface KeyValue {
  key: string;
  value: { stringValue?: string; intValue?: string; boolValue?: boolean };
}
export interface DecodedSpan {
  /** Base64, as protobufjs's toObject gives bytes: see hex(). */
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  flags?: number;
  name: string;
  kind: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  status?: { code?: string };
}
interface Decoded {
  resourceSpans: {
    resource: { attributes: KeyValue[] };
    scopeSpans: { spans: DecodedSpan[] }[];
  }[];
}

const Request = (
  root as unknown as {
    opentelemetry: {
      proto: { collector: { trace: { v1: { ExportTraceServiceRequest: Message } } } };
    };
  }
).opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

export interface Post {
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: Decoded;
}

export interface Receiver {
  url: string;
  posts: Post[];
  /** Every span received so far, with its resource's attributes. */
  spans(): { resource: Record<string, unknown>; span: DecodedSpan }[];
  close(): Promise<void>;
}

export const hex = (base64: string | undefined): string =>
  Buffer.from(base64 ?? '', 'base64').toString('hex');
export const attributes = (list: KeyValue[]): Record<string, unknown> =>
  Object.fromEntries(
    list.map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.boolValue]),
  );

/** Listens on 127.0.0.1 (port 0: any free one). */
export async function startReceiver(port = 0): Promise<Receiver> {
  const posts: Post[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const message = Request.decode(Buffer.concat(chunks));
      const body = Request.toObject(message, { longs: String, enums: String, bytes: String });
      posts.push({ url: req.url, headers: req.headers, body: body as Decoded });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  server.listen(port, '127.0.0.1');
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => Promise.reject(error as Error)),
  ]);
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    posts,
    spans: () =>
      posts.flatMap(({ body }) =>
        body.resourceSpans.flatMap(({ resource, scopeSpans }) =>
          scopeSpans.flatMap(({ spans }) =>
            spans.map((span) => ({ resource: attributes(resource.attributes), span })),
          ),
        ),
      ),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
