// A real Prometheus scraping an idle, healthy cluster with `scrape_timeout: 330ms` (and the same
// interval): `up` is 1 for every scrape, the manager's part and every slot answering. The manager
// used to give its main thread's read a 247 ms deadline and never run it (a 250 ms late-call
// margin), so every such scrape failed with 503: `up` 0 on a healthy cluster.
import { expect, it } from 'vitest';
import { describeWithTools, observedCluster } from '../helpers/observed-cluster.js';

const WINDOW_S = 5;

describeWithTools(['prometheus'], 'scrapes of an idle cluster with a 330 ms timeout', () => {
  // METRICS_COLLECT_TIMEOUT_MS stays at its default (2 s): the header must win.
  const observed = observedCluster(
    { env: { WORKERS: '2' }, unset: ['METRICS_COLLECT_TIMEOUT_MS'] },
    '330ms',
  );

  it('keeps up=1 for every scrape, the manager and every slot answering', async () => {
    const prom = observed.prometheus();
    await prom.waitFor(
      'up{job="cluster"} == 1 and on() cluster_manager_scrape_success == 1',
      (samples) => samples.length === 1,
      'the cluster scraped, its manager answering',
      30_000,
    );
    const from = Date.now() / 1000;
    // A window of scrapes after the first good one; every one of them must have succeeded.
    await prom.waitFor(
      `count_over_time(up{job="cluster"}[${WINDOW_S}s]) >= ${WINDOW_S * 2}`,
      (samples) => samples.length === 1 && Date.now() / 1000 - from >= WINDOW_S,
      `${WINDOW_S} s of scrapes`,
      30_000,
    );
    const [up] = await prom.query(`min_over_time(up{job="cluster"}[${WINDOW_S}s])`);
    expect(up?.value[1]).toBe('1');
    // Every part answered in the window (one may miss a collection on a busy machine: it is
    // flagged, never failed: `up` above).
    const [manager] = await prom.query(
      `max_over_time(cluster_manager_scrape_success[${WINDOW_S}s])`,
    );
    expect(manager?.value[1]).toBe('1');
    const slots = await prom.query(`max_over_time(cluster_worker_scrape_success[${WINDOW_S}s])`);
    expect(slots.map((s) => [s.metric.slot, s.value[1]]).sort()).toEqual([
      ['0', '1'],
      ['1', '1'],
    ]);
  });
});
