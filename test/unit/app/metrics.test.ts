// The HTTP metrics the middleware records, read back from a real prom-client registry.
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_CLOSED_STATUS } from '../../../src/app/request-envelope.js';
import { UNMATCHED_ROUTE } from '../../../src/metrics/http-metrics.js';
import { waitUntil } from '../../../scripts/lib/wait.js';
import {
  countFor,
  durationSeries,
  observedSeries,
  inFlight,
  rawRequest,
  startApp,
  startAppWithBrokenReadiness,
  type Harness,
} from './harness.js';

let app: Harness;
beforeEach(async () => {
  app = await startApp();
});
afterEach(() => app.close());

async function hit(path: string, init?: RequestInit): Promise<number> {
  const response = await fetch(app.url + path, init);
  await response.text();
  return response.status;
}

describe('http_request_duration_seconds labels', () => {
  it('uses the route template, the method and the final status', async () => {
    expect(await hit('/api/hello?name=a')).toBe(200);
    expect(await hit('/api/hello?name=b')).toBe(200);
    expect(await hit('/api/hello?name=')).toBe(400);
    expect(await hit('/', { method: 'HEAD' })).toBe(200);
    expect(
      await hit('/api/hash', {
        method: 'POST',
        body: 'x',
        headers: { 'content-type': 'text/plain' },
      }),
    ).toBe(415);
    expect(
      await hit('/api/hash', {
        method: 'POST',
        body: '{"input":"a","iterations":1}',
        headers: { 'content-type': 'application/json' },
      }),
    ).toBe(200);
    expect(await observedSeries(app.registry)).toEqual(
      expect.arrayContaining([
        { method: 'GET', route: '/api/hello', status_code: '200', count: 2 },
        { method: 'GET', route: '/api/hello', status_code: '400', count: 1 },
        { method: 'HEAD', route: '/', status_code: '200', count: 1 },
        { method: 'POST', route: '/api/hash', status_code: '415', count: 1 },
        { method: 'POST', route: '/api/hash', status_code: '200', count: 1 },
      ]),
    );
    expect(await observedSeries(app.registry)).toHaveLength(5);
  });

  it('exports every route’s success series at zero before the first request', async () => {
    const zeros = (await durationSeries(app.registry)).map(
      (s) => `${s.method} ${s.route} ${s.status_code} ${s.count}`,
    );
    expect(zeros.sort()).toEqual(
      [
        'GET / 200 0',
        'GET /api/delay 200 0',
        'GET /api/hello 200 0',
        'GET /api/work 200 0',
        'GET /healthz 200 0',
        'GET /readyz 200 0',
        'POST /api/hash 200 0',
      ].sort(),
    );
  });

  it('a wrong method on a known path keeps its template; odd methods are "other"', async () => {
    expect(await hit('/healthz', { method: 'DELETE' })).toBe(405);
    const response = await rawRequest(
      app.port,
      'PROPFIND /api/work HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n',
    );
    expect(response.status).toBe(405);
    expect(
      await countFor(app.registry, { method: 'DELETE', route: '/healthz', status_code: '405' }),
    ).toBe(1);
    expect(
      await countFor(app.registry, { method: 'other', route: '/api/work', status_code: '405' }),
    ).toBe(1);
  });

  it('2,000 requests to random unknown paths add exactly one label set per method/status: route="unmatched"', async () => {
    const methods = ['GET', 'POST', 'DELETE', 'PATCH'];
    const paths = Array.from({ length: 2_000 }, (_, i) => {
      const shapes = [
        `/${randomUUID()}`,
        `/api/${randomUUID()}`,
        `/api/hello/${randomUUID()}`,
        `/${randomUUID()}/${randomUUID()}?ms=${i}`,
        `/%F0%9F%A6%8A-${i}`,
      ];
      return shapes[i % shapes.length] as string;
    });
    for (let i = 0; i < paths.length; i += 50) {
      const statuses = await Promise.all(
        paths
          .slice(i, i + 50)
          .map((path, j) => hit(path, { method: methods[(i + j) % methods.length] })),
      );
      expect(new Set(statuses)).toEqual(new Set([404]));
    }
    const series = await observedSeries(app.registry);
    expect(series.map((s) => s.route)).toEqual(methods.map(() => UNMATCHED_ROUTE));
    expect(series.map((s) => s.status_code)).toEqual(methods.map(() => '404'));
    expect(series.reduce((sum, s) => sum + s.count, 0)).toBe(2_000);
    // The text exposition holds no raw path either.
    const text = await app.registry.metrics();
    expect(text).not.toMatch(/route="\/[^"]*-/);
  });

  it('records 500 for an unexpected error and 503 while draining', async () => {
    app.lifecycle.draining = true;
    expect(await hit('/readyz')).toBe(503);
    app.lifecycle.draining = false;
    expect(
      await countFor(app.registry, { method: 'GET', route: '/readyz', status_code: '503' }),
    ).toBe(1);

    const failing = await startAppWithBrokenReadiness();
    try {
      const response = await fetch(`${failing.url}/readyz`);
      await response.text();
      expect(response.status).toBe(500);
      expect(
        await countFor(failing.registry, { method: 'GET', route: '/readyz', status_code: '500' }),
      ).toBe(1);
      expect(await inFlight(failing.registry)).toBe(0);
    } finally {
      await failing.close();
    }
  });

  it('records 413 for a body rejected on its declared length', async () => {
    const response = await rawRequest(
      app.port,
      'POST /api/hash HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 500000\r\n\r\n',
    );
    expect(response.status).toBe(413);
    expect(
      await countFor(app.registry, { method: 'POST', route: '/api/hash', status_code: '413' }),
    ).toBe(1);
  });

  it('observes the time the request took', async () => {
    expect(await hit('/api/delay?ms=120')).toBe(200);
    const metrics = await app.registry.getMetricsAsJSON();
    const histogram = metrics.find((m) => m.name === 'http_request_duration_seconds');
    const delay = (v: { labels: Record<string, unknown> }) => v.labels.route === '/api/delay';
    const sum = histogram?.values.find(
      (v) =>
        delay(v) &&
        (v as { metricName?: string }).metricName === 'http_request_duration_seconds_sum',
    )?.value;
    expect(sum).toBeGreaterThanOrEqual(0.119);
    expect(sum).toBeLessThan(5);
    const fastBucket = histogram?.values.find(
      (v) =>
        delay(v) &&
        (v as { metricName?: string }).metricName === 'http_request_duration_seconds_bucket' &&
        v.labels.le === 0.1,
    )?.value;
    expect(fastBucket).toBe(0);
  });
});

