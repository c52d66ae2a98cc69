// A worker's metrics side without the process: a real prom-client registry holding every metric
// type (labelled and not), metrics computed in collect() callbacks the way prom-client's default
// metrics are, and the service's own LeanHistogram. Values are multiples of 1/4 so that sums are
// exact whatever order they are added in: the oracle and the system under test may add the same
// numbers in different orders, and a float rounding difference is not a lie. A LeanHistogram
// observation may carry a trace id: the worker then keeps, beside the histogram's own, its own
// plain record of each bucket's newest exemplar (the oracle's full list, never the histogram's),
// stamped by a clock all simulated workers share and that strictly increases: no two exemplars
// are ever equally new, so "the newest" always names one.
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { LeanHistogram } from '../../src/metrics/lean-histogram.js';
import { snapshotOf, type MetricsSnapshot } from '../../src/metrics/snapshot.js';

export const LABEL_VALUES = ['a', 'b', 'c'] as const;
export type LabelValue = (typeof LABEL_VALUES)[number];

/** One thing a worker's code can do to its metrics. */
export type MetricOp =
  | { kind: 'counter.inc'; label: LabelValue | null; by: number }
  | { kind: 'counter.reset' }
  | { kind: 'counter.remove'; label: LabelValue }
  | { kind: 'gauge.set'; label: LabelValue | null; to: number }
  | { kind: 'gauge.inc'; label: LabelValue | null; by: number }
  | { kind: 'gauge.dec'; label: LabelValue | null; by: number }
  | { kind: 'gauge.remove'; label: LabelValue }
  | { kind: 'histogram.observe'; label: LabelValue; value: number }
  | { kind: 'histogram.reset' }
  | { kind: 'lean.observe'; label: LabelValue; value: number; traceId: string | null }
  | { kind: 'summary.observe'; value: number }
  | { kind: 'process.advance'; cpu: number; heap: number; lag: number };

/** Exemplar timestamps (ms since the epoch) for every worker of a run: each reading is later. */
export class ExemplarClock {
  private ms = Date.UTC(2026, 0, 1);
  /** The latest reading. */
  last = Number.NaN;

  readonly now = (): number => (this.last = this.ms += 1);
}

/** A bucket's newest exemplar as the simulated worker itself recorded it. */
export interface HeldExemplar {
  metricName: string;
  /** The sample's labels: `le` (the bucket bound as written, or "+Inf") and `k`. */
  labels: Record<string, string>;
  traceId: string;
  value: number;
  timestampMs: number;
}

const LEAN_BUCKETS = [0.25, 1] as const;

export class SimulatedWorker {
  readonly registry = new Registry();
  private readonly counter: Counter;
  private readonly labelledCounter: Counter<'k'>;
  private readonly gauge: Gauge;
  private readonly labelledGauge: Gauge<'k'>;
  private readonly histogram: Histogram<'k'>;
  private readonly lean: LeanHistogram<'k'>;
  private readonly summary: Summary;
  /** What the default-metrics look-alikes read when collected (like process.cpuUsage()). */
  private readonly process = { cpu: 0, heap: 0, lag: 0 };
  /** Label value, then bucket bound -> that bucket's newest exemplar. */
  private readonly held = new Map<string, HeldExemplar>();

