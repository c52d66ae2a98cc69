// The reference for "true" cluster metrics, computed the straightforward way: prom-client's own
// AggregatorRegistry.aggregate() over every live worker's newest full snapshot (only its
// cumulative families when it did not answer the scrape) plus the last cumulative snapshot of
// every worker that left, with the service's aggregation rules applied. No deltas, no caches.
import { Registry } from 'prom-client';
import { applyAggregationRules, isCumulative } from '../../src/metrics/aggregation-rules.js';
import {
  aggregate,
  type ContentType,
  type MetricFamily,
  type MetricsSnapshot,
} from '../../src/metrics/snapshot.js';

const cumulativeOnly = (snapshot: MetricsSnapshot) => snapshot.filter(isCumulative);

/**
 * prom-client's OpenMetrics renderer appends `_total` to counter samples without stripping it
 * from aggregate()'s family names; the expected output names the family once, as the spec says.
 */
const openMetricsName = (family: MetricFamily): MetricFamily =>
  family.type === 'counter' ? { ...family, name: family.name.replace(/_total$/, '') } : family;

export class MetricsOracle {
  private readonly retired: MetricsSnapshot[] = [];
  private readonly delivered = new Map<number, MetricsSnapshot>();

  /** The manager received this full snapshot of the worker (a reply or final words). */
  deliver(workerId: number, snapshot: MetricsSnapshot): void {
    this.delivered.set(workerId, snapshot);
  }

  /** The worker is gone: what it last delivered counts forever, its gauges no more. */
  retire(workerId: number): void {
    const last = this.delivered.get(workerId);
    this.delivered.delete(workerId);
    if (last) this.retired.push(cumulativeOnly(last));
  }

  async expected(answered: ReadonlySet<number>, contentType: ContentType): Promise<string> {
    const parts = [
      ...this.retired,
      ...[...this.delivered].map(([id, snapshot]) =>
        answered.has(id) ? snapshot : cumulativeOnly(snapshot),
      ),
    ].map((part) => {
      const ruled = applyAggregationRules(part);
      return contentType === Registry.OPENMETRICS_CONTENT_TYPE ? ruled.map(openMetricsName) : ruled;
    });
    return aggregate(parts, contentType).metrics();
  }
}

/**
 * An exposition as its sorted lines: the same samples, HELP and TYPE lines in any order. The
 * order of families and series carries no meaning in either format.
 */
export function linesOf(exposition: string): string[] {
  return exposition
    .split('\n')
    .filter((line) => line !== '')
    .sort();
}
