// The carry-over merge, exercised with prom-client's real registries and its real text output.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { negotiateContentType } from '../../../../src/manager/endpoint/scrape-request.js';
import { MetricsLedger } from '../../../../src/manager/aggregation/metrics-ledger.js';
import { snapshotOf } from '../../../../src/metrics/snapshot.js';

function fakeWorker() {
  const registry = new Registry();
  const requests = new Counter({
    name: 'demo_requests_total',
    help: 'h',
    labelNames: ['route'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'h',
    labelNames: ['route'],
    buckets: [0.1, 1],
    registers: [registry],
  });
  const inFlight = new Gauge({ name: 'http_requests_in_flight', help: 'h', registers: [registry] });
  return { registry, requests, latency, inFlight };
}

/** Reads one sample value from Prometheus text output (the real rendered format). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function render(ledger: MetricsLedger, answered: number[]): Promise<string> {
  return ledger.render(new Set(answered), [], negotiateContentType(undefined));
}

describe('MetricsLedger', () => {
  it('sums workers and keeps a dead worker’s counts (counter and histogram) after it retires', async () => {
    const a = fakeWorker();
    const b = fakeWorker();
    a.requests.inc({ route: '/x' }, 5);
    b.requests.inc({ route: '/x' }, 7);
    a.latency.observe({ route: '/x' }, 0.05);
    b.latency.observe({ route: '/x' }, 0.5);
    a.inFlight.set(2);
    b.inFlight.set(3);
    const ledger = new MetricsLedger();
    ledger.record(1, await snapshotOf(a.registry));
    ledger.record(2, await snapshotOf(b.registry));

    let text = await render(ledger, [1, 2]);
    expect(sample(text, 'demo_requests_total{route="/x"}')).toBe(12);
    expect(sample(text, 'http_request_duration_seconds_count{route="/x"}')).toBe(2);
    expect(sample(text, 'http_request_duration_seconds_bucket{le="0.1",route="/x"}')).toBe(1);
    expect(sample(text, 'http_requests_in_flight')).toBe(5);

    // Worker 2 dies; a replacement (3) starts from zero.
    await ledger.retire(2);
    const c = fakeWorker();
    c.requests.inc({ route: '/x' }, 1);
    c.inFlight.set(1);
    ledger.record(3, await snapshotOf(c.registry));
    text = await render(ledger, [1, 3]);
    expect(sample(text, 'demo_requests_total{route="/x"}')).toBe(13);
    expect(sample(text, 'http_request_duration_seconds_count{route="/x"}')).toBe(2);
    // The dead worker's gauge is gone, not frozen.
    expect(sample(text, 'http_requests_in_flight')).toBe(3);
  });

  it('a worker that missed the collection keeps its counters but not its gauges', async () => {
    const a = fakeWorker();
    const b = fakeWorker();
    a.requests.inc({ route: '/y' }, 3);
    b.requests.inc({ route: '/y' }, 4);
    a.inFlight.set(1);
    b.inFlight.set(10);
    const ledger = new MetricsLedger();
    ledger.record(1, await snapshotOf(a.registry));
    ledger.record(2, await snapshotOf(b.registry));
    const text = await render(ledger, [1]);
    expect(sample(text, 'demo_requests_total{route="/y"}')).toBe(7);
    expect(sample(text, 'http_requests_in_flight')).toBe(1);
  });

  it('retired totals accumulate over many generations and never decrease', async () => {
    const ledger = new MetricsLedger();
    let previous = 0;
    for (let generation = 1; generation <= 20; generation += 1) {
      const w = fakeWorker();
      w.requests.inc({ route: '/z' }, generation);
      ledger.record(generation, await snapshotOf(w.registry));
      const total = sample(await render(ledger, [generation]), 'demo_requests_total{route="/z"}');
      expect(total).toBeGreaterThanOrEqual(previous);
      previous = total ?? 0;
      await ledger.retire(generation);
    }
    expect(previous).toBe((20 * 21) / 2);
  });

  it('applies the stated aggregation rules (max for event-loop lag, omitted *_total gauges)', async () => {
    const make = (lag: number) => {
      const registry = new Registry();
      new Gauge({ name: 'nodejs_eventloop_lag_p99_seconds', help: 'h', registers: [registry] }).set(
        lag,
      );
      new Gauge({ name: 'nodejs_active_handles_total', help: 'h', registers: [registry] }).set(4);
      return registry;
    };
    const ledger = new MetricsLedger();
    ledger.record(1, await snapshotOf(make(0.01)));
    ledger.record(2, await snapshotOf(make(0.2)));
    const text = await render(ledger, [1, 2]);
    expect(sample(text, 'nodejs_eventloop_lag_p99_seconds')).toBe(0.2);
    expect(text).not.toContain('nodejs_active_handles_total');
  });

  it('renders OpenMetrics when asked, ending with a single # EOF', async () => {
    const a = fakeWorker();
    a.requests.inc({ route: '/x' }, 2);
    const ledger = new MetricsLedger();
    ledger.record(1, await snapshotOf(a.registry));
    const type = negotiateContentType(
      'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    );
    expect(type).toMatch(/^application\/openmetrics-text/);
    const text = await ledger.render(new Set([1]), [], type);
    expect(text.trimEnd().endsWith('# EOF')).toBe(true);
    expect(text.match(/# EOF/g)).toHaveLength(1);
    expect(text).toContain('demo_requests_total{route="/x"} 2');
    expect(text).toContain('# TYPE demo_requests counter');
    expect(text).not.toContain('_total_total');
  });

  it('negotiates Prometheus text unless OpenMetrics is acceptable', () => {
    expect(negotiateContentType(undefined)).toMatch(/^text\/plain/);
    expect(negotiateContentType('text/plain')).toMatch(/^text\/plain/);
    expect(negotiateContentType('application/openmetrics-text;q=0')).toMatch(/^text\/plain/);
    expect(negotiateContentType('*/*')).toMatch(/^text\/plain/);
  });

  it('follows the qualities: the text format when the scraper prefers it', () => {
    const text = /^text\/plain/;
    const om = /^application\/openmetrics-text/;
    expect(negotiateContentType('text/plain;q=1, application/openmetrics-text;q=0.1')).toMatch(
      text,
    );
    expect(negotiateContentType('application/openmetrics-text;q=0.1, */*;q=0.5')).toMatch(text);
    expect(negotiateContentType('application/openmetrics-text;q=0.5, text/plain;q=0.5')).toMatch(
      om,
    );
    expect(negotiateContentType('Application/OpenMetrics-Text; q=0.9, text/plain;q=0.2')).toMatch(
      om,
    );
    expect(negotiateContentType('application/openmetrics-text;q=abc')).toMatch(text);
    // Prometheus 3's default header.
    expect(
      negotiateContentType(
        'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
      ),
    ).toMatch(om);
  });
});
