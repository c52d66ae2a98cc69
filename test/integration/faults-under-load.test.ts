// Faults under load: each fault is driven while keep-alive clients hammer the API and the manager
// is scraped every 250 ms. For each: failed requests (0 on graceful paths), recovery to N ready
// workers, and a cluster request count that never went down.
import { describe, expect, it } from 'vitest';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { decreases, watchCounter } from '../helpers/counter-watch.js';
import { scrape, select } from '../helpers/metrics-text.js';
import { startTraffic, type TrafficResult } from '../../scripts/lib/traffic.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const CONNECTIONS = 8;

/** Runs `fault` under load and returns what the clients and the scraper saw. */
async function underLoad(
  cluster: ClusterHandle,
  fault: () => Promise<void>,
  path = '/api/hello',
): Promise<{ traffic: TrafficResult; totals: number[]; failedScrapes: number }> {
  const traffic = startTraffic(`${cluster.apiUrl}${path}`, CONNECTIONS, 90_000);
  const watch = watchCounter(cluster.managerUrl);
  try {
    await waitUntil(() => traffic.result.ok > 100, 'traffic to flow', 10_000);
    await fault();
    const seen = traffic.result.ok;
    await waitUntil(() => traffic.result.ok > seen + 100, 'traffic after the fault', 20_000);
  } finally {
    await traffic.stop();
  }
  const { totals, failedScrapes } = await watch.stop();
  return { traffic: traffic.result, totals, failedScrapes };
}

function report(name: string, r: { traffic: TrafficResult; totals: number[] }, extra = '') {
  // A run's figures: docs/reliability.md names the tests and points here, never copies them.
  console.log(
    `[reliability] ${name}: sent=${r.traffic.ok + r.traffic.failed} failed=${r.traffic.failed} scrapes=${r.totals.length}${extra}`,
  );
  // What failed, when something did: the first thing a reader of a red run needs.
  if (r.traffic.failed > 0) {
    console.log(`[reliability] ${name}: statuses ${JSON.stringify([...r.traffic.statuses])}`);
    console.log(`[reliability] ${name}: errors ${r.traffic.errors.join(' | ')}`);
  }
}

