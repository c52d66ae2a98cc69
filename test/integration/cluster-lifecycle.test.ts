// The cluster's basic contract against the real process tree: slots, load spreading, crash
// replacement, hang detection, the manager endpoint and the port without /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { waitUntil } from '../../scripts/lib/wait.js';

describe('a two-worker cluster', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({ env: { WORKERS: '2', WORKER_MIN_UPTIME_MS: '0' } });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('lists two ready workers in slots 0 and 1', async () => {
    const status = await cluster.status();
    expect(status.manager.pid).toBe(cluster.proc.pid);
    expect(status.manager.desiredWorkers).toBe(2);
    expect(status.workers.map((w) => [w.slot, w.state])).toEqual([
      [0, 'ready'],
      [1, 'ready'],
    ]);
    for (const worker of status.workers) {
      expect(worker.pid).toBeGreaterThan(0);
      expect(worker.pid).not.toBe(status.manager.pid);
      expect(worker.restarts).toBe(0);
    }
  });

  it('spreads 40 requests to GET / over both workers', async () => {
    const pids = new Set<number>();
    const slots = new Set<number>();
    for (let i = 0; i < 40; i += 1) {
      // A fresh connection each time: the manager hands connections out round-robin.
      const response = await fetch(`${cluster.apiUrl}/`, { headers: { connection: 'close' } });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { pid: number; slot: number; service: string };
      expect(typeof body.service).toBe('string');
      pids.add(body.pid);
      slots.add(body.slot);
    }
    const workerPids = (await cluster.status()).workers.map((w) => w.pid);
    expect([...pids].sort()).toEqual([...workerPids].sort());
    expect([...slots].sort()).toEqual([0, 1]);
  });

  it('has no /metrics on the API port', async () => {
    const response = await fetch(`${cluster.apiUrl}/metrics`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('serves health, status and JSON errors on the manager endpoint', async () => {
    const health = await fetch(`${cluster.managerUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', readyWorkers: 2 });
    const missing = await fetch(`${cluster.managerUrl}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
    const wrong = await fetch(`${cluster.managerUrl}/metrics`, { method: 'POST' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
  });

  it('replaces a SIGKILLed worker in the same slot within 3 s', async () => {
    const before = await cluster.status();
    const victim = before.workers.find((w) => w.slot === 1);
    expect(victim).toBeDefined();
    process.kill(victim!.pid, 'SIGKILL');
    const replacement = await waitUntil(
      async () => {
        const s = await cluster.status();
        return s.workers.find((w) => w.slot === 1 && w.state === 'ready' && w.pid !== victim!.pid);
      },
      'a ready replacement in slot 1',
      3_000,
    );
    expect(replacement.restarts).toBe(1);
    const other = (await cluster.status()).workers.find((w) => w.slot === 0);
    expect(other?.restarts).toBe(0);
    const response = await fetch(`${cluster.managerUrl}/metrics`);
    expect(await response.text()).toMatch(
      /cluster_worker_restarts_total\{slot="1",reason="crash"\} 1/,
    );
  });
});

describe('hang detection', () => {
  it('kills and replaces a worker that stops sending heartbeats', async () => {
    const cluster = await startCluster({
      // WORKER_TIMEOUT_MS also bounds a replacement's boot: 3 s leaves a busy two-core machine
      // room to boot one, so the count below is about the hang, not about a slow boot.
      env: { WORKERS: '2', WORKER_TIMEOUT_MS: '3000', HEARTBEAT_INTERVAL_MS: '200' },
    });
    try {
      const victim = (await cluster.status()).workers.find((w) => w.slot === 0)!;
      process.kill(victim.pid, 'SIGSTOP');
      const replacement = await waitUntil(
        async () =>
          (await cluster.status()).workers.find(
            (w) => w.slot === 0 && w.state === 'ready' && w.pid !== victim.pid,
          ),
        'the hung worker to be replaced',
        15_000,
      );
      expect(replacement.restarts).toBeGreaterThanOrEqual(1);
      // The stopped process is really gone, not left behind.
      await waitUntil(() => {
        try {
          process.kill(victim.pid, 0);
          return false;
        } catch {
          return true;
        }
      }, 'the hung process to be gone');
      const text = await (await fetch(`${cluster.managerUrl}/metrics`)).text();
      // Exactly one hang: the stopped worker (a replacement not ready within WORKER_TIMEOUT_MS
      // would be a second one; see the timeout above).
      expect(text).toMatch(/cluster_worker_restarts_total\{slot="0",reason="hung"\} 1\n/);
      expect(cluster.logs()).toMatch(/no heartbeat within WORKER_TIMEOUT_MS/);
    } finally {
      await cluster.stop();
    }
  });
});
