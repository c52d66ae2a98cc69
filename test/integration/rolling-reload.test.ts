// SIGHUP under keep-alive load: every worker replaced, nothing failed, nothing uncounted.
import { describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';
import { scrape, sumOf } from '../helpers/metrics-text.js';
import { startTraffic } from '../../scripts/lib/traffic.js';
import { waitUntil } from '../../scripts/lib/wait.js';

describe('rolling reload', () => {
  it('replaces every pid under 16 keep-alive clients with 0 failed requests, and counts them all', async () => {
    const cluster = await startCluster({ env: { WORKERS: '2' } });
    try {
      const before = await cluster.status();
      const oldPids = new Set(before.workers.map((w) => w.pid));
      const baseline = sumOf(
        await scrape(cluster.managerUrl),
        'http_request_duration_seconds_count',
      );

      const traffic = startTraffic(`${cluster.apiUrl}/`, 16);
      await waitUntil(() => traffic.result.ok > 200, 'traffic to flow', 10_000);
      cluster.proc.kill('SIGHUP');
      await waitUntil(
        async () => {
          const s = await cluster.status();
          const settled =
            !s.manager.reloading &&
            s.workers.length === 2 &&
            s.workers.every((w) => w.state === 'ready');
          return settled && s.workers.every((w) => !oldPids.has(w.pid));
        },
        'every worker to be replaced',
        60_000,
      );
      // Keep the load on the new workers for a moment, then stop it.
      const okAtReload = traffic.result.ok;
      await waitUntil(() => traffic.result.ok > okAtReload + 200, 'traffic on new workers', 10_000);
      const result = await traffic.stop();

      expect(result.errors).toEqual([]);
      expect(result.failed).toBe(0);
      const after = await cluster.status();
      for (const worker of after.workers) {
        expect(oldPids.has(worker.pid)).toBe(false);
        expect(worker.restarts).toBe(1);
      }
      // Every answered request is in the cluster's count, old workers' included (final words).
      const samples = await scrape(cluster.managerUrl);
      const counted = sumOf(samples, 'http_request_duration_seconds_count') - baseline;
      const answered = result.ok;
      expect(Math.abs(counted - answered) / answered).toBeLessThan(0.01);
      expect(samples.get('cluster_worker_restarts_total{slot="0",reason="reload"}')).toBe(1);
      expect(samples.get('cluster_worker_restarts_total{slot="1",reason="reload"}')).toBe(1);
    } finally {
      expect(await cluster.stop()).toBe(0);
    }
  });
});