describe('faults under load', () => {
  it('SIGKILL of a worker every 3 s for 30 s: only requests the victim held fail', async () => {
    const cluster = await startCluster({ env: { WORKERS: '2', WORKER_MIN_UPTIME_MS: '0' } });
    try {
      let kills = 0;
      const started = Date.now();
      const result = await underLoad(cluster, async () => {
        while (Date.now() - started < 30_000) {
          const ready = await cluster.readyWorkers();
          const victim = ready[kills % ready.length];
          if (victim) {
            try {
              process.kill(victim.pid, 'SIGKILL');
              kills += 1;
            } catch {
              // Already dead: /status had not caught up yet.
            }
          }
          const deadline = Date.now() + 3_000;
          await waitUntil(() => Date.now() >= deadline, 'the next kill', 5_000, 100);
        }
      });
      const recoveredAt = Date.now();
      await cluster.waitForReady(2);
      report(
        'SIGKILL every 3 s',
        result,
        ` kills=${kills} recovered_ms=${Date.now() - recoveredAt}`,
      );
      expect(kills).toBeGreaterThanOrEqual(9);
      expect(decreases(result.totals)).toEqual([]);
      expect(result.failedScrapes).toBe(0);
      // Lost per kill: the request in flight on each of the victim's connections, plus new
      // connections the manager handed to it in the instant before it learned of the death
      // (cluster's round-robin). Each client connection has one request at a time, so a kill
      // costs at most about one request per client connection, twice in the worst case.
      expect(result.traffic.failed).toBeLessThanOrEqual(kills * CONNECTIONS * 2);
      expect(result.traffic.ok).toBeGreaterThan(kills * 50);
    } finally {
      expect(await cluster.stop()).toBe(0);
    }
  });

  it('SIGSTOP then SIGCONT: held requests complete, nothing fails', async () => {
    const cluster = await startCluster({
      env: { WORKERS: '2', METRICS_COLLECT_TIMEOUT_MS: '500' },
    });
    try {
      const result = await underLoad(cluster, async () => {
        const victim = (await cluster.readyWorkers())[0]!;
        process.kill(victim.pid, 'SIGSTOP');
        const until = Date.now() + 2_000;
        await waitUntil(() => Date.now() >= until, 'two seconds stopped', 5_000, 100);
        process.kill(victim.pid, 'SIGCONT');
      });
      report('SIGSTOP 2 s + SIGCONT', result);
      expect(result.traffic.failed).toBe(0);
      expect(decreases(result.totals)).toEqual([]);
      expect(result.failedScrapes).toBe(0);
      await cluster.waitForReady(2);
    } finally {
      expect(await cluster.stop()).toBe(0);
    }
  });

  it('recycles by WORKER_MAX_REQUESTS with no failed request', async () => {
    const cluster = await startCluster({
      env: { WORKERS: '2', WORKER_MAX_REQUESTS: '300', WORKER_MAX_REQUESTS_JITTER: '50' },
    });
    try {
      const result = await underLoad(cluster, async () => {
        await waitUntil(
          async () =>
            select(await scrape(cluster.managerUrl), 'cluster_worker_restarts_total', {
              reason: 'max_requests',
            }).reduce((sum, [, v]) => sum + v, 0) >= 2,
          'two recycles by request budget',
          60_000,
          200,
        );
      });
      report('recycle by WORKER_MAX_REQUESTS=300', result);
      expect(result.traffic.failed).toBe(0);
      expect(decreases(result.totals)).toEqual([]);
      await cluster.waitForReady(2);
    } finally {
      expect(await cluster.stop()).toBe(0);
    }
  });

  it('recycles by a tiny WORKER_MAX_RSS_MB with no failed request', async () => {
    const cluster = await startCluster({ env: { WORKERS: '2', WORKER_MAX_RSS_MB: '1' } });
    try {
      const result = await underLoad(cluster, async () => {
        await waitUntil(
          async () =>
            select(await scrape(cluster.managerUrl), 'cluster_worker_restarts_total', {
              reason: 'memory',
            }).reduce((sum, [, v]) => sum + v, 0) >= 3,
          'three recycles by memory',
          60_000,
          200,
        );
      });
      report('recycle by WORKER_MAX_RSS_MB=1', result);
      expect(result.traffic.failed).toBe(0);
      expect(decreases(result.totals)).toEqual([]);
      // Every worker is over budget at birth here, so the cluster recycles for ever; it must
      // still keep serving and still shut down cleanly (checked in finally).
      expect((await cluster.readyWorkers()).length).toBeGreaterThanOrEqual(1);
    } finally {
      expect(await cluster.stop()).toBe(0);
    }
  });

  it('SIGHUP reloads back to back: coalesced, every worker replaced, nothing fails', async () => {
    const cluster = await startCluster({ env: { WORKERS: '2' } });
    try {
      const oldPids = new Set((await cluster.status()).workers.map((w) => w.pid));
      const result = await underLoad(
        cluster,
        async () => {
          for (let i = 0; i < 3; i += 1) cluster.proc.kill('SIGHUP');
          await waitUntil(
            async () => {
              const s = await cluster.status();
              return (
                !s.manager.reloading &&
                s.workers.length === 2 &&
                s.workers.every((w) => w.state === 'ready' && !oldPids.has(w.pid))
              );
            },
            'the reloads to finish',
            60_000,
          );
        },
        '/',
      );
      report('3 x SIGHUP back to back', result);
      expect(result.traffic.failed).toBe(0);
      expect(decreases(result.totals)).toEqual([]);
      const restarts = (await cluster.status()).workers.map((w) => w.restarts);
      // Three requests coalesce into at most two passes over the slots.
      for (const r of restarts) expect(r).toBeGreaterThanOrEqual(1);
      for (const r of restarts) expect(r).toBeLessThanOrEqual(2);
    } finally {
      expect(await cluster.stop()).toBe(0);
    }
  });

  it('SIGTERM to the manager mid-load: every request already sent is answered, exit 0', async () => {
    const cluster = await startCluster({ env: { WORKERS: '2', HEARTBEAT_INTERVAL_MS: '100' } });
    const inFlight: Promise<number>[] = [];
    for (let i = 0; i < 16; i += 1) {
      inFlight.push(
        fetch(`${cluster.apiUrl}/api/delay?ms=${1500 + i * 50}`).then(
          (r) => r.status,
          () => -1,
        ),
      );
    }
    await waitUntil(
      async () =>
        (await cluster.status()).workers.reduce((sum, w) => sum + w.requestsInFlight, 0) >= 8,
      'requests to be in flight',
      10_000,
      20,
    );
    cluster.proc.kill('SIGTERM');
    const statuses = await Promise.all(inFlight);
    console.log(
      `[reliability] SIGTERM mid-load: sent=16 failed=${statuses.filter((s) => s !== 200).length}`,
    );
    expect(statuses).toEqual(Array.from({ length: 16 }, () => 200));
    expect(await cluster.exited).toBe(0);
  });
});
