// The directory of the metrics link's socket removed under a running cluster (`rm -rf`, a
// temporary-file cleaner such as systemd-tmpfiles on a long-running host). Links already open
// survive it; what needs the socket is every link made afterwards: a reload's new workers, a
// restarted metrics thread's. The metrics thread makes the directory and listener again, the
// workers' retries reach it, and what they counted meanwhile reaches /metrics: nothing is lost.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureEntry, startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { scrape, select, type Samples } from '../helpers/metrics-text.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const HELLO_COUNT = 'http_request_duration_seconds_count';
const SLOTS = ['0', '1'];

const hellos = (samples: Samples) =>
  select(samples, HELLO_COUNT, { route: '/api/hello' }).reduce((sum, [, value]) => sum + value, 0);

const everySlotAnswered = (samples: Samples) =>
  SLOTS.every((slot) => select(samples, 'cluster_worker_scrape_success', { slot })[0]?.[1] === 1);

async function serve(cluster: ClusterHandle, requests: number): Promise<void> {
  for (let i = 0; i < requests; i += 1) {
    const response = await fetch(`${cluster.apiUrl}/api/hello`, {
      headers: { connection: 'close' },
    });
    expect(response.status).toBe(200);
  }
}

/** Removes the socket's directory, found where a worker was told it (its environment). */
async function removeSocketDir(cluster: ClusterHandle): Promise<string> {
  const [worker] = await cluster.readyWorkers();
  const environ = fs.readFileSync(`/proc/${worker!.pid}/environ`, 'utf8').split('\0');
  const socketPath = environ.find((entry) => entry.startsWith('CLUSTER_METRICS_SOCKET='))!;
  const dir = path.dirname(socketPath.slice('CLUSTER_METRICS_SOCKET='.length));
  fs.rmSync(dir, { recursive: true });
  expect(fs.existsSync(dir)).toBe(false);
  return dir;
}

/** The scrape at which both slots answer and `wanted` hellos are counted (within 20 s). */
async function countsReturn(cluster: ClusterHandle, wanted: number): Promise<Samples> {
  let last = 'no scrape answered';
  try {
    return await waitUntil(
      async () => {
        const samples = await scrape(cluster.managerUrl);
        const success = SLOTS.map(
          (slot) => select(samples, 'cluster_worker_scrape_success', { slot })[0]?.[1],
        );
        last = `${hellos(samples)} hellos, scrape_success ${success.join('/')}`;
        return everySlotAnswered(samples) && hellos(samples) === wanted ? samples : undefined;
      },
      `${wanted} hellos counted and both slots answering`,
      20_000,
      200,
    );
  } catch (error) {
    throw new Error(`${String(error)}; last: ${last}; logs:\n${cluster.logs().slice(-1500)}`);
  }
}

describe('the metrics socket directory removed while the cluster runs', () => {
  let cluster: ClusterHandle | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('is made again: a reload’s new workers connect, and every request is counted', async () => {
    cluster = await startCluster({ env: { WORKERS: '2' } });
    await serve(cluster, 20);
    expect(hellos(await scrape(cluster.managerUrl))).toBe(20);

    const dir = await removeSocketDir(cluster);
    const before = new Set((await cluster.readyWorkers()).map((w) => w.pid));
    cluster.proc.kill('SIGHUP');
    const started = cluster;
    await waitUntil(
      async () => {
        const ready = await started.readyWorkers();
        return ready.length === 2 && ready.every((w) => !before.has(w.pid));
      },
      'two new workers ready after the reload',
      30_000,
    );
    // Served by workers that started after the removal.
    await serve(cluster, 30);

    const samples = await countsReturn(cluster, 50);
    expect(hellos(samples)).toBe(50);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(cluster.logs()).toContain('listening on it again');
    for (const slot of SLOTS) {
      for (const reason of ['unreachable', 'timeout']) {
        expect(
          select(samples, 'cluster_worker_collection_failures_total', { slot, reason }),
        ).toHaveLength(1);
      }
    }
  });

  it('is made again by a metrics thread that restarts meanwhile', async () => {
    cluster = await startCluster({
      entry: fixtureEntry('thread-restart-main.mjs'),
      env: { WORKERS: '2' },
    });
    await removeSocketDir(cluster);
    // SIGUSR2 ends the thread (this fixture): its successor listens at the removed path.
    cluster.proc.kill('SIGUSR2');
    await waitUntil(
      () => cluster?.logs().includes('metrics thread exited; starting a new one'),
      'the manager replacing its metrics thread',
    );
    // Totals restart with the thread; the workers' registries do not: their links bring them back.
    await serve(cluster, 10);
    const samples = await countsReturn(cluster, 10);
    expect(everySlotAnswered(samples)).toBe(true);
  });
});
