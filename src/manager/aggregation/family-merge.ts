// Merges one family's inputs as prom-client's aggregate() does, the same by construction: its
// series key, values folded in the same order, the first sample's labels and metricName kept. A
// sample like the one in its place in the previous input joins that series without building a key.
import type { MetricFamily } from '../../metrics/snapshot.js';
import type { FamilyInput } from './family-input.js';

type Sample = MetricFamily['values'][number];
type Labels = Sample['labels'];

/** 'first' takes the series' first sample's value. */
const FOLDS = {
  sum: { start: 0, fold: (acc: number, v: number) => acc + v },
  average: { start: 0, fold: (acc: number, v: number) => acc + v },
  min: { start: Infinity, fold: (acc: number, v: number) => Math.min(acc, v) },
  max: { start: -Infinity, fold: (acc: number, v: number) => Math.max(acc, v) },
} as const;

const AGGREGATORS: ReadonlySet<unknown> = new Set(['first', 'omit', ...Object.keys(FOLDS)]);

/**
 * Whether the merge here reproduces prom-client: a known aggregator (aggregate() reads the first
 * input's), string name and help (else prom-client throws: let it), and one type across inputs (a
 * type that changed between workers makes two OpenMetrics families there: too odd to mirror).
 * Samples are trusted to be getMetricsAsJSON()'s shape, which our workers send.
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
 * Which series each input sample joins: all the merge depends on apart from the values, so inputs
 * of the same shape share it (the ledger reuses it across scrapes).
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

/** Null: omitted. */
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

/** Folded as aggregate()'s reduce folds (input, then sample order), from the aggregator's start. */
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
