// A stopped worker never costs a scrape, whatever Prometheus' scrape timeout: with
// `scrape_interval: 1s, scrape_timeout: 1s` and the default METRICS_COLLECT_TIMEOUT_MS (2 s,
// longer than the scrape timeout), the manager fits its collection to the
// X-Prometheus-Scrape-Timeout-Seconds header, so `up` stays 1 for every scrape during an 8 s
// SIGSTOP and the stopped slot is flagged by cluster_worker_scrape_success=0 throughout.
import { expect, it } from 'vitest';
import { describeWithTools, observedCluster } from '../helpers/observed-cluster.js';
import type { PrometheusHandle } from '../helpers/prometheus-process.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const STOP_MS = 8_000;

/** Raw samples of a range selector: [unix seconds, value]. */
async function rawSamples(prometheus: PrometheusHandle, selector: string, at: number) {
  const result = await prometheus.query(`${selector}[60s]`, at);
  const series = result as unknown as { values?: [number, string][] }[];
  return (series[0]?.values ?? []).map(([t, v]) => [t, Number(v)] as const);
}

describeWithTools(['prometheus'], 'scrapes with a 1 s timeout and a stopped worker', () => {
  // METRICS_COLLECT_TIMEOUT_MS stays at its default (2 s): the header must win.
  const observed = observedCluster({
    env: { WORKERS: '2' },
    unset: ['METRICS_COLLECT_TIMEOUT_MS'],
  });

  it('keeps up=1 for every scrape and flags the stopped slot in each', async () => {
    const prom = observed.prometheus();
    const cluster = observed.cluster();
    await prom.waitFor(
      'cluster_worker_scrape_success{slot="0"} == 1 and on() up{job="cluster"} == 1',
      (samples) => samples.length === 1,
      'the cluster scraped and slot 0 answering',
      30_000,
    );
    const victim = (await cluster.status()).workers.find((w) => w.slot === 0)!;
    const stoppedAt = Date.now() / 1000;
    process.kill(victim.pid, 'SIGSTOP');
    try {
      const until = Date.now() + STOP_MS;
      await waitUntil(
        () => Date.now() >= until,
        'the worker stopped for 8 s',
        STOP_MS + 5_000,
        100,
      );
    } finally {
      process.kill(victim.pid, 'SIGCONT');
    }
    const resumedAt = Date.now() / 1000;
    // Wait until Prometheus has scraped past the stop, so the window is complete.
    await prom.waitFor(
      'cluster_worker_scrape_success{slot="0"} == 1',
      (samples) => samples.length === 1,
      'slot 0 answering again',
      30_000,
    );
    const at = Date.now() / 1000;
    const up = (await rawSamples(prom, 'up{job="cluster"}', at)).filter(
      ([t]) => t >= stoppedAt && t <= resumedAt,
    );
    // One scrape a second; a second or two of slack for a busy machine.
    expect(up.length).toBeGreaterThanOrEqual(STOP_MS / 1000 - 2);
    expect(
      up.filter(([, v]) => v !== 1),
      JSON.stringify(up),
    ).toEqual([]);

    // The first scrape that began after the SIGSTOP, until the last one before SIGCONT.
    const flagged = (await rawSamples(prom, 'cluster_worker_scrape_success{slot="0"}', at)).filter(
      ([t]) => t >= stoppedAt + 1.5 && t <= resumedAt - 1,
    );
    expect(flagged.length).toBeGreaterThanOrEqual(STOP_MS / 1000 - 4);
    expect(
      flagged.filter(([, v]) => v !== 0),
      JSON.stringify(flagged),
    ).toEqual([]);

    const other = (await rawSamples(prom, 'cluster_worker_scrape_success{slot="1"}', at)).filter(
      ([t]) => t >= stoppedAt && t <= resumedAt,
    );
    expect(other.filter(([, v]) => v !== 1)).toEqual([]);
    // Not replaced: the stop was the manager's to report, not a restart.
    expect((await cluster.status()).workers.map((w) => w.pid)).toContain(victim.pid);
  });
});