  constructor(private readonly clock = new ExemplarClock()) {
    const registers = [this.registry];
    this.counter = new Counter({ name: 'jobs_total', help: 'Jobs.', registers });
    this.labelledCounter = new Counter({
      name: 'events_total',
      help: 'Events by kind.',
      labelNames: ['k'],
      registers,
    });
    this.gauge = new Gauge({ name: 'queue_depth', help: 'Queue depth.', registers });
    this.labelledGauge = new Gauge({
      name: 'pool_size',
      help: 'Pool size by kind.',
      labelNames: ['k'],
      registers,
    });
    this.histogram = new Histogram({
      name: 'job_duration_seconds',
      help: 'Job duration.',
      labelNames: ['k'],
      buckets: [0.5, 2],
      registers,
    });
    this.lean = new LeanHistogram({
      name: 'http_request_duration_seconds',
      help: 'Request duration.',
      labelNames: ['k'],
      buckets: LEAN_BUCKETS,
      registers,
      now: clock.now,
    });
    this.summary = new Summary({
      name: 'payload_bytes',
      help: 'Payload sizes.',
      percentiles: [0.5, 0.9],
      registers,
    });
    // Look-alikes of prom-client's default metrics, named like them so the service's
    // aggregation rules apply: values are read from the "process" when scraped.
    const proc = this.process;
    let cpuSeen = 0;
    new Counter({
      name: 'process_cpu_seconds_total',
      help: 'CPU.',
      registers,
      collect() {
        // Exactly how prom-client's process_cpu_seconds_total works: inc by the growth since
        // the previous collect, i.e. the live series object is mutated in place.
        this.inc(proc.cpu - cpuSeen);
        cpuSeen = proc.cpu;
      },
    });
    new Gauge({
      name: 'nodejs_heap_size_used_bytes',
      help: 'Heap.',
      registers,
      collect() {
        this.set(proc.heap);
      },
    });
    new Gauge({
      name: 'nodejs_eventloop_lag_seconds',
      help: 'Lag.',
      registers,
      collect() {
        this.set(proc.lag);
      },
    });
  }

  apply(op: MetricOp): void {
    const labels = (label: LabelValue | null) => (label === null ? null : { k: label });
    switch (op.kind) {
      case 'counter.inc': {
        const l = labels(op.label);
        if (l) this.labelledCounter.inc(l, op.by);
        else this.counter.inc(op.by);
        return;
      }
      case 'counter.reset':
        this.labelledCounter.reset();
        return;
      case 'counter.remove':
        this.labelledCounter.remove({ k: op.label });
        return;
      case 'gauge.set':
      case 'gauge.inc':
      case 'gauge.dec': {
        const l = labels(op.label);
        const method = op.kind === 'gauge.set' ? 'set' : op.kind === 'gauge.inc' ? 'inc' : 'dec';
        const amount = op.kind === 'gauge.set' ? op.to : op.by;
        if (l) this.labelledGauge[method](l, amount);
        else this.gauge[method](amount);
        return;
      }
      case 'gauge.remove':
        this.labelledGauge.remove({ k: op.label });
        return;
      case 'histogram.observe':
        this.histogram.observe({ k: op.label }, op.value);
        return;
      case 'histogram.reset':
        this.histogram.reset();
        return;
      case 'lean.observe': {
        if (op.traceId === null) return this.lean.observe({ k: op.label }, op.value);
        this.lean.observe({ k: op.label }, op.value, op.traceId);
        const bound = LEAN_BUCKETS.find((le) => op.value <= le);
        const le = bound === undefined ? '+Inf' : String(bound);
        this.held.set(`${op.label} ${le}`, {
          metricName: 'http_request_duration_seconds_bucket',
          labels: { le, k: op.label },
          traceId: op.traceId,
          value: op.value,
          // The reading the histogram just took (had it taken none, or two, this would differ).
          timestampMs: this.clock.last,
        });
        return;
      }
      case 'summary.observe':
        this.summary.observe(op.value);
        return;
      case 'process.advance':
        this.process.cpu += op.cpu;
        this.process.heap = op.heap;
        this.process.lag = op.lag;
        return;
    }
  }

  /** Every bucket's newest exemplar as it is now (a copy): the full list, never a delta. */
  exemplars(): HeldExemplar[] {
    return structuredClone([...this.held.values()]);
  }

  /** The registry as it is now, deep-copied: later operations cannot change it. */
  async snapshot(): Promise<MetricsSnapshot> {
    return structuredClone(await snapshotOf(this.registry));
  }
}
