// A histogram for the one hot path (every API request), exported exactly as prom-client's would
// (a unit test compares both on random observations): prom-client's observe() allocates,
// validates and hashes the labels on every call, too much for the instrumentation's budget.
import type { Registry } from 'prom-client';
import type { SampleExemplar } from './exemplars.js';
import type { MetricFamily } from './snapshot.js';

/** A bucket's newest exemplar, and when it was kept (exemplarClock) for exemplarsSince. */
interface BucketExemplar {
  traceId: string;
  value: number;
  timestampMs: number;
  kept: number;
}

interface Series {
  labels: Record<string, string | number>;
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
  /** Per bucket, the newest exemplar; absent until the series has one. */
  exemplars?: (BucketExemplar | undefined)[];
}

/** Counts exemplars kept by every LeanHistogram of the process: a reply sends those after it. */
let exemplarClock = 0;

export function exemplarsKept(): number {
  return exemplarClock;
}

export interface LeanHistogramOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  buckets: readonly number[];
  registers: Registry[];
  /** Exemplar timestamps, ms since the epoch (default Date.now; the oracle's is a counter). */
  now?: () => number;
}

export class LeanHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly labelNames: readonly L[];
  private readonly upperBounds: readonly number[];
  /** Nested maps, one level per label name, leaves are series. */
  private readonly index = new Map<unknown, unknown>();
  private readonly series: Series[] = [];
  private readonly now: () => number;

  constructor(options: LeanHistogramOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    this.upperBounds = [...options.buckets].sort((a, b) => a - b);
    this.now = options.now ?? Date.now;
    for (const registry of options.registers) {
      // The registry's own extension point; prom-client's aggregate() registers plain objects too.
      registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
    }
  }

  /** `traceId`: the request's, kept as its bucket's exemplar (the newest replaces the last). */
  observe(labels: Record<L, string | number>, value: number, traceId?: string): void {
    if (!Number.isFinite(value)) throw new TypeError(`${this.name}: not a finite value: ${value}`);
    const series = this.seriesFor(labels);
    let bucket = 0;
    while (bucket < this.upperBounds.length && value > this.upperBounds[bucket]!) bucket += 1;
    series.counts[bucket]! += 1;
    series.sum += value;
    series.count += 1;
    if (traceId === undefined) return;
    exemplarClock += 1;
    (series.exemplars ??= [])[bucket] = {
      traceId,
      value,
      timestampMs: this.now(),
      kept: exemplarClock,
    };
  }

  /** The exemplars kept after `since` (a value of exemplarsKept()), as the link reports them. */
  exemplarsSince(since: number): SampleExemplar[] {
    const found: SampleExemplar[] = [];
    for (const { labels, exemplars } of this.series) {
      exemplars?.forEach((held, bucket) => {
        if (held === undefined || held.kept <= since) return;
        found.push({
          family: this.name,
          metricName: `${this.name}_bucket`,
          labels: { le: this.le(bucket), ...labels },
          exemplar: {
            labels: { trace_id: held.traceId },
            value: held.value,
            timestampMs: held.timestampMs,
          },
        });
      });
    }
    return found;
  }

  /** Exports the series at 0 (as Histogram.zero()): its first observation is then an increase. */
  zero(labels: Record<L, string | number>): void {
    this.seriesFor(labels);
  }

  private le(bucket: number): number | '+Inf' {
    return bucket < this.upperBounds.length ? this.upperBounds[bucket]! : '+Inf';
  }

  private seriesFor(labels: Record<L, string | number>): Series {
    // One map level per label: no key string to build (and hash) on every call.
    let node: Map<unknown, unknown> = this.index;
    const last = this.labelNames.length - 1;
    for (let i = 0; i < last; i += 1) {
      const labelValue = labels[this.labelNames[i]!];
      let child = node.get(labelValue) as Map<unknown, unknown> | undefined;
      if (child === undefined) {
        child = new Map();
        node.set(labelValue, child);
      }
      node = child;
    }
    const leafValue = last < 0 ? '' : labels[this.labelNames[last]!];
    const found = node.get(leafValue) as Series | undefined;
    if (found !== undefined) return found;
    const copy: Record<string, string | number> = {};
    for (const name of this.labelNames) {
      if (labels[name] === undefined) throw new Error(`${this.name}: label ${name} missing`);
      copy[name] = labels[name];
    }
    const series = {
      labels: copy,
      counts: new Float64Array(this.upperBounds.length + 1),
      sum: 0,
      count: 0,
    };
    node.set(leafValue, series);
    // Export order: first observed first, as prom-client does.
    this.series.push(series);
    return series;
  }

  reset(): void {
    this.index.clear();
    this.series.length = 0;
  }

  /** The same JSON prom-client's Histogram.get() returns: cumulative buckets, +Inf, sum, count. */
  async get(): Promise<MetricFamily> {
    const values: MetricFamily['values'] = [];
    const metricName = `${this.name}_bucket`;
    for (const { labels, counts, sum, count } of this.series) {
      let cumulative = 0;
      counts.forEach((n, bucket) => {
        cumulative += n;
        values.push({ labels: { le: this.le(bucket), ...labels }, value: cumulative, metricName });
      });
      values.push({ labels: { ...labels }, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...labels }, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }
}

export function registryExemplars(registry: Registry, since: number): SampleExemplar[] {
  // getMetricsAsArray() is typed as prom-client's own metrics; LeanHistograms are among them.
  const metrics: unknown[] = registry.getMetricsAsArray();
  return metrics.flatMap((metric) =>
    metric instanceof LeanHistogram ? metric.exemplarsSince(since) : [],
  );
}
