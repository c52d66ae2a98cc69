// A metric family as it travels on a metrics link when it changed: prom-client's
// getMetricsAsJSON() family with every distinct string and label-name list once, each sample a run
// of numbers. unpackFamily(JSON of packFamily(f)) equals JSON of f, key order, undefined labels and
// NaN/±Infinity-as-null included (test/unit/metrics/packed-family.test.ts, fast-check).
import type { MetricFamily } from './snapshot.js';

type Sample = MetricFamily['values'][number];
type LabelValue = Sample['labels'][string];

export interface PackedFamily {
  name: string;
  help: string;
  type: MetricFamily['type'];
  aggregator: MetricFamily['aggregator'];
  /** Every metric name and label value, once each, in order of first appearance. */
  strings: LabelValue[];
  /** Every distinct list of label names (in the samples' key order), once each. */
  keysets: string[][];
  /** Per sample: metricName's index in `strings` (-1: none), keyset, value, each label's index. */
  samples: number[];
}

/** Label names of a sample in key order, leaving out those JSON would drop (undefined). */
function presentKeys(labels: Sample['labels']): string[] {
  const keys: string[] = [];
  for (const key in labels) if (labels[key] !== undefined) keys.push(key);
  return keys;
}

/** presentKeys(labels) equals `keys`, without building it. */
function hasKeys(labels: Sample['labels'], keys: readonly string[]): boolean {
  let n = 0;
  for (const key in labels) {
    if (labels[key] === undefined) continue;
    if (keys[n] !== key) return false;
    n += 1;
  }
  return n === keys.length;
}

/** Equal element for element (===, so a NaN always counts as changed). */
export function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Packs a family, reading its values once: the result is a copy, never a view of prom-client's
 * live objects (which inc() mutates in place), so the encoder can keep it to compare against.
 */
export function packFamily(family: MetricFamily): PackedFamily {
  const strings: LabelValue[] = [];
  const stringIndex = new Map<LabelValue, number>();
  const keysets: string[][] = [];
  const samples: number[] = [];
  const intern = (value: LabelValue): number => {
    let index = stringIndex.get(value);
    if (index === undefined) {
      index = strings.push(value) - 1;
      stringIndex.set(value, index);
    }
    return index;
  };
  // Consecutive samples nearly always share their label names, most label values (a histogram's
  // buckets differ in `le` only) and their metric name: each is compared with the previous
  // sample's before it is looked up.
  let keys: string[] = [];
  let keyset = -1;
  let lastValues: LabelValue[] = [];
  let lastIndexes: number[] = [];
  let lastName: string | undefined;
  let lastNameIndex = -1;
  for (const sample of family.values) {
    const labels = sample.labels;
    if (keyset === -1 || !hasKeys(labels, keys)) {
      keys = presentKeys(labels);
      keyset = keysets.findIndex((known) => sameItems(known, keys));
      if (keyset === -1) keyset = keysets.push(keys) - 1;
      lastValues = [];
      lastIndexes = [];
    }
    const name = sample.metricName;
    if (name !== lastName || lastNameIndex === -1) {
      lastName = name;
      lastNameIndex = name === undefined ? -1 : intern(name);
    }
    samples.push(lastNameIndex, keyset, sample.value);
    for (let k = 0; k < keys.length; k += 1) {
      const value = labels[keys[k]!]!;
      if (value !== lastValues[k] || lastIndexes[k] === undefined) {
        lastValues[k] = value;
        lastIndexes[k] = intern(value);
      }
      samples.push(lastIndexes[k]!);
    }
  }
  const { name, help, type, aggregator } = family;
  return { name, help, type, aggregator, strings, keysets, samples };
}

/**
 * Whether packing `family` now would give `packed` again (=== throughout: a NaN is a needless
 * resend, never a hidden change). It spares an idle family its packing: half the encode time of
 * an idle LeanHistogram of 1,000 series, against packFamily + samePacked.
 */
export function matchesPacked(packed: PackedFamily, family: MetricFamily): boolean {
  if (!sameHead(packed, family)) return false;
  const { strings, keysets, samples } = packed;
  let j = 0;
  for (const sample of family.values) {
    if (j + 3 > samples.length) return false;
    const nameIndex = samples[j]!;
    if (
      nameIndex === -1 ? sample.metricName !== undefined : strings[nameIndex] !== sample.metricName
    ) {
      return false;
    }
    const keys = keysets[samples[j + 1]!]!;
    if (samples[j + 2] !== sample.value) return false;
    j += 3;
    let n = 0;
    const labels = sample.labels;
    for (const key in labels) {
      const value = labels[key];
      if (value === undefined) continue;
      if (keys[n] !== key || strings[samples[j + n]!] !== value) return false;
      n += 1;
    }
    if (n !== keys.length) return false;
    j += n;
  }
  return j === samples.length;
}