describe('http_requests_in_flight', () => {
  it('counts a request while it is served and returns to 0', async () => {
    const pending = hit('/api/delay?ms=200');
    await waitUntil(
      async () => (await inFlight(app.registry)) === 1,
      'in-flight gauge at 1',
      5_000,
      0,
    );
    expect(await pending).toBe(200);
    expect(await inFlight(app.registry)).toBe(0);
  });

  it('returns to 0 after every kind of error', async () => {
    await Promise.all([
      hit('/api/work?ms=0'),
      hit('/nope'),
      hit('/healthz', { method: 'POST' }),
      hit('/api/hash', {
        method: 'POST',
        body: '{',
        headers: { 'content-type': 'application/json' },
      }),
      hit('/api/hash', { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } }),
      rawRequest(
        app.port,
        'POST /api/hash HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 999999\r\n\r\n',
      ),
    ]);
    expect(await inFlight(app.registry)).toBe(0);
  });

  it('an aborted request is decremented when the client leaves, recorded as 499, not 500', async () => {
    const socket = net.connect(app.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET /api/delay?ms=30000 HTTP/1.1\r\nHost: t\r\n\r\n');
    await waitUntil(
      async () => (await inFlight(app.registry)) === 1,
      'in-flight gauge at 1',
      5_000,
      0,
    );
    const abortedAt = performance.now();
    socket.destroy();
    await waitUntil(
      async () => (await inFlight(app.registry)) === 0,
      'in-flight gauge at 0',
      5_000,
      0,
    );
    // Far sooner than the 30 s the request asked for: the wait was cancelled.
    expect(performance.now() - abortedAt).toBeLessThan(5_000);
    expect(
      await countFor(app.registry, {
        method: 'GET',
        route: '/api/delay',
        status_code: CLIENT_CLOSED_STATUS,
      }),
    ).toBe(1);
    expect(
      await countFor(app.registry, { method: 'GET', route: '/api/delay', status_code: '500' }),
    ).toBe(0);
  });

  it('a request whose body upload is aborted is decremented too', async () => {
    const socket = net.connect(app.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      'POST /api/hash HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"in',
    );
    await waitUntil(
      async () => (await inFlight(app.registry)) === 1,
      'in-flight gauge at 1',
      5_000,
      0,
    );
    socket.destroy();
    await waitUntil(
      async () => (await inFlight(app.registry)) === 0,
      'in-flight gauge at 0',
      5_000,
      0,
    );
    const series = await durationSeries(app.registry);
    expect(series.filter((s) => s.status_code.startsWith('5'))).toEqual([]);
  });
});
