// Bad input against the real cluster, much of it below HTTP clients' politeness: raw sockets for
// malformed requests, then every invalid-parameter class through fetch. Through it all: no 5xx, no
// stack trace or file path, the JSON error shape, and no worker lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { assertNoLeak } from '../helpers/no-leak.js';
import { rawExchange, type RawOptions } from '../helpers/raw-http.js';

/** One raw exchange, given 5 s to answer. */
const raw = (port: number, chunks: string[], options: RawOptions = {}) =>
  rawExchange(port, chunks, { waitMs: 5_000, ...options });

function expectCleanJsonError(body: string, status: number) {
  assertNoLeak(body);
  const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
  expect(typeof parsed.error?.code, `${status}: ${body}`).toBe('string');
  expect(typeof parsed.error?.message).toBe('string');
}

describe('hostile input against the cluster', () => {
  let cluster: ClusterHandle;
  let pidsBefore: number[];
  beforeAll(async () => {
    cluster = await startCluster({ env: { WORKERS: '2', HTTP_HEADERS_TIMEOUT_MS: '2000' } });
    pidsBefore = (await cluster.status()).workers.map((w) => w.pid).sort();
  });
  afterAll(async () => {
    // Not one worker died or was replaced by anything above.
    const after = await cluster.status();
    expect(after.workers.map((w) => w.pid).sort()).toEqual(pidsBefore);
    expect(after.workers.every((w) => w.restarts === 0)).toBe(true);
    expect(await cluster.stop()).toBe(0);
  });

  it('answers a garbage request line with 400 JSON', async () => {
    const r = await raw(cluster.apiPort, ['HELLO THERE\r\n\r\n']);
    expect(r.status).toBe(400);
    expectCleanJsonError(r.body, 400);
  });

  it('answers a 100 kB header with 431', async () => {
    const r = await raw(cluster.apiPort, [
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`,
    ]);
    expect(r.status).toBe(431);
    expectCleanJsonError(r.body, 431);
  });

  it('closes a connection whose headers arrive too slowly (slowloris)', async () => {
    const drip = ['GET / HTTP/1.1\r\n', ...Array.from({ length: 40 }, (_, i) => `X-${i}: y\r\n`)];
    const r = await raw(cluster.apiPort, drip, {
      gapMs: 250,
      waitMs: 15_000,
      untilResponse: false,
    });
    expect(r.closedByServer).toBe(true);
    expect(r.elapsedMs).toBeLessThan(8_000); // 2 s headers timeout, checked every second
    expect([0, 408]).toContain(r.status);
  });

  it('refuses a body over the limit with 413 before reading it', async () => {
    const r = await raw(cluster.apiPort, [
      'POST /api/hash HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500000\r\n\r\n{"input":"',
    ]);
    expect(r.status).toBe(413);
    expectCleanJsonError(r.body, 413);
  });

  it('survives a truncated body without a 5xx', async () => {
    const r = await raw(
      cluster.apiPort,
      [
        'POST /api/hash HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"input":"ab',
      ],
      { endAfter: true, waitMs: 5_000 },
    );
    const status = r.status;
    expect(status === 0 || (status >= 400 && status < 500)).toBe(true);
  });

  it.each(['TRACE', 'CONNECT', 'PROPFIND', 'DELETE'])('does not serve %s', async (method) => {
    const target = method === 'CONNECT' ? 'example.com:443' : '/api/hello';
    const r = await raw(cluster.apiPort, [`${method} ${target} HTTP/1.1\r\nHost: x\r\n\r\n`]);
    const status = r.status;
    // CONNECT has no handler: Node closes the socket; the others are 405 (or 400).
    if (method === 'CONNECT') expect(status === 0 || status === 400 || status === 405).toBe(true);
    else {
      expect([400, 405]).toContain(status);
      expectCleanJsonError(r.body, status);
    }
  });

  const cases: [string, number, string, RequestInit | undefined][] = [
    ['non-numeric ms', 400, '/api/work?ms=abc', undefined],
    ['out-of-range ms', 400, '/api/work?ms=999999', undefined],
    ['negative ms', 400, '/api/delay?ms=-1', undefined],
    ['float ms', 400, '/api/delay?ms=1.5', undefined],
    ['repeated ms', 400, '/api/delay?ms=1&ms=2', undefined],
    ['missing ms', 400, '/api/work', undefined],
    ['overlong name', 400, `/api/hello?name=${'x'.repeat(5_000)}`, undefined],
    ['unicode name', 200, `/api/hello?name=${encodeURIComponent('名前🙂\u202e')}`, undefined],
    ['path traversal', 404, '/api/../../etc/passwd', undefined],
    ['encoded traversal', 404, '/%2e%2e/%2e%2e/etc/passwd', undefined],
    [
      'invalid JSON',
      400,
      '/api/hash',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":' },
    ],
    [
      'wrong content type',
      415,
      '/api/hash',
      { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' },
    ],
    [
      'wrong JSON type',
      400,
      '/api/hash',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":42}' },
    ],
    [
      'iterations out of range',
      400,
      '/api/hash',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"input":"a","iterations":0}',
      },
    ],
    [
      'JSON array body',
      400,
      '/api/hash',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' },
    ],
  ];
  it.each(cases)('%s -> %i', async (_name, status, path, init) => {
    const response = await fetch(`${cluster.apiUrl}${path}`, init);
    expect(response.status).toBe(status);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-powered-by')).toBeNull();
    const body = await response.text();
    if (status >= 400) expectCleanJsonError(body, status);
  });
});
