// The manager's memory of every worker's metrics, and the merge that makes /metrics truthful:
// cumulative series (counters, histograms) of workers that left are carried in a retired total,
// so the cluster's sums never go down while the manager lives; gauges of absent or silent
// workers are dropped instead of being reported stale.
import { Registry } from 'prom-client';
import { applyAggregationRules, isCumulative } from '../metrics/aggregation-rules.js';
import { aggregate, snapshotOf, type ContentType } from '../metrics/snapshot.js';
import type { MetricsSnapshot } from '../protocol.js';

function cumulativeOnly(snapshot: MetricsSnapshot): MetricsSnapshot {
  return snapshot.filter(isCumulative);
}

/**
 * OpenMetrics names a counter family without `_total` and its sample with it. prom-client's
 * renderer appends the suffix to samples but only strips it from the family name of its own
 * metric objects, not from aggregate()'s output, which would print `x_total_total`: strip it
 * here so the renderer's suffix lands once.
 */
function forOpenMetrics(snapshot: MetricsSnapshot): MetricsSnapshot {
  return snapshot.map((metric) =>
    metric.type === 'counter' ? { ...metric, name: metric.name.replace(/_total$/, '') } : metric,
  );
}

export class MetricsLedger {
  private retired: MetricsSnapshot = [];
  private readonly latest = new Map<number, MetricsSnapshot>();

  /** Stores a worker's newest snapshot (replacing the previous one: it only grows). */
  record(workerId: number, snapshot: MetricsSnapshot): void {
    this.latest.set(workerId, applyAggregationRules(snapshot));
  }

  has(workerId: number): boolean {
    return this.latest.has(workerId);
  }

  /** The worker is gone: fold its last cumulative series into the retired total. */
  async retire(workerId: number): Promise<void> {
    const last = this.latest.get(workerId);
    this.latest.delete(workerId);
    if (!last) return;
    this.retired = await snapshotOf(aggregate([this.retired, cumulativeOnly(last)]));
  }

  /**
   * One registry for the whole cluster: retired totals + every known worker's newest snapshot
   * (whole if it answered this collection, cumulative-only if it did not) + `extra` (the
   * manager's own metrics, passed through unchanged).
   */
  merge(answered: ReadonlySet<number>, extra: MetricsSnapshot, contentType: ContentType): Registry {
    const parts: MetricsSnapshot[] = [this.retired];
    for (const [workerId, snapshot] of this.latest) {
      parts.push(answered.has(workerId) ? snapshot : cumulativeOnly(snapshot));
    }
    parts.push(extra.map((metric) => ({ ...metric, aggregator: 'first' as const })));
    return aggregate(
      contentType === Registry.OPENMETRICS_CONTENT_TYPE ? parts.map(forOpenMetrics) : parts,
      contentType,
    );
  }
}
