// The manager paused (a VM pause, a debugger, a GC storm, job control's SIGSTOP) longer than
// WORKER_TIMEOUT_MS. The workers kept beating; the manager was the one stalled, so it must notice
// that and not kill them as hung.
import { describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';
import { scrape, select, sumOf } from '../helpers/metrics-text.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const TIMEOUT_MS = 3_000;
const STOP_MS = 6_000;

describe('a stalled manager', () => {
  it(`kills no worker after a ${STOP_MS / 1000} s SIGSTOP with WORKER_TIMEOUT_MS=${TIMEOUT_MS}`, async () => {
    const cluster = await startCluster({
      env: { WORKERS: '2', WORKER_TIMEOUT_MS: String(TIMEOUT_MS) },
    });
    try {
      const pids = (await cluster.status()).workers.map((w) => w.pid).sort();
      cluster.proc.kill('SIGSTOP');
      // The fault itself: the manager stays stopped for twice the hang timeout.
      await new Promise((resolve) => setTimeout(resolve, STOP_MS));
      cluster.proc.kill('SIGCONT');
      // Settled: the stall was noticed and both workers' heartbeats are fresh again.
      const status = await waitUntil(
        async () => {
          if (!/manager was stalled/.test(cluster.logs())) return undefined;
          const s = await cluster.status();
          const fresh = s.workers.every(
            (w) => w.heartbeatAgeSeconds !== null && w.heartbeatAgeSeconds < 1,
          );
          return fresh && s.workers.length === 2 ? s : undefined;
        },
        'the manager to resume with fresh heartbeats',
        10_000,
      );
      // One more full timeout: a late, wrong kill would show up here.
      await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS));
      const after = await cluster.status();
      const samples = await scrape(cluster.managerUrl);
      const hung = select(samples, 'cluster_worker_restarts_total', { reason: 'hung' });
      console.log(
        `[reliability] manager SIGSTOP ${STOP_MS} ms, WORKER_TIMEOUT_MS=${TIMEOUT_MS}: ` +
          `hung restarts ${hung.reduce((sum, [, v]) => sum + v, 0)}, ` +
          `stalls counted ${sumOf(samples, 'cluster_manager_stalls_total')}`,
      );
      expect(status.workers.map((w) => w.pid).sort()).toEqual(pids);
      expect(after.workers.map((w) => w.pid).sort()).toEqual(pids);
      expect(after.workers.every((w) => w.state === 'ready' && w.restarts === 0)).toBe(true);
      expect(hung.every(([, value]) => value === 0)).toBe(true);
      expect(sumOf(samples, 'cluster_manager_stalls_total')).toBe(1);
      expect(cluster.logs()).not.toMatch(/no heartbeat within WORKER_TIMEOUT_MS/);
      // Said once, with how long.
      const lines = cluster.logs().match(/.*manager was stalled.*/g) ?? [];
      expect(lines).toHaveLength(1);
      const stalledMs = (JSON.parse(lines[0]!) as { stalledMs: number }).stalledMs;
      expect(stalledMs).toBeGreaterThan(STOP_MS - 1_000);
    } finally {
      cluster.proc.kill('SIGCONT');
      await cluster.stop();
    }
  });
});
