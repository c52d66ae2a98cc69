// A freshly started cluster that nobody calls yet: every dashboard panel (the k6 dashboard
// aside: nothing pushes k6 results here) must show data, not "No data". A panel that is empty
// until the first request, or a restart counter that only appears at the first restart, hides
// exactly the events an operator opens the dashboard for (`increase()` never sees the first one).
import { expect, it } from 'vitest';
import { dashboardExpressions } from '../helpers/dashboards.js';
import { describeWithTools, observedCluster } from '../helpers/observed-cluster.js';
import { PrometheusQueryError } from '../helpers/prometheus-process.js';

const PARSE_ONLY_DASHBOARDS = new Set(['k6.json']);

describeWithTools(['prometheus'], 'dashboards on a quiet, freshly started cluster', () => {
  const observed = observedCluster({ env: { WORKERS: '2' } });

  it('every panel returns data before the first API request', async () => {
    const prom = observed.prometheus();
    // Enough scrapes for rate() windows to hold two samples.
    await prom.waitFor(
      'count_over_time(up{job="cluster"}[1m]) >= 8',
      (samples) => samples.length === 1,
      'eight scrapes of the cluster',
      60_000,
    );
    const panels = dashboardExpressions().filter(
      (e) => e.kind === 'panel' && !PARSE_ONLY_DASHBOARDS.has(e.dashboard),
    );
    expect(panels.length).toBeGreaterThan(20);
    const empty: string[] = [];
    for (const e of panels) {
      const label = `${e.dashboard} / "${e.where}" ${e.refId}: ${e.raw}`;
      try {
        const series = await prom.query(e.expr);
        if (series.length === 0) empty.push(label);
      } catch (error) {
        if (error instanceof PrometheusQueryError) empty.push(`invalid: ${label}`);
        else throw error;
      }
    }
    expect(empty).toEqual([]);
    // And nobody called the API: the data is there because it exists from the start.
    const requests = await prom.query('sum(http_request_duration_seconds_count{job="cluster"})');
    expect(requests.map((s) => Number(s.value[1]))).toEqual([0]);
  });
});
