// Every response keeps the API's contract (JSON error body, X-Request-Id, security headers),
// including the ones Node's HTTP server would otherwise answer by itself, and metrics count what
// the client was actually sent. Raw sockets: these clients are not polite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { scrape, select } from '../helpers/metrics-text.js';
import { assertNoLeak } from '../helpers/no-leak.js';
import { rawExchange, type RawExchange } from '../helpers/raw-http.js';
import { waitUntil } from '../../scripts/lib/wait.js';

function expectContract(r: RawExchange, status: number, code?: string): void {
  expect(r.status, r.text.slice(0, 300)).toBe(status);
  expect(r.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  expect(r.headers['x-content-type-options']).toBe('nosniff');
  expect(r.headers['cache-control']).toBe('no-store');
  expect(r.headers['content-security-policy']).toContain("default-src 'none'");
  assertNoLeak(r.body);
  const body = JSON.parse(r.body) as { error: { code: string; message: string } };
  expect(typeof body.error.message).toBe('string');
  if (code !== undefined) expect(body.error.code).toBe(code);
}

describe('the response contract, for requests Node would answer bare', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({ env: { WORKERS: '2', HTTP_HEADERS_TIMEOUT_MS: '2000' } });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('Expect: 100-continue with a body over the limit: 413 at once, never 100 Continue', async () => {
    const r = await rawExchange(cluster.apiPort, [
      'POST /api/hash HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 50000000\r\nExpect: 100-continue\r\n\r\n',
    ]);
    expect(r.interim).toEqual([]);
    expectContract(r, 413, 'payload_too_large');
    expect(r.headers.connection).toBe('close');
  });

  it('Expect: 100-continue with a body within the limit: 100, then the answer', async () => {
    const body = JSON.stringify({ input: 'continue', iterations: 1 });
    const r = await rawExchange(cluster.apiPort, [
      'POST /api/hash HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
      body,
    ]);
    expect(r.interim).toEqual([100]);
    expect(r.status).toBe(200);
  });

  it('an Expect the server cannot meet: 417 in the API shape', async () => {
    const r = await rawExchange(cluster.apiPort, [
      'GET /api/hello HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n',
    ]);
    expectContract(r, 417, 'expectation_failed');
  });

  it('HTTP/1.1 without Host: 400 in the API shape', async () => {
    const r = await rawExchange(cluster.apiPort, ['GET /api/hello HTTP/1.1\r\n\r\n']);
    expectContract(r, 400, 'bad_request');
    // HTTP/1.0 never required Host.
    const old = await rawExchange(cluster.apiPort, ['GET /api/hello HTTP/1.0\r\n\r\n']);
    expect(old.status).toBe(200);
  });

  it.each([
    ['a garbage request line', ['HELLO THERE\r\n\r\n'], 400],
    [
      'a 100 kB header',
      [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`],
      431,
    ],
    ['headers too slow', ['GET / HTTP/1.1\r\nHost: x\r\n'], 408],
  ])('%s: JSON with a request id and security headers', async (_name, chunks, status) => {
    const r = await rawExchange(cluster.apiPort, chunks, { waitMs: 10_000 });
    expectContract(r, status);
  });

  it('a body that fails chunk parsing: 400 sent, 400 counted (not 499)', async () => {
    const series = (status: string) =>
      scrape(cluster.managerUrl).then(
        (samples) =>
          select(samples, 'http_request_duration_seconds_count', {
            method: 'POST',
            route: '/api/hash',
            status_code: status,
          })[0]?.[1] ?? 0,
      );
    const [before400, before499] = [await series('400'), await series('499')];
    const r = await rawExchange(cluster.apiPort, [
      'POST /api/hash HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n5\r\n{"inp\r\nZZZ\r\nnot a chunk\r\n',
    ]);
    expectContract(r, 400);
    // Recorded once the app's own read of the body gives up, just after the answer went out.
    await waitUntil(async () => (await series('400')) === before400 + 1, 'the 400 counted');
    expect(await series('499')).toBe(before499);
  });

  it("the manager's own 400 and 431 are JSON too", async () => {
    const garbage = await rawExchange(cluster.metricsPort, ['HELLO THERE\r\n\r\n']);
    const huge = await rawExchange(cluster.metricsPort, [
      `GET /status HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`,
    ]);
    for (const [r, status] of [
      [garbage, 400],
      [huge, 431],
    ] as const) {
      expect(r.status).toBe(status);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(JSON.parse(r.body)).toMatchObject({ error: { code: expect.any(String) } });
    }
  });
});
