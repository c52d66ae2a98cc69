// The manager's own families (supervision, its process, the collection's metrics) as ledger
// inputs. They arrive as new objects every scrape, and the ledger knows a family by its object:
// here one whose content is what it was is given back as last scrape's input (its text reused),
// one whose values alone changed gets last scrape's shape (re-valued). Compared against a copy:
// prom-client updates samples in place, so two reads may share sample objects.
import type { MetricFamily, MetricsSnapshot } from '../../metrics/snapshot.js';

interface Sample {
  metricName: string | undefined;
  labels: Readonly<Record<string, string | number>>;
}

interface Seen {
  input: MetricFamily;
  shape: object;
  help: string;
  type: MetricFamily['type'];
  samples: Sample[];
  values: number[];
}

/** A sample's fields other than these make it incomparable here: it is always rendered anew. */
const KNOWN_FIELDS = new Set(['value', 'labels', 'metricName']);

function sameLabels(
  saved: Readonly<Record<string, string | number>>,
  labels: Record<string, string | number>,
): boolean {
  const savedKeys = Object.keys(saved);
  const keys = Object.keys(labels);
  if (savedKeys.length !== keys.length) return false;
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i]!;
    if (key !== savedKeys[i] || !Object.is(labels[key], saved[key])) return false;
  }
  return true;
}

function sameShape(seen: Seen, family: MetricFamily): boolean {
  if (family.help !== seen.help || family.type !== seen.type) return false;
  if (family.values.length !== seen.samples.length) return false;
  return family.values.every((sample, i) => {
    const saved = seen.samples[i]!;
    return (
      Object.keys(sample).every((field) => KNOWN_FIELDS.has(field)) &&
      sample.metricName === saved.metricName &&
      sameLabels(saved.labels, sample.labels)
    );
  });
}

function sameValues(seen: Seen, family: MetricFamily): boolean {
  return family.values.every((sample, i) => Object.is(sample.value, seen.values[i]));
}

export class OwnFamilies {
  /** Shape tokens: inputs with the same token have the same samples in the same places. */
  readonly shapes = new WeakMap<MetricFamily, object>();
  private seen = new Map<string, Seen>();

  /** This scrape's inputs for `extra`, merged as they are (aggregator 'first'). */
  inputs(extra: MetricsSnapshot): MetricFamily[] {
    const next = new Map<string, Seen>();
    const inputs = extra.map((family) => {
      const seen = this.seen.get(family.name);
      let current: Seen;
      if (seen !== undefined && sameShape(seen, family)) {
        current = sameValues(seen, family)
          ? seen
          : { ...seen, input: this.input(family, seen.shape), values: copyOfValues(family) };
      } else {
        const shape = {};
        current = {
          input: this.input(family, shape),
          shape,
          help: family.help,
          type: family.type,
          samples: family.values.map((sample) => ({
            metricName: sample.metricName,
            labels: { ...sample.labels },
          })),
          values: copyOfValues(family),
        };
      }
      next.set(family.name, current);
      return current.input;
    });
    this.seen = next;
    return inputs;
  }

  private input(family: MetricFamily, shape: object): MetricFamily {
    const input: MetricFamily = { ...family, aggregator: 'first' };
    this.shapes.set(input, shape);
    return input;
  }
}

/** The sample values as they are now (prom-client may change its sample objects later). */
function copyOfValues(family: MetricFamily): number[] {
  return family.values.map((sample) => sample.value);
}
