// An application metric that cannot be read (its collect() throws) on one worker: that worker
// keeps serving the API and is not restarted; its slot is flagged in every scrape
// (cluster_worker_scrape_success 0) with its counts kept, the error is logged, and once the metric
// reads again everything it counted meanwhile shows. (An unhandled rejection in the worker's
// metrics link used to end the worker: a crash at every scrape.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureEntry, startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { scrape, select, sumOf } from '../helpers/metrics-text.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const FIXTURE = fixtureEntry('broken-metric-worker-main.mjs');
const COUNT = 'http_request_duration_seconds_count';

const successOf = async (cluster: ClusterHandle, slot: string) =>
  select(await scrape(cluster.managerUrl), 'cluster_worker_scrape_success', { slot })[0]?.[1];

async function hello(cluster: ClusterHandle, times: number) {
  for (let i = 0; i < times; i += 1) {
    const response = await fetch(`${cluster.apiUrl}/api/hello`, {
      headers: { connection: 'close' },
    });
    expect(response.status).toBe(200);
  }
}

describe('a worker whose registry cannot be read', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({
      entry: FIXTURE,
      env: { WORKERS: '2', METRICS_COLLECT_TIMEOUT_MS: '1500' },
    });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('keeps serving, is flagged, keeps its counts, and shows everything once mended', async () => {
    await hello(cluster, 20);
    expect(await successOf(cluster, '0')).toBe(1);
    const before = sumOf(await scrape(cluster.managerUrl), COUNT);
    const victim = (await cluster.status()).workers.find((w) => w.slot === 0)!;

    process.kill(victim.pid, 'SIGUSR2');
    await hello(cluster, 40);
    const broken = await scrape(cluster.managerUrl);
    expect(select(broken, 'cluster_worker_scrape_success', { slot: '0' })[0]?.[1]).toBe(0);
    expect(select(broken, 'cluster_worker_scrape_success', { slot: '1' })[0]?.[1]).toBe(1);
    // Slot 0's counts as last read, slot 1's current: never below the scrape before.
    expect(sumOf(broken, COUNT)).toBeGreaterThanOrEqual(before);
    await waitUntil(
      () => cluster.logs().includes('fixture metric broken on SIGUSR2'),
      'the failure in the log',
      10_000,
    );
    expect(cluster.logs()).toContain('reading the metrics registry failed');
    const during = (await cluster.status()).workers.find((w) => w.slot === 0)!;
    expect(during.pid).toBe(victim.pid);
    expect(during.restarts).toBe(victim.restarts);

    process.kill(victim.pid, 'SIGUSR2');
    await waitUntil(async () => (await successOf(cluster, '0')) === 1, 'slot 0 answering again');
    const mended = sumOf(await scrape(cluster.managerUrl), COUNT);
    // Every request above reached this scrape; the probes' own requests go to the manager port.
    expect(mended).toBeGreaterThanOrEqual(before + 40);
    expect((await cluster.status()).workers.find((w) => w.slot === 0)!.pid).toBe(victim.pid);
  });
});
