// prom-client's nodejs_eventloop_lag_* gauges (same names, help, meaning and aggregators) without
// its read cost (its mean and stddev walk every bucket of Node's histogram at each scrape): here
// mean and deviation are running moments. prom-client's own monitor keeps ticking unread: it
// offers no way to leave it out.
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { Gauge, type Aggregator, type Registry } from 'prom-client';

/** The statistics prom-client reports, each as nodejs_eventloop_lag_<stat>_seconds. */
const STATS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const;

/** prom-client's gauges; the first collects, setting the others (as prom-client's does). */
const LAG_GAUGE_NAMES = [
  'nodejs_eventloop_lag_seconds',
  ...STATS.map((stat) => `nodejs_eventloop_lag_${stat}_seconds`),
];

/** In nanoseconds. */
export type LoopDelayStats = Record<(typeof STATS)[number], number>;

/** Intervals since the last reset; mean and (population) deviation by Welford's method. */
export class LoopDelayRecorder {
  private readonly histogram: RecordableHistogram = createHistogram();
  private count = 0;
  private mean = 0;
  /** Sum of squared deviations from the running mean. */
  private squares = 0;

  /** @param nanoseconds a whole number ≥ 1 (what the histogram accepts). */
  record(nanoseconds: number): void {
    this.histogram.record(nanoseconds);
    this.count += 1;
    const before = nanoseconds - this.mean;
    this.mean += before / this.count;
    this.squares += before * (nanoseconds - this.mean);
  }

  read(): LoopDelayStats {
    const h = this.histogram;
    const { min, max } = h;
    // What Node's histogram reports when empty; its percentile would walk the whole table for 0.
    if (this.count === 0) return { min, max, mean: NaN, stddev: NaN, p50: 0, p90: 0, p99: 0 };
    return {
      min,
      max,
      mean: this.mean,
      stddev: Math.sqrt(Math.max(0, this.squares) / this.count),
      p50: h.percentile(50),
      p90: h.percentile(90),
      p99: h.percentile(99),
    };
  }

  reset(): void {
    this.histogram.reset();
    this.count = 0;
    this.mean = 0;
    this.squares = 0;
  }
}

/** Records the interval between ticks of a repeating timer, as Node's event-loop monitor does. */
export class LoopDelaySampler {
  readonly recorder = new LoopDelayRecorder();
  private previous = performance.now();

  // 10 ms: prom-client's default (`eventLoopMonitoringPrecision`).
  constructor(resolutionMs = 10) {
    // Unref'd: sampling never keeps a process alive. Weakly held: a registry dropped (with its
    // gauges and this sampler) stops its timer instead of leaving it to tick forever.
    const sampler = new WeakRef(this);
    const timer = setInterval(() => {
      const self = sampler.deref();
      if (self === undefined) clearInterval(timer);
      else self.tick();
    }, resolutionMs).unref();
  }

  private tick(): void {
    const now = performance.now();
    this.recorder.record(Math.max(1, Math.round((now - this.previous) * 1e6)));
    this.previous = now;
  }
}

/** Swaps collectDefaultMetrics' lag gauges for ours; each read covers the time since the last. */
export function replaceEventLoopLagMetrics(
  registry: Registry,
  options: { prefix?: string; resolutionMs?: number } = {},
): void {
  const prefix = options.prefix ?? '';
  const originals = LAG_GAUGE_NAMES.map((name) => {
    const metric = registry.getSingleMetric(prefix + name);
    if (!(metric instanceof Gauge)) {
      throw new Error(`${prefix + name} is not in the registry: call collectDefaultMetrics first`);
    }
    registry.removeSingleMetric(prefix + name);
    // prom-client's typings leave these out of Gauge; every metric has them.
    return metric as unknown as { name: string; help: string; aggregator: Aggregator };
  });
  const sampler = new LoopDelaySampler(options.resolutionMs);
  const collect = () => {
    const [lag, ...statGauges] = gauges;
    // The time to the next turn of the loop, reported at the read after this one (prom-client's).
    const start = performance.now();
    setImmediate(() => lag!.set((performance.now() - start) / 1e3));
    const stats = sampler.recorder.read();
    sampler.recorder.reset();
    STATS.forEach((stat, i) => statGauges[i]!.set(stats[stat] / 1e9));
  };
  const gauges = originals.map(
    ({ name, help, aggregator }, index) =>
      new Gauge({ name, help, aggregator, registers: [registry], ...(index === 0 && { collect }) }),
  );
}
