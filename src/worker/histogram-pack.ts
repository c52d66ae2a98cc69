// A changed histogram packed straight from prom-client's series, without get() and its objects
// per bucket: packHistogram(h) deep-equals packFamily(getMetricsAsJSON()'s family of h)
// (test/unit/worker/histogram-pack.test.ts, fast-check). What it cannot reproduce exactly gives
// null and is read the ordinary way: a label named `le`, `__proto__` or an array index, a default
// label `le` or named like an Object property, an upper bound that is not a number.
import { PackTables, type PackedFamily } from '../metrics/packed-family.js';
import type { MetricFamily } from '../metrics/snapshot.js';
import { isRecord, plainHistogram, type SeriesInternals } from './histogram-internals.js';

type LabelValue = MetricFamily['values'][number]['labels'][string];

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
  /**
   * Appends a sample. Most of a sample's strings are the previous one's at the same site (a
   * series' buckets differ in `le` only), so each site remembers its last strings' indexes, as
   * packFamily does: an equal (===) string was interned then, and interns to the same index.
   */
  const site = () => {
    let lastName: string | undefined;
    let lastNameIndex = -1;
    const lastValues: unknown[] = [];
    const lastIndexes: number[] = [];
    return (metricName: string, keyset: number, value: unknown, values: unknown[]) => {
      if (metricName !== lastName) {
        lastName = metricName;
        lastNameIndex = tables.intern(metricName);
      }
      samples.push(lastNameIndex, keyset, value as number);
      for (let k = 0; k < values.length; k += 1) {
        const labelValue = values[k];
        if (labelValue !== lastValues[k] || lastIndexes[k] === undefined) {
          lastValues[k] = labelValue;
          lastIndexes[k] = tables.intern(labelValue as LabelValue);
        }
        samples.push(lastIndexes[k]!);
      }
    };
  };
  const pushBucket = site();
  const pushPlain = site();

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
      pushBucket(bucketName, bucketKeyset, acc, bucketValuesList);
    }
    bucketValuesList[0] = '+Inf';
    pushBucket(bucketName, bucketKeyset, count, bucketValuesList);
    const plainLabels = present(plain);
    const plainKeyset = tables.keyset(plainLabels.names);
    pushPlain(sumName, plainKeyset, sum, plainLabels.values);
    pushPlain(countName, plainKeyset, count, plainLabels.values);
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
 * buckets, +Inf, _sum, _count), without packing: for a histogram whose shape is known to be
 * that of a packing already made (histogram-state.ts), these are all that can differ. Null when
 * it is not a histogram this file packs.
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
    if (!isRecord(bucketValues)) return null;
    let acc = 0;
    for (const key of keys) {
      acc += bucketValues[key] as number;
      values.push(acc);
    }
    values.push(count as number, sum as number, count as number);
  }
  return values;
}

/** The last bounds each bounds array was seen with, and their keys. */
const keysByBounds = new WeakMap<unknown[], { bounds: unknown[]; keys: string[] }>();

/**
 * The property keys get() looks the buckets up by, `bucketValues[upperBound]`: each bound as a
 * string. A double's string form costs a conversion at every lookup (12,000 per scrape for
 * 1,000 series); the keys are made once per bounds array, and made again if it was changed in
 * place. Null for a bound that is not a number (its key would not be its string).
 */
function boundKeys(upperBounds: unknown[]): string[] | null {
  const known = keysByBounds.get(upperBounds);
  if (
    known !== undefined &&
    known.bounds.length === upperBounds.length &&
    known.bounds.every((bound, i) => bound === upperBounds[i])
  ) {
    return known.keys;
  }
  if (!upperBounds.every((bound) => typeof bound === 'number')) return null;
  const keys = upperBounds.map((bound) => String(bound));
  keysByBounds.set(upperBounds, { bounds: [...upperBounds], keys });
  return keys;
}
