// The manager's endpoint: a /metrics body larger than the kernel's socket buffers reaches a slow
// scraper whole; the requests Node's server would refuse itself with a bare answer get the JSON
// shape; admin bodies are judged as the API judges its JSON bodies.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createManagerServer } from '../../../../src/manager/endpoint/http-server.js';
import {
  MainThreadUnresponsiveError,
  type MainCallHandlers,
} from '../../../../src/manager/thread/main-thread-calls.js';
import { createLogger } from '../../../../src/logger.js';
import { rawExchange } from '../../../helpers/raw-http.js';

const BODY_BYTES = 24 * 1024 * 1024;

function bodyOf(size: number): Buffer {
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) body[i] = 0x61 + (i % 26);
  return body;
}

/** A main thread that answers every call at once (or as `handlers` say). */
const answering: MainCallHandlers = {
  live: () => null,
  status: () => Promise.reject(new Error('not in these tests')),
  reload: () => 2,
  scale: () => null,
  setLogLevel: () => null,
  managerMetrics: () => [],
};

function serve(
  render: () => Uint8Array | Promise<Uint8Array>,
  handlers: MainCallHandlers = answering,
  adminToken?: string,
) {
  const server = createManagerServer({
    control: { call: async (name, args) => handlers[name](...args) },
    metrics: { scrape: async () => render() },
    logger: createLogger('silent', {}),
    config: {
      adminToken,
      metricsCollectTimeoutMs: 1_000,
      httpHeadersTimeoutMs: 5_000,
      httpKeepAliveTimeoutMs: 5_000,
      metricsMaxConnections: 10,
      metricsMaxScrapes: 2,
    },
  });
  return new Promise<{ server: http.Server; port: number }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as AddressInfo).port }),
    ),
  );
}

let server: http.Server | undefined;
afterEach(
  () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
);

describe('GET /metrics', () => {
  it('writes the whole body to a scraper that reads slowly', async () => {
    const body = bodyOf(BODY_BYTES);
    const started = await serve(() => body);
    server = started.server;
    // A scraper that reads slowly: the server's write waits on it.
    const received = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = net.connect(started.port, '127.0.0.1', () => {
        socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        socket.pause();
        setTimeout(() => socket.resume(), 100);
      });
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => resolve(Buffer.concat(chunks)));
      socket.on('error', reject);
    });
    const payload = received.subarray(received.indexOf('\r\n\r\n') + 4);
    expect(payload.length).toBe(BODY_BYTES);
    expect(payload.equals(Buffer.from(body))).toBe(true);
  });
});

/** Everything the server writes to a raw request, up to its closing the connection. */
async function answerTo(port: number, request: string): Promise<string> {
  const exchange = await rawExchange(port, [request], { untilResponse: false });
  expect(exchange.closedByServer, 'the server closes the connection').toBe(true);
  return exchange.text;
}

describe('requests Node would refuse with a bare answer', () => {
  const render = () => Buffer.from('');

  it('an HTTP/1.1 request without Host: JSON 400, and the connection closes', async () => {
    const started = await serve(render);
    server = started.server;
    const answer = await answerTo(started.port, 'GET /livez HTTP/1.1\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(answer).toMatch(/\r\nX-Content-Type-Options: nosniff\r\n/i);
    expect(answer).toContain('"code":"bad_request"');
  });

  it('a 404 repeats at most the first 100 characters of the path', async () => {
    const started = await serve(render);
    server = started.server;
    const response = await fetch(`http://127.0.0.1:${started.port}/${'a'.repeat(5_000)}`);
    expect(response.status).toBe(404);
    const { error } = (await response.json()) as { error: { message: string } };
    expect(error.message).toBe(`no route for /${'a'.repeat(99)}…`);
  });

  it('a main thread that does not answer: 503 manager_unresponsive with Retry-After', async () => {
    const unresponsive = await serve(render, {
      ...answering,
      live: () => Promise.reject(new MainThreadUnresponsiveError(2_000)),
    });
    server = unresponsive.server;
    const probe = await fetch(`http://127.0.0.1:${unresponsive.port}/livez`);
    expect(probe.status).toBe(503);
    expect(probe.headers.get('retry-after')).toBe('1');
    expect(await probe.json()).toMatchObject({ error: { code: 'manager_unresponsive' } });
  });

  it('a scrape that failed (a bug): 500', async () => {
    const failing = await serve(() => Promise.reject(new Error('a bug')));
    server = failing.server;
    expect((await fetch(`http://127.0.0.1:${failing.port}/metrics`)).status).toBe(500);
  });

  it('HTTP/1.0 needs no Host', async () => {
    const started = await serve(render);
    server = started.server;
    const answer = await answerTo(started.port, 'GET /livez HTTP/1.0\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('an expectation other than 100-continue: JSON 417, and the connection closes', async () => {
    const started = await serve(render);
    server = started.server;
    const answer = await answerTo(
      started.port,
      'GET /livez HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 417 /);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(answer).toContain('"code":"expectation_failed"');
  });
});

describe('admin bodies, judged as the API judges its JSON bodies', () => {
  const TOKEN = 'a-token-of-16-chars-or-more';
  const render = () => Buffer.from('');

  it('415 for a compressed body or another charset; utf8 spelled either way is JSON', async () => {
    const scaled: number[] = [];
    const started = await serve(
      render,
      {
        ...answering,
        scale: (workers) => {
          scaled.push(workers);
          return null;
        },
      },
      TOKEN,
    );
    server = started.server;
    const post = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${started.port}/scale`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, ...headers },
        body: JSON.stringify({ workers: 3 }),
      });
    const gzip = await post({ 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(gzip.status).toBe(415);
    expect(await gzip.json()).toMatchObject({
      error: { code: 'unsupported_media_type', message: 'content-encoding is not supported' },
    });
    const latin1 = await post({ 'content-type': 'application/json; charset=latin1' });
    expect(latin1.status).toBe(415);
    expect(scaled).toEqual([]);
    expect((await post({ 'content-type': 'application/json; charset=utf8' })).status).toBe(202);
    expect((await post({ 'content-type': 'application/json; charset="UTF-8"' })).status).toBe(202);
    expect(scaled).toEqual([3, 3]);
  });
});
