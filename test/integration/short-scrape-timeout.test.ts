// Prometheus' shortest sensible scrape timeouts on a healthy, idle cluster: every scrape answers
// 200, with the manager's own part and every slot answering in time. (A 330 ms timeout left the
// manager's read of its own main thread a deadline shorter than the main thread's late-call
// margin, so it was never run and every scrape failed with 503: `up` 0 on a healthy cluster.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { parseSamples, select, type Samples } from '../helpers/metrics-text.js';
import { waitUntil } from '../../scripts/lib/wait.js';

/** X-Prometheus-Scrape-Timeout-Seconds values: 100 ms, 250 ms, 330 ms, 1 s. */
const TIMEOUTS = ['0.1', '0.25', '0.33', '1'];
const SLOTS = ['0', '1'];

/** Every part answered in time: the manager's main thread and each slot's worker. */
function allAnswered(samples: Samples): boolean {
  return (
    select(samples, 'cluster_manager_scrape_success')[0]?.[1] === 1 &&
    SLOTS.every((slot) => select(samples, 'cluster_worker_scrape_success', { slot })[0]?.[1] === 1)
  );
}

describe('scrapes with a short scrape timeout on an idle cluster', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    // METRICS_COLLECT_TIMEOUT_MS stays at its default (2 s): the header must win.
    cluster = await startCluster({ env: { WORKERS: '2' }, unset: ['METRICS_COLLECT_TIMEOUT_MS'] });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  for (const seconds of TIMEOUTS) {
    it(`answers 200 with every part answering, scrape timeout ${seconds} s`, async () => {
      const statuses: number[] = [];
      // Every scrape must be 200; a slot may miss one collection on a loaded machine (it is then
      // flagged, not failed), so all-answered is waited for rather than asserted of the first.
      const whole = await waitUntil(
        async () => {
          const response = await fetch(`${cluster.managerUrl}/metrics`, {
            headers: { 'x-prometheus-scrape-timeout-seconds': seconds },
          });
          statuses.push(response.status);
          const body = await response.text();
          if (response.status !== 200)
            throw new Error(`/metrics answered ${response.status}: ${body}`);
          const samples = parseSamples(body);
          return allAnswered(samples) ? samples : undefined;
        },
        `a scrape with every part answering within ${seconds} s`,
        20_000,
        50,
      );
      expect(statuses.every((status) => status === 200)).toBe(true);
      expect(select(whole, 'cluster_worker_up').length).toBeGreaterThan(0);
    });
  }
});
