// A metric family as it travels on a metrics link when it changed: the same data as prom-client's
// getMetricsAsJSON() family, without its repetition. In that shape a histogram repeats its
// metric name and every label name and value on each of its ~15 samples, so 1,000 label sets
// are 2 MB of JSON whose parse (on the manager's metrics thread) and serialisation (on the
// worker's main thread, the one serving the API) dominate a scrape of changing series.
// Packed, every distinct string is sent once, every distinct list of label names once, and a
// sample is a run of numbers: about 8x smaller, and JSON.parse plus unpacking costs about a
// third of parsing the plain shape.
//
// unpackFamily(JSON of packFamily(f)) equals JSON of f, key order included (a fast-check
// property holds the two to that, test/unit/packed-family.test.ts): label names whose value
// is undefined are left out, and NaN/±Infinity values become null, exactly as JSON.stringify
// does to the plain shape.
import type { MetricFamily } from '../protocol.js';

type Sample = MetricFamily['values'][number];
type LabelValue = Sample['labels'][string];

export interface PackedFamily {
  name: string;
  help: string;
  type: MetricFamily['type'];
  aggregator: MetricFamily['aggregator'];
  /** Every metric name and label value, once each. */
  strings: LabelValue[];
  /** Every distinct list of label names (in the samples' key order), once each. */
  keysets: string[][];
  /**
   * Per sample, in order: index of its metricName in `strings` (-1: none), index of its label
   * names in `keysets`, its value, then the index in `strings` of each label's value.
   */
  samples: number[];
}

/** Label names of a sample in key order, leaving out those JSON would drop (undefined). */
function presentKeys(labels: Sample['labels']): string[] {
  const keys: string[] = [];
  for (const key in labels) if (labels[key] !== undefined) keys.push(key);
  return keys;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

export function packFamily(family: MetricFamily): PackedFamily {
  const strings: LabelValue[] = [];
  const stringIndex = new Map<LabelValue, number>();
  const intern = (value: LabelValue): number => {
    let index = stringIndex.get(value);
    if (index === undefined) {
      index = strings.length;
      stringIndex.set(value, index);
      strings.push(value);
    }
    return index;
  };
  const keysets: string[][] = [];
  const samples: number[] = [];
  // Consecutive samples nearly always share their label names: compare with the last list first.
  let lastKeys: string[] | null = null;
  let lastKeyset = -1;
  for (const sample of family.values) {
    const keys = presentKeys(sample.labels);
    if (lastKeys === null || !sameKeys(keys, lastKeys)) {
      lastKeyset = keysets.findIndex((known) => sameKeys(known, keys));
      if (lastKeyset === -1) lastKeyset = keysets.push(keys) - 1;
      lastKeys = keysets[lastKeyset]!;
    }
    samples.push(sample.metricName === undefined ? -1 : intern(sample.metricName));
    samples.push(lastKeyset, sample.value);
    for (const key of keys) samples.push(intern(sample.labels[key]!));
  }
  const { name, help, type, aggregator } = family;
  return { name, help, type, aggregator, strings, keysets, samples };
}

function fail(why: string): never {
  throw new Error(`malformed packed family: ${why}`);
}

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
      if (key === '__proto__') {
        Object.defineProperty(labels, key, {
          value: labelValue,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        labels[key] = labelValue;
      }
    }
    // The key order of the encoder's copies (copyFamily): value, labels, metricName if any.
    const sample: Sample = { value, labels };
    if (nameIndex !== -1) sample.metricName = stringAt(strings, nameIndex) as string;
    values.push(sample);
  }
  const { name, help, type, aggregator } = packed;
  return { name, help, type, aggregator, values };
}
