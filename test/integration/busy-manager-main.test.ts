// The manager's main thread stuck (a synchronous loop, a pathological GC) while its metrics
// thread runs on: the endpoint still answers, within bounded time, and says so. /livez and
// /metrics answer 503 manager_unresponsive (an orchestrator restarts the pod, Prometheus records
// the target down) instead of holding their clients until the thread is back. Once it is back,
// both are whole again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureEntry, startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { parseSamples, sumOf } from '../helpers/metrics-text.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const FIXTURE = fixtureEntry('busy-main-main.mjs');
const BUSY_MS = 10_000;
const ADMIN_TOKEN = 'busy-main-admin-token-0123';
const COLLECT_TIMEOUT_MS = 1_000;
const COUNT = 'http_request_duration_seconds_count';

describe('a manager whose main thread is stuck', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({
      entry: FIXTURE,
      env: {
        WORKERS: '2',
        BUSY_MAIN_MS: String(BUSY_MS),
        ADMIN_TOKEN,
        METRICS_COLLECT_TIMEOUT_MS: String(COLLECT_TIMEOUT_MS),
      },
    });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('answers /livez, /metrics and admin calls 503 manager_unresponsive in bounded time, runs none of them late, then is whole again', async () => {
    for (let i = 0; i < 10; i += 1) {
      await fetch(`${cluster.apiUrl}/api/hello`, { headers: { connection: 'close' } });
    }
    const pidsBefore = (await cluster.status()).workers.map((w) => w.pid).sort();
    // Both whole before: the main thread's families are there.
    const before = parseSamples(await (await fetch(`${cluster.managerUrl}/metrics`)).text());
    expect(sumOf(before, 'cluster_worker_up')).toBe(2);
    expect(sumOf(before, COUNT)).toBeGreaterThanOrEqual(10);

    const busySince = Date.now();
    cluster.proc.kill('SIGUSR2');
    // The main thread is in its loop once it stops answering.
    const livez = await waitUntil(
      async () => {
        const response = await fetch(`${cluster.managerUrl}/livez`);
        return response.status === 503 ? response : undefined;
      },
      '/livez to say the main thread does not answer',
      BUSY_MS,
      100,
    );
    expect(livez.headers.get('retry-after')).toBe('1');
    expect(await livez.json()).toMatchObject({ error: { code: 'manager_unresponsive' } });

    const started = Date.now();
    const during = await fetch(`${cluster.managerUrl}/metrics`);
    const tookMs = Date.now() - started;
    expect(Date.now() - busySince, 'the scrape ran while the main thread was stuck').toBeLessThan(
      BUSY_MS,
    );
    // Within its collection deadline, not held for the main thread, and failed so that
    // Prometheus records the target down (ClusterTargetDown), as before the thread served it.
    expect(tookMs).toBeLessThan(COLLECT_TIMEOUT_MS + 1_500);
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('1');
    expect(await during.json()).toMatchObject({ error: { code: 'manager_unresponsive' } });
    // The same verdict within a short scrape timeout: a stuck manager, not a slow part of it.
    const shortStarted = Date.now();
    const short = await fetch(`${cluster.managerUrl}/metrics`, {
      headers: { 'x-prometheus-scrape-timeout-seconds': '0.33' },
    });
    const shortTookMs = Date.now() - shortStarted;
    expect(Date.now() - busySince, 'the short scrape ran while stuck').toBeLessThan(BUSY_MS);
    expect(shortTookMs).toBeLessThan(330 + 1_500);
    expect(short.status).toBe(503);
    expect(await short.json()).toMatchObject({ error: { code: 'manager_unresponsive' } });

    // A command answered 503 is not run once the main thread is back: retrying it is safe.
    const reload = await fetch(`${cluster.managerUrl}/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(
      Date.now() - busySince,
      'the reload was asked while the main thread was stuck',
    ).toBeLessThan(BUSY_MS);
    expect(reload.status).toBe(503);
    expect(await reload.json()).toMatchObject({ error: { code: 'manager_unresponsive' } });

    const after = await waitUntil(
      async () => {
        if ((await fetch(`${cluster.managerUrl}/livez`)).status !== 200) return undefined;
        const now = parseSamples(await (await fetch(`${cluster.managerUrl}/metrics`)).text());
        return sumOf(now, 'cluster_worker_up') === 2 ? now : undefined;
      },
      'the main thread back: /livez 200 and its families in /metrics',
      BUSY_MS + 10_000,
      100,
    );
    expect(sumOf(after, COUNT)).toBeGreaterThanOrEqual(10);
    await waitUntil(
      () => cluster.logs().includes('reached the main thread too late; not run'),
      'the main thread to drop the late reload',
    );
    expect(cluster.logs()).not.toContain('rolling reload requested over HTTP');
    expect((await cluster.status()).workers.map((w) => w.pid).sort()).toEqual(pidsBefore);
  });
});
