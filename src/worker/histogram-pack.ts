// A prom-client Histogram read straight from its series (hashMap, upperBounds: internals its
// typings hide) instead of get(), which builds objects for every bucket of every label set: its
// packing, its values, its shape. packHistogram(h) deep-equals packFamily of getMetricsAsJSON()'s
// family of h (test/unit/worker/histogram-pack.test.ts, fast-check). Whatever this cannot
// reproduce exactly gives null and is read the ordinary way: a subclass, a collect() callback, a
// label named `le`, `__proto__` or an array index, a default label `le` or named like an Object
// property, an upper bound that is not a number.
import { Histogram, type Registry } from 'prom-client';
import { PackTables, type PackedFamily } from '../metrics/packed-family.js';
import type { MetricFamily } from '../metrics/snapshot.js';

type LabelValue = MetricFamily['values'][number]['labels'][string];

/** One label set of a histogram, as prom-client keeps it. */
interface SeriesInternals {
  labels: unknown;
  bucketValues: unknown;
  sum: unknown;
  count: unknown;
}

interface HistogramInternals {
  name: unknown;
  help: unknown;
  type: unknown;
  aggregator: unknown;
  upperBounds: unknown[];
  hashMap: Record<string, unknown>;
}

/** get() goes through this one (untyped in prom-client's typings). */
const READ_FOR_TEXT = (Histogram.prototype as unknown as { getForPromString: unknown })
  .getForPromString;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/**
 * The histogram's internals when its get() output is a function of them alone: exactly
 * prom-client's own Histogram, its reading methods not replaced on the instance, and no
 * collect() callback (which runs inside get() and may change anything). Null otherwise.
 */
function plainHistogram(metric: unknown): HistogramInternals | null {
  if (!(metric instanceof Histogram) || Object.getPrototypeOf(metric) !== Histogram.prototype) {
    return null;
  }
  const h = metric as unknown as Record<string, unknown>;
  if (h.get !== Histogram.prototype.get || h.getForPromString !== READ_FOR_TEXT) return null;
  if (h.collect !== undefined && h.collect !== null) return null;
  const { upperBounds, hashMap } = h;
  if (!Array.isArray(upperBounds) || !isRecord(hashMap)) return null;
  return { ...(h as unknown as HistogramInternals), upperBounds, hashMap };
}

/** The registry's default labels (getMetricsAsJSON adds them), or null if unreadable. */
export function defaultLabelsOf(registry: Registry): Record<string, unknown> | null {
  const labels = (registry as unknown as { _defaultLabels?: unknown })._defaultLabels;
  return isRecord(labels) ? labels : null;
}

/** Everything a packing's strings, label sets and sample places come from, flattened. */
export type HistogramShape = readonly unknown[];

/**
 * Walks the shape in one fixed order: records it into `shape`, or compares it with `shape`
 * (stopping at the first difference), so recording and comparing cannot disagree. Every
 * variable-length part is preceded by its length, so equal sequences mean equal shapes. False
 * when the metric is not eligible, or (comparing) when it differs.
 */
function walkShape(
  metric: unknown,
  defaults: Record<string, unknown>,
  shape: unknown[],
  compare: boolean,
): boolean {
  let i = 0;
  const take = (value: unknown): boolean => {
    if (compare) return shape[i++] === value;
    shape[i++] = value;
    return true;
  };
  // A label set as prom-client reads it (Object.keys): how many labels, then names and values.
  const takeLabels = (labels: Record<string, unknown>): boolean => {
    const names = Object.keys(labels);
    if (!take(names.length)) return false;
    for (const name of names) {
      const value = labels[name];
      if (isRecord(value) || typeof value === 'function') return false;
      if (!take(name) || !take(value)) return false;
    }
    return true;
  };
  const h = plainHistogram(metric);
  if (h === null) return false;
  if (!take(h.name) || !take(h.help) || !take(h.type) || !take(h.aggregator)) return false;
  if (!take(h.upperBounds.length)) return false;
  for (const bound of h.upperBounds) if (!take(bound)) return false;
  if (!takeLabels(defaults)) return false;
  // The series as get() reads them (Object.values); the keys never reach the output.
  const series = Object.values(h.hashMap);
  if (!take(series.length)) return false;
  for (const one of series) {
    if (!isRecord(one) || !isRecord(one.labels) || !takeLabels(one.labels)) return false;
  }
  return !compare || i === shape.length;
}

/** The histogram's shape now, or null when it is not eligible. */
export function histogramShape(
  metric: unknown,
  defaults: Record<string, unknown>,
): HistogramShape | null {
  const shape: unknown[] = [];
  return walkShape(metric, defaults, shape, false) ? shape : null;
}

/**
 * True only if the histogram's shape equals `shape`: it packs to a family of the same shape
 * (sameShape) as when `shape` was taken, so its values (histogramValues) are all that can differ.
 */
export function sameHistogramShape(
  metric: unknown,
  defaults: Record<string, unknown>,
  shape: HistogramShape,
): boolean {
  return walkShape(metric, defaults, shape as unknown[], true);
}

/** A label set as parallel lists: names in the labels object's key order, and their values. */
interface LabelList {
  names: string[];
  values: unknown[];
}

/** `labels[name] = value` on an object whose keys were inserted in the order of `names`. */
function assign(list: LabelList, name: string, value: unknown): void {
  const at = list.names.indexOf(name);
  if (at === -1) {
    list.names.push(name);
    list.values.push(value);
  } else {
    list.values[at] = value;
  }
}

