// The manager's metrics thread ends (here: terminated from outside, as a crash would end it): the
// manager says so, starts a new one on the same socket, the workers' links reconnect, and
// scrapes answer with every worker again. Totals restart with the thread (documented).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureEntry, startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { scrape, select, sumOf } from '../helpers/metrics-text.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const FIXTURE = fixtureEntry('thread-restart-main.mjs');
const COUNT = 'http_request_duration_seconds_count';

describe('a metrics thread that ends', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({ entry: FIXTURE, env: { WORKERS: '2' } });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('is replaced, and the next scrapes hold every worker again', async () => {
    for (let i = 0; i < 20; i += 1) {
      await fetch(`${cluster.apiUrl}/api/hello`, { headers: { connection: 'close' } });
    }
    expect(sumOf(await scrape(cluster.managerUrl), COUNT)).toBeGreaterThanOrEqual(20);

    cluster.proc.kill('SIGUSR2');
    await waitUntil(
      () => cluster.logs().includes('metrics thread exited; starting a new one'),
      'the manager noticing its metrics thread ended',
    );
    // The API never depended on the thread.
    expect((await fetch(`${cluster.apiUrl}/api/hello`)).status).toBe(200);

    const samples = await waitUntil(
      async () => {
        const now = await scrape(cluster.managerUrl);
        const answered = [0, 1].every(
          (slot) =>
            select(now, 'cluster_worker_scrape_success', { slot: String(slot) })[0]?.[1] === 1,
        );
        return answered ? now : undefined;
      },
      'a scrape that both workers answered, through reconnected links',
      20_000,
      100,
    );
    // The workers' own counters come through again (their registries never reset).
    expect(sumOf(samples, COUNT)).toBeGreaterThanOrEqual(21);
    expect(cluster.logs()).not.toMatch(/EADDRINUSE/);
  });
});
