// The manager's main thread paused for 1.2 s (a long GC, a slow synchronous call) while
// Prometheus scrapes with a 330 ms timeout: every scrape still answers 200, the manager's part
// flagged (cluster_manager_scrape_success 0) with its last values, its counters never lower, and
// it is current again once the thread is back. (Only a main thread silent as long as /livez
// allows, 2 s, fails the scrape: busy-manager-main.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureEntry, startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { parseSamples, select, sumOf, type Samples } from '../helpers/metrics-text.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const FIXTURE = fixtureEntry('busy-main-main.mjs');
const PAUSE_MS = 1_200;
/** Counted by the main thread (its supervision metrics). */
const MAIN_COUNTER = 'cluster_worker_restarts_total';

describe('a manager whose main thread pauses shorter than /livez allows', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({
      entry: FIXTURE,
      env: { WORKERS: '2', BUSY_MAIN_MS: String(PAUSE_MS) },
    });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('answers every short-timeout scrape 200, flags the manager meanwhile, then is current', async () => {
    const scrapes: Samples[] = [];
    const statuses: number[] = [];
    const scrape = async (): Promise<Samples> => {
      const response = await fetch(`${cluster.managerUrl}/metrics`, {
        headers: { 'x-prometheus-scrape-timeout-seconds': '0.33' },
      });
      const body = await response.text();
      statuses.push(response.status);
      if (response.status !== 200) throw new Error(`/metrics answered ${response.status}: ${body}`);
      const samples = parseSamples(body);
      scrapes.push(samples);
      return samples;
    };
    const flag = (samples: Samples) => select(samples, 'cluster_manager_scrape_success')[0]?.[1];

    await waitUntil(async () => flag(await scrape()) === 1, 'the manager current', 20_000);
    cluster.proc.kill('SIGUSR2');
    const flagged = await waitUntil(
      async () => {
        const samples = await scrape();
        return flag(samples) === 0 ? samples : undefined;
      },
      'a scrape during the pause, the manager flagged',
      10_000,
      20,
    );
    // Its last values are served, not dropped.
    expect(select(flagged, 'cluster_worker_up').length).toBeGreaterThan(0);
    expect(select(flagged, MAIN_COUNTER).length).toBeGreaterThan(0);
    await waitUntil(async () => flag(await scrape()) === 1, 'the manager current again', 20_000);

    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const totals = scrapes.map((samples) => sumOf(samples, MAIN_COUNTER));
    for (let i = 1; i < totals.length; i += 1) {
      expect(totals[i], `scrape ${i} of ${JSON.stringify(totals)}`).toBeGreaterThanOrEqual(
        totals[i - 1]!,
      );
    }
  });
});