/** matchesPacked(a, the family b packs): packFamily builds equal tables from equal samples. */
export function samePacked(a: PackedFamily, b: PackedFamily): boolean {
  return sameHead(a, b) && sameTables(a, b) && sameItems(a.samples, b.samples);
}

/**
 * Whether two packed families unpack to the same samples in the same places, values aside: a
 * merge groups them the same way (the ledger renders them again from the last layout).
 */
export function sameShape(a: PackedFamily, b: PackedFamily): boolean {
  if (!sameHead(a, b) || !sameTables(a, b)) return false;
  const { keysets, samples } = a;
  const other = b.samples;
  let i = 0;
  while (i < samples.length) {
    // Metric name and keyset the same; the value (i + 2) may differ; then the label values.
    if (samples[i] !== other[i] || samples[i + 1] !== other[i + 1]) return false;
    const keys = keysets[samples[i + 1]!];
    if (keys === undefined) return false;
    const end = i + 3 + keys.length;
    for (let j = i + 3; j < end; j += 1) if (samples[j] !== other[j]) return false;
    i = end;
  }
  return i === samples.length;
}

type Head = Pick<PackedFamily, 'name' | 'help' | 'type' | 'aggregator'>;

function sameHead(a: Head, b: Head): boolean {
  return (
    a.name === b.name && a.help === b.help && a.type === b.type && a.aggregator === b.aggregator
  );
}

function sameTables(a: PackedFamily, b: PackedFamily): boolean {
  return (
    a.samples.length === b.samples.length &&
    sameItems(a.strings, b.strings) &&
    a.keysets.length === b.keysets.length &&
    a.keysets.every((keys, i) => sameItems(keys, b.keysets[i]!))
  );
}

/** Where the sample starting at `i` ends: metric name, keyset, value, then one per label. */
function sampleEnd(packed: PackedFamily, i: number): number {
  const keyset = packed.samples[i + 1]!;
  return i + 3 + (packed.keysets[keyset]?.length ?? fail(`no keyset ${String(keyset)}`));
}

export function packedValues(packed: PackedFamily): number[] {
  const { samples } = packed;
  const values: number[] = [];
  for (let i = 0; i < samples.length; i = sampleEnd(packed, i)) values.push(samples[i + 2]!);
  return values;
}

export function packedWithValues(packed: PackedFamily, values: readonly number[]): PackedFamily {
  const samples = packed.samples.slice();
  let k = 0;
  for (let i = 0; i < samples.length; i = sampleEnd(packed, i)) {
    if (k >= values.length) fail(`${values.length} values for more samples`);
    samples[i + 2] = values[k++]!;
  }
  if (k !== values.length) fail(`${values.length} values for ${k} samples`);
  return { ...packed, samples };
}

function fail(why: string): never {
  throw new Error(`malformed packed family: ${why}`);
}

const OWN = { enumerable: true, writable: true, configurable: true };

function stringAt(strings: readonly LabelValue[], index: unknown): LabelValue {
  const value = typeof index === 'number' ? strings[index] : undefined;
  if (value === undefined) fail(`no string ${String(index)}`);
  return value;
}

/** The family that was packed, as a JSON round trip would give it; throws when malformed. */
export function unpackFamily(packed: PackedFamily): MetricFamily {
  const { strings, keysets, samples } = packed;
  if (!Array.isArray(strings) || !Array.isArray(keysets) || !Array.isArray(samples)) {
    fail('missing tables');
  }
  const values: Sample[] = [];
  let i = 0;
  while (i < samples.length) {
    const nameIndex = samples[i];
    const keys = keysets[samples[i + 1] as number];
    if (!Array.isArray(keys)) fail(`no keyset ${String(samples[i + 1])}`);
    const value = samples[i + 2] as number;
    i += 3;
    if (i + keys.length > samples.length) fail('truncated sample');
    const labels: Sample['labels'] = {};
    for (const key of keys) {
      const labelValue = stringAt(strings, samples[i]);
      i += 1;
      // JSON.parse makes "__proto__" an own property; plain assignment would not.
      if (key === '__proto__') Object.defineProperty(labels, key, { ...OWN, value: labelValue });
      else labels[key] = labelValue;
    }
    // The key order of a sample sent as plain JSON: value, labels, metricName if any.
    const sample: Sample = { value, labels };
    if (nameIndex !== -1) sample.metricName = stringAt(strings, nameIndex) as string;
    values.push(sample);
  }
  const { name, help, type, aggregator } = packed;
  return { name, help, type, aggregator, values };
}
