// Exemplars end to end: requests with known W3C traceparents go through the real cluster, Debian's
// Prometheus (exemplar storage on, OpenMetrics negotiated) scrapes the manager, and
// /api/v1/query_exemplars must return those trace ids on the series the requests were counted in,
// each on the bucket its observed duration falls in; across a SIGKILLed worker and a SIGHUP
// reload the manager keeps every exemplar until a newer one replaces it.
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeWithTools, observedCluster } from '../helpers/observed-cluster.js';
import type { SeriesExemplars } from '../helpers/prometheus-process.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const BUCKETS = 'http_request_duration_seconds_bucket';
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0';

const traceId = () => randomBytes(16).toString('hex');
const traceparent = (id: string) => `00-${id}-${randomBytes(8).toString('hex')}-01`;

/** le bounds in order, to check an exemplar sits on the bucket its value falls in. */
function bucketHolds(le: string, value: number, bounds: readonly number[]): boolean {
  const upper = le === '+Inf' ? Infinity : Number(le);
  const lower = Math.max(-Infinity, ...bounds.filter((b) => b < upper));
  return value > lower && value <= upper;
}

describeWithTools(['prometheus'], 'exemplars through the cluster to Prometheus', () => {
  const observed = observedCluster({}, '1s', ['exemplar-storage']);
  const c = () => observed.cluster();
  const p = () => observed.prometheus();
  const bounds: number[] = [];

  async function request(route: string, id: string): Promise<void> {
    const response = await fetch(`${c().apiUrl}${route}`, {
      headers: { traceparent: traceparent(id) },
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    expect(response.headers.get('traceresponse')).toMatch(new RegExp(`^00-${id}-[0-9a-f]{16}-01$`));
  }

  /** Waits until Prometheus holds an exemplar with each trace id; returns where it found them. */
  async function inPrometheus(ids: readonly string[]): Promise<Map<string, SeriesExemplars>> {
    return waitUntil(
      async () => {
        const now = Date.now() / 1000;
        const found = new Map<string, SeriesExemplars>();
        for (const series of await p().queryExemplars(BUCKETS, now - 600, now + 60)) {
          for (const exemplar of series.exemplars) {
            const id = exemplar.labels.trace_id;
            if (id !== undefined && ids.includes(id)) found.set(id, series);
          }
        }
        return found.size === ids.length ? found : undefined;
      },
      `Prometheus to store exemplars for ${ids.join(', ')}`,
      30_000,
      500,
    );
  }

  /** The trace ids of every exemplar in the manager's OpenMetrics /metrics. */
  async function inManager(): Promise<string[]> {
    const response = await fetch(`${c().managerUrl}/metrics`, { headers: { accept: OPENMETRICS } });
    const text = await response.text();
    return [...text.matchAll(/ # \{trace_id="([0-9a-f]{32})"\}/g)].map((m) => m[1]!);
  }

  const slow = traceId();
  const fast = traceId();
  const beforeKill = traceId();
  const afterReload = traceId();

  it('carries the trace ids of requests to the right series and bucket', async () => {
    const metrics = await (await fetch(`${c().managerUrl}/metrics`)).text();
    for (const m of metrics.matchAll(/http_request_duration_seconds_bucket\{le="([^"+]+)"/g)) {
      if (!bounds.includes(Number(m[1]))) bounds.push(Number(m[1]));
    }
    await request('/api/delay?ms=300', slow);
    await request('/api/hello?name=exemplar', fast);
    const found = await inPrometheus([slow, fast]);
    for (const [id, route] of [
      [slow, '/api/delay'],
      [fast, '/api/hello'],
    ] as const) {
      const series = found.get(id)!;
      expect(series.seriesLabels).toMatchObject({ route, method: 'GET', status_code: '200' });
      const exemplar = series.exemplars.find((e) => e.labels.trace_id === id)!;
      expect(bucketHolds(series.seriesLabels.le!, Number(exemplar.value), bounds)).toBe(true);
    }
    const slowValue = found.get(slow)!.exemplars.find((e) => e.labels.trace_id === slow)!.value;
    expect(Number(slowValue)).toBeGreaterThanOrEqual(0.3);
  });

  it('keeps exemplars across a SIGKILLed worker and a reload, and records new ones', async () => {
    await request('/api/work?ms=1', beforeKill);
    await waitUntil(
      async () => ((await inManager()).includes(beforeKill) ? true : undefined),
      'the manager to hold the exemplar',
      20_000,
    );
    for (const worker of await c().readyWorkers()) process.kill(worker.pid, 'SIGKILL');
    await c().waitForReady(2, 30_000);
    expect(await inManager()).toEqual(expect.arrayContaining([slow, fast, beforeKill]));

    c().proc.kill('SIGHUP');
    await waitUntil(
      async () => {
        const s = await c().status();
        return !s.manager.reloading && s.workers.every((w) => w.state === 'ready')
          ? true
          : undefined;
      },
      'the reload to finish',
      60_000,
    );
    expect(await inManager()).toEqual(expect.arrayContaining([slow, fast, beforeKill]));
    await request('/', afterReload);
    const found = await inPrometheus([afterReload, beforeKill]);
    expect(found.get(afterReload)!.seriesLabels).toMatchObject({ route: '/' });
  });
});
