// Starts the real Koa app in a real node:http server on a free loopback port, with a real
// prom-client registry, so tests exercise exactly what a worker serves.
import http from 'node:http';
import net from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createApp } from '../../../src/app/create-app.js';
import { handleClientError } from '../../../src/app/client-error.js';
import type { AppDeps, Lifecycle } from '../../../src/app/context.js';
import { createLogger, type Logger } from '../../../src/logger.js';
import { createHttpMetrics } from '../../../src/metrics/http-metrics.js';

export interface Harness {
  url: string;
  port: number;
  registry: Registry;
  lifecycle: Lifecycle;
  server: http.Server;
  close(): Promise<void>;
}

export interface HarnessOptions {
  lifecycle?: Lifecycle;
  logger?: Logger;
  /** Install the app's clientError handler, as the worker does. */
  clientErrors?: boolean;
  /** The server's response class (the worker's is the app's SecureResponse). */
  ServerResponse?: typeof http.ServerResponse | undefined;
}

export const SERVICE_NAME = 'test-service';
export const VERSION = '9.9.9-test';
export const SLOT = 3;

export async function startApp(options: HarnessOptions = {}): Promise<Harness> {
  const registry = new Registry();
  const lifecycle = options.lifecycle ?? { draining: false };
  const deps: AppDeps = {
    config: { serviceName: SERVICE_NAME },
    logger: options.logger ?? createLogger('silent', {}),
    metrics: createHttpMetrics(registry),
    lifecycle,
    slot: SLOT,
    version: VERSION,
  };
  const server = http.createServer(
    options.ServerResponse ? { ServerResponse: options.ServerResponse } : {},
    createApp(deps).callback(),
  );
  if (options.clientErrors) server.on('clientError', handleClientError);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    registry,
    lifecycle,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A pino logger whose lines are kept in memory, to assert what was logged. */
/** An app whose readiness check throws: every /readyz is an unexpected 500. */
export function startAppWithBrokenReadiness(): Promise<Harness> {
  return startApp({
    lifecycle: {
      get draining(): boolean {
        throw new Error('boom');
      },
      set draining(_value: boolean) {},
    },
  });
}

export function memoryLogger(level = 'debug'): {
  logger: Logger;
  lines: () => Record<string, unknown>[];
} {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = pino({ level }, stream);
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
}

export function parseRawResponse(raw: string): RawResponse {
  const split = raw.indexOf('\r\n\r\n');
  const head = split === -1 ? raw : raw.slice(0, split);
  const body = split === -1 ? '' : raw.slice(split + 4);
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body, raw };
}

/**
 * Writes `request` on a fresh TCP connection and resolves with everything the server sent until
 * it closed the connection. Requests should carry `Connection: close` unless the server is
 * expected to close by itself.
 */
export function rawRequest(
  port: number,
  request: string | Buffer,
  options: { halfClose?: boolean } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err) => {
      // A reset after the full response was received still counts as a response.
      if (chunks.length > 0) resolve(parseRawResponse(Buffer.concat(chunks).toString()));
      else reject(err);
    });
    socket.on('close', () => resolve(parseRawResponse(Buffer.concat(chunks).toString())));
    if (options.halfClose) socket.end(request);
    else socket.write(request);
  });
}

/** All recorded series of http_request_duration_seconds, as their label sets with counts. */
export async function durationSeries(
  registry: Registry,
): Promise<Array<{ method: string; route: string; status_code: string; count: number }>> {
  const metrics = await registry.getMetricsAsJSON();
  const histogram = metrics.find((m) => m.name === 'http_request_duration_seconds');
  if (!histogram) throw new Error('http_request_duration_seconds is not registered');
  return histogram.values
    .filter(
      (v) => (v as { metricName?: string }).metricName === 'http_request_duration_seconds_count',
    )
    .map((v) => ({
      method: String(v.labels.method),
      route: String(v.labels.route),
      status_code: String(v.labels.status_code),
      count: v.value,
    }));
}

/** The series some request has been counted in (every route's 200 series exists at zero). */
export async function observedSeries(registry: Registry) {
  return (await durationSeries(registry)).filter((series) => series.count > 0);
}

export async function countFor(
  registry: Registry,
  labels: { method: string; route: string; status_code: string },
): Promise<number> {
  const series = await durationSeries(registry);
  return (
    series.find(
      (s) =>
        s.method === labels.method &&
        s.route === labels.route &&
        s.status_code === labels.status_code,
    )?.count ?? 0
  );
}

export async function inFlight(registry: Registry): Promise<number> {
  const metrics = await registry.getMetricsAsJSON();
  const gauge = metrics.find((m) => m.name === 'http_requests_in_flight');
  return gauge?.values[0]?.value ?? 0;
}

export { assertNoLeak } from '../../helpers/no-leak.js';
