// Prometheus text and OpenMetrics exposition read into typed series, and the monotonicity rule
// the chaos run holds every scrape to: a counter (or a histogram's or summary's _count, _sum,
// _bucket) present in two sequential scrapes never goes down. Pure, so it is unit-tested.

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped' | 'unknown';

export interface Exposition {
  /** Family name (as in `# TYPE`) -> its type. */
  types: Map<string, MetricType>;
  /** `name{labels}` -> value, labels as written. */
  samples: Map<string, number>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?\s+(\S+)/;
const TYPE = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)/;
const SUFFIXES = ['_total', '_count', '_sum', '_bucket', '_created', '_info'] as const;

export function parseExposition(text: string): Exposition {
  const types = new Map<string, MetricType>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      const type = TYPE.exec(line);
      if (type) types.set(type[1]!, type[2] as MetricType);
      continue;
    }
    const sample = SAMPLE.exec(line);
    if (sample) samples.set(`${sample[1]}${sample[2] ?? ''}`, Number(sample[3]));
  }
  return { types, samples };
}

/** The family a sample belongs to and its suffix: `x_total` of counter `x` (OpenMetrics) or `x_total` (text). */
export function familyOf(
  name: string,
  types: Map<string, MetricType>,
): { family: string; type: MetricType; suffix: string } {
  const own = types.get(name);
  if (own !== undefined) return { family: name, type: own, suffix: '' };
  for (const suffix of SUFFIXES) {
    if (!name.endsWith(suffix)) continue;
    const family = name.slice(0, -suffix.length);
    const type = types.get(family);
    if (type !== undefined) return { family, type, suffix };
  }
  return { family: name, type: 'unknown', suffix: '' };
}

/** True for the samples that may only grow: counters and the cumulative parts of histograms/summaries. */
export function isMonotonic(series: string, types: Map<string, MetricType>): boolean {
  const name = series.split('{', 1)[0]!;
  const { type, suffix } = familyOf(name, types);
  if (suffix === '_created') return false;
  if (type === 'counter') return true;
  if (type === 'histogram') return suffix === '_count' || suffix === '_sum' || suffix === '_bucket';
  if (type === 'summary') return suffix === '_count' || suffix === '_sum';
  return false;
}

export interface Decrease {
  series: string;
  before: number;
  after: number;
}

/** Every monotonic series present in both scrapes whose value went down from `before` to `after`. */
export function decreases(before: Exposition, after: Exposition): Decrease[] {
  const found: Decrease[] = [];
  for (const [series, value] of after.samples) {
    const previous = before.samples.get(series);
    if (previous === undefined || !isMonotonic(series, after.types)) continue;
    if (value < previous) found.push({ series, before: previous, after: value });
  }
  return found;
}

/** Sum of every sample of `name` whose labels include `label="value"` (any, when omitted). */
export function sumSeries(exposition: Exposition, name: string, label?: string): number {
  let total = 0;
  for (const [series, value] of exposition.samples) {
    if (series.split('{', 1)[0] !== name) continue;
    if (label !== undefined && !series.includes(label)) continue;
    total += value;
  }
  return total;
}

/** cluster_worker_restarts_total summed by its `reason` label. */
export function restartsByReason(exposition: Exposition): Record<string, number> {
  const byReason: Record<string, number> = {};
  for (const [series, value] of exposition.samples) {
    if (series.split('{', 1)[0] !== 'cluster_worker_restarts_total') continue;
    const reason = /reason="([^"]*)"/.exec(series)?.[1] ?? 'unknown';
    byReason[reason] = (byReason[reason] ?? 0) + value;
  }
  return byReason;
}
