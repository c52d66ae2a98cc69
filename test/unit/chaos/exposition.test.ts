// The chaos run's monotonic-counter rule and its exposition reader, on hand-written scrapes in
// both formats (Prometheus text and OpenMetrics).
import { describe, expect, it } from 'vitest';
import {
  decreases,
  isMonotonic,
  parseExposition,
  restartsByReason,
  sumSeries,
} from '../../../scripts/chaos/exposition.js';

const text = (requests: number, bucket: number, inFlight: number, sum = 1.5) => `
# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{route="/api/hello",status="200"} ${requests}
# HELP http_request_duration_seconds Latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1"} ${bucket}
http_request_duration_seconds_bucket{le="+Inf"} ${bucket}
http_request_duration_seconds_sum ${sum}
http_request_duration_seconds_count ${bucket}
# HELP http_requests_in_flight In flight.
# TYPE http_requests_in_flight gauge
http_requests_in_flight ${inFlight}
`;

const openMetrics = (requests: number) => `# TYPE http_requests counter
# HELP http_requests Requests.
http_requests_total{route="/api/hello"} ${requests}
http_requests_created{route="/api/hello"} 1700000000
# EOF
`;

describe('the monotonic-counter rule', () => {
  it('finds nothing when counters grow or stay and gauges move either way', () => {
    expect(decreases(parseExposition(text(5, 3, 7)), parseExposition(text(5, 4, 0)))).toEqual([]);
  });

  it('names every counter and histogram series that went down', () => {
    const found = decreases(parseExposition(text(5, 3, 0, 2)), parseExposition(text(4, 3, 0, 1)));
    expect(found).toEqual([
      { series: 'http_requests_total{route="/api/hello",status="200"}', before: 5, after: 4 },
      { series: 'http_request_duration_seconds_sum', before: 2, after: 1 },
    ]);
  });

  it('reads OpenMetrics counters (family without _total) and ignores _created', () => {
    const { types } = parseExposition(openMetrics(1));
    expect(isMonotonic('http_requests_total{route="/api/hello"}', types)).toBe(true);
    expect(isMonotonic('http_requests_created{route="/api/hello"}', types)).toBe(false);
    expect(
      decreases(parseExposition(openMetrics(9)), parseExposition(openMetrics(8))),
    ).toHaveLength(1);
  });

  it('ignores series that appear or vanish (a scaled-away slot), and untyped ones', () => {
    const before = parseExposition(`${text(5, 3, 0)}\nmystery 10\n`);
    const after = parseExposition('# TYPE other_total counter\nother_total 0\nmystery 1\n');
    expect(decreases(before, after)).toEqual([]);
  });

  it('keeps label values with braces, commas and escaped quotes intact', () => {
    const exposition = parseExposition(
      '# TYPE x_total counter\nx_total{path="/a}b",q="say \\"hi\\", ok"} 3\n',
    );
    expect([...exposition.samples]).toEqual([['x_total{path="/a}b",q="say \\"hi\\", ok"}', 3]]);
  });
});

describe('sums the run reads', () => {
  it('adds a metric over its label sets, and restarts by reason', () => {
    const exposition = parseExposition(`# TYPE cluster_worker_restarts_total counter
cluster_worker_restarts_total{slot="0",reason="crash"} 2
cluster_worker_restarts_total{slot="1",reason="crash"} 1
cluster_worker_restarts_total{slot="1",reason="hung"} 1
${text(5, 3, 0)}`);
    expect(restartsByReason(exposition)).toEqual({ crash: 3, hung: 1 });
    expect(sumSeries(exposition, 'cluster_worker_restarts_total', 'reason="crash"')).toBe(3);
    expect(sumSeries(exposition, 'http_request_duration_seconds_count')).toBe(3);
  });
});
