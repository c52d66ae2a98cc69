// Merges one family's inputs (one per worker, the retired total, ...) as prom-client's
// AggregatorRegistry.aggregate() does, with the same result by construction: prom-client's series
// key, values folded in the same order with the same operations, the first sample's labels and
// metricName kept. A sample with the same metricName and labels as the one in its place in the
// previous input (the common case) joins that series without building its key.
import type { MetricFamily } from '../../metrics/snapshot.js';
import type { FamilyInput } from './family-input.js';

type Sample = MetricFamily['values'][number];
type Labels = Sample['labels'];

/** How each aggregator folds a series' values from its start ('first' takes its first sample's). */
const FOLDS = {
  sum: { start: 0, fold: (acc: number, v: number) => acc + v },
  average: { start: 0, fold: (acc: number, v: number) => acc + v },
  min: { start: Infinity, fold: (acc: number, v: number) => Math.min(acc, v) },
  max: { start: -Infinity, fold: (acc: number, v: number) => Math.max(acc, v) },
} as const;

/** prom-client's aggregators, all of which are merged here. */
const AGGREGATORS: ReadonlySet<unknown> = new Set(['first', 'omit', ...Object.keys(FOLDS)]);

/**
 * Whether the merge here (and family-text.ts) reproduces prom-client for these inputs: an
 * aggregator prom-client knows (aggregate() decides by the first input's), the family fields
 * prom-client's renderer escapes are strings (where they are not, prom-client throws: let it),
 * and every input has the same type (in OpenMetrics the reference renames counters only, so a
 * family whose type changed between workers becomes two families there: too odd to mirror).
 * Samples are trusted to be getMetricsAsJSON()'s shape (labels an object), which our workers send.
 */
export function mergesHere(inputs: readonly FamilyInput[]): boolean {
  const head = inputs[0]?.layout;
  return (
    head !== undefined &&
    AGGREGATORS.has(head.aggregator) &&
    typeof head.name === 'string' &&
    typeof head.help === 'string' &&
    inputs.every(({ layout }) => layout.type === head.type)
  );
}

/** prom-client's hashObject(labels) (lib/util.js): sorted keys, `key:value,`, undefined skipped. */
function labelsKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length > 1 && !isSorted(keys)) keys.sort();
  let hash = '';
  for (const key of keys) {
    const value = labels[key];
    if (value === undefined) continue;
    hash += `${key}:${value},`;
  }
  return hash;
}

/** Array.prototype.sort's default order is UTF-16 code units, which is what `<` compares. */
function isSorted(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i += 1) if (keys[i - 1]! > keys[i]!) return false;
  return true;
}

/** Same own keys, same values (===): then prom-client's key is the same too. */
function sameLabels(a: Labels, b: Labels): boolean {
  let keys = 0;
  for (const key in a) {
    if (a[key] !== b[key]) return false;
    keys += 1;
  }
  for (const _key in b) keys -= 1;
  return keys === 0;
}

/**
 * Which series each input sample joins: what the merge depends on apart from the values. Two
 * lists of inputs whose samples have the same metric names and labels, in the same order, have
 * the same layout, whatever their values (the ledger reuses it across scrapes on that basis).
 */
export interface MergeLayout {
  aggregator: Exclude<MetricFamily['aggregator'], 'omit'>;
  /** Per series, the first sample seen of it: its labels and metricName are the series'. */
  firsts: Sample[];
  /** Per input, per sample: the index of its series. */
  seriesOf: number[][];
  /** Per series, how many samples joined it (for 'average'). */
  counts: number[];
  /** Per series 'first' takes its value from: [input, sample]. */
  origins: [number, number][];
}

/** The layout of aggregate()'s merge of inputs mergesHere takes; null: omitted. */
export function mergeLayout(inputs: readonly FamilyInput[]): MergeLayout | null {
  const aggregator = inputs[0]?.layout.aggregator;
  if (aggregator === undefined || aggregator === 'omit') return null;

  const series = new Map<string, number>();
  const firsts: Sample[] = [];
  const counts: number[] = [];
  const origins: [number, number][] = [];
  const seriesOfAll: number[][] = [];
  let previous: Sample[] = [];
  let previousSeries: number[] = [];
  inputs.forEach(({ layout }, inputIndex) => {
    const samples = layout.values;
    const seriesOf: number[] = new Array<number>(samples.length);
    for (let i = 0; i < samples.length; i += 1) {
      const sample = samples[i]!;
      const twin = previous[i];
      let index: number | undefined;
      if (
        twin !== undefined &&
        twin.metricName === sample.metricName &&
        sameLabels(twin.labels, sample.labels)
      ) {
        index = previousSeries[i]!;
      } else {
        const key = `${sample.metricName}_${labelsKey(sample.labels)}`;
        index = series.get(key);
        if (index === undefined) {
          index = firsts.length;
          series.set(key, index);
          firsts.push(sample);
          counts.push(0);
          origins.push([inputIndex, i]);
        }
      }
      counts[index] = counts[index]! + 1;
      seriesOf[i] = index;
    }
    seriesOfAll.push(seriesOf);
    previous = samples;
    previousSeries = seriesOf;
  });
  return { aggregator, firsts, seriesOf: seriesOfAll, counts, origins };
}

/**
 * Each series' merged value, folded as aggregate()'s reduce folds it: in input order, sample
 * order, from the aggregator's start value ('first': the value of the series' first sample).
 * `inputs` must have the layout's shape (same samples in the same places).
 */
export function mergedValues(layout: MergeLayout, inputs: readonly FamilyInput[]): number[] {
  const { aggregator, seriesOf, counts, origins } = layout;
  if (aggregator === 'first')
    return origins.map(([input, sample]) => inputs[input]!.values[sample]!);
  const { start, fold } = FOLDS[aggregator];
  const values = new Array<number>(counts.length).fill(start);
  inputs.forEach((input, inputIndex) => {
    const series = seriesOf[inputIndex]!;
    const numbers = input.values;
    for (let i = 0; i < numbers.length; i += 1) {
      values[series[i]!] = fold(values[series[i]!]!, numbers[i]!);
    }
  });
  if (aggregator === 'average') return values.map((value, i) => value / counts[i]!);
  return values;
}