const INDEX_LIKE = /^(?:0|[1-9][0-9]*)$/;

/** Whether assigning this name to a fresh object keeps insertion order and makes an own key. */
const orderlyName = (name: string) =>
  name !== '__proto__' && name !== 'le' && !INDEX_LIKE.test(name);

/**
 * getMetricsAsJSON()'s default labels on a copy of the sample's labels:
 * `labels[name] = labels[name] || defaults[name]`.
 */
function addDefaults(list: LabelList, defaults: Record<string, unknown>, names: string[]): void {
  for (const name of names) {
    const at = list.names.indexOf(name);
    assign(list, name, (at === -1 ? undefined : list.values[at]) || defaults[name]);
  }
}

/** The names JSON (and packFamily) keep: those whose value is not undefined. */
function present(list: LabelList): LabelList {
  if (!list.values.includes(undefined)) return list;
  const kept: LabelList = { names: [], values: [] };
  list.names.forEach((name, i) => {
    if (list.values[i] === undefined) return;
    kept.names.push(name);
    kept.values.push(list.values[i]);
  });
  return kept;
}

/** The packed family get() + packFamily() would give, or null (see the top of this file). */
export function packHistogram(
  metric: unknown,
  defaults: Record<string, unknown>,
): PackedFamily | null {
  const h = plainHistogram(metric);
  if (h === null) return null;
  const { name, help, type, aggregator, upperBounds, hashMap } = h;
  if (typeof name !== 'string') return null;
  // The buckets are looked up as histogramValues() looks them up.
  const keys = boundKeys(upperBounds);
  if (keys === null) return null;
  const defaultNames = Object.keys(defaults);
  for (const defaultName of defaultNames) {
    if (!orderlyName(defaultName) || defaultName in Object.prototype) return null;
  }

  // packFamily's tables, filled in the same order: a sample's metric name, then its label
  // values in key order.
  const tables = new PackTables();
  const samples: number[] = [];
  const push = (metricName: string, keyset: number, value: unknown, labelValues: unknown[]) => {
    samples.push(tables.intern(metricName), keyset, value as number);
    for (const labelValue of labelValues) samples.push(tables.intern(labelValue as LabelValue));
  };

  const bucketName = `${name}_bucket`;
  const sumName = `${name}_sum`;
  const countName = `${name}_count`;
  for (const series of Object.values(hashMap)) {
    if (!isRecord(series)) return null;
    const { labels, bucketValues, sum, count } = series as unknown as SeriesInternals;
    if (!isRecord(labels) || !isRecord(bucketValues)) return null;
    const own = Object.keys(labels);
    if (!own.every(orderlyName)) return null;
    // A bucket's labels: { le } first, then the series' labels, then the defaults.
    const bucket: LabelList = { names: ['le'], values: [undefined] };
    const plain: LabelList = { names: [], values: [] };
    for (const labelName of own) {
      assign(bucket, labelName, labels[labelName]);
      assign(plain, labelName, labels[labelName]);
    }
    addDefaults(bucket, defaults, defaultNames);
    addDefaults(plain, defaults, defaultNames);
    // `le` is never undefined, so the bucket's names are kept whole and it stays first.
    const bucketLabels = present({ names: bucket.names, values: [0, ...bucket.values.slice(1)] });
    const bucketKeyset = tables.keyset(bucketLabels.names);
    const bucketValuesList = bucketLabels.values;
    let acc = 0;
    for (let b = 0; b < upperBounds.length; b += 1) {
      acc += bucketValues[keys[b]!] as number;
      bucketValuesList[0] = upperBounds[b];
      push(bucketName, bucketKeyset, acc, bucketValuesList);
    }
    bucketValuesList[0] = '+Inf';
    push(bucketName, bucketKeyset, count, bucketValuesList);
    const plainLabels = present(plain);
    const plainKeyset = tables.keyset(plainLabels.names);
    push(sumName, plainKeyset, sum, plainLabels.values);
    push(countName, plainKeyset, count, plainLabels.values);
  }
  return {
    name,
    help: help as string,
    type: type as PackedFamily['type'],
    aggregator: aggregator as PackedFamily['aggregator'],
    strings: tables.strings,
    keysets: tables.keysets,
    samples,
  };
}

/**
 * The sample values packHistogram(metric) gives, in its order (per series: the cumulative
 * buckets, +Inf, _sum, _count), without packing. Null when it is not a histogram this file packs.
 */
export function histogramValues(metric: unknown): number[] | null {
  const h = plainHistogram(metric);
  if (h === null) return null;
  const keys = boundKeys(h.upperBounds);
  if (keys === null) return null;
  const values: number[] = [];
  for (const series of Object.values(h.hashMap)) {
    if (!isRecord(series)) return null;
    const { bucketValues, sum, count } = series as unknown as SeriesInternals;
    if (!isRecord(bucketValues) || typeof sum !== 'number' || typeof count !== 'number')
      return null;
    let acc = 0;
    for (const key of keys) {
      acc += bucketValues[key] as number;
      values.push(acc);
    }
    values.push(count, sum, count);
  }
  return values;
}

/**
 * The keys get() looks the buckets up by, `bucketValues[upperBound]`: made once per read rather
 * than converted at every lookup. Null for a bound that is not a number (its key would differ).
 */
function boundKeys(upperBounds: unknown[]): string[] | null {
  return upperBounds.every((bound) => typeof bound === 'number') ? upperBounds.map(String) : null;
}
