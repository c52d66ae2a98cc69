// Encodes the worker's registry for a collection: a family unchanged since the reply the manager
// holds goes by name, one whose samples kept their places by its values, others whole. It compares
// with the packed copies it sent, never prom-client's live objects (inc() mutates those in place).
// A histogram whose series stand is read by its values alone (histogram-values.ts).
import type { Registry } from 'prom-client';
import { exemplarsKept, registryExemplars } from '../metrics/lean-histogram.js';
import {
  matchesPacked,
  packFamily,
  packedValues,
  packedWithValues,
  sameItems,
  sameShape,
  type PackedFamily,
} from '../metrics/packed-family.js';
import { snapshotOf, type MetricFamily } from '../metrics/snapshot.js';
import type { FamilyUpdate, MetricsReplyMessage } from '../protocol.js';
import {
  defaultLabelsOf,
  histogramShape,
  histogramValues,
  sameHistogramShape,
  type HistogramShape,
} from './histogram-values.js';

/**
 * A family as last sent: a packing, or (a histogram sent by its values) the packing of its shape
 * and the values, packed together only if a later read needs it (its series changed).
 */
interface SentFamily {
  shaped: PackedFamily;
  /** Null: the packing's own. */
  values: number[] | null;
  shape: HistogramShape | null;
}

/** One registry entry of this collection: its values in a shape sent before, or read whole. */
type Read =
  { values: number[]; before: SentFamily } | { family: MetricFamily; shape: HistogramShape | null };

/** The encoder's optimisations, each on unless switched off (the bench's ablation rows do). */
export interface EncoderLayers {
  /** Unchanged families sent by name ('same'), changed ones against the manager's base. */
  delta: boolean;
  /** Histograms read by their values alone, from their series, while their shape stands. */
  histograms: boolean;
  /** Families whose samples kept their places sent by their values alone ('revalued'). */
  revalued: boolean;
}

export class MetricsEncoder {
  private readonly layers: EncoderLayers;
  private last: {
    requestId: number;
    families: Map<string, SentFamily>;
    exemplarsKept: number;
  } | null = null;
  /** How families were taken, since the start (the tests check the fast paths are taken). */
  readonly taken = { valuesByShape: 0, read: 0 };

  constructor(
    private readonly registry: Registry,
    layers: Partial<EncoderLayers> = {},
  ) {
    this.layers = {
      delta: layers.delta ?? true,
      histograms: layers.histograms ?? true,
      revalued: layers.revalued ?? true,
    };
  }

  async encode(requestId: number, have: number | null): Promise<MetricsReplyMessage> {
    const base =
      this.layers.delta && this.last !== null && this.last.requestId === have
        ? this.last.families
        : null;
    const kept = exemplarsKept();
    const families = new Map<string, SentFamily>();
    const updates: FamilyUpdate[] = [];
    for (const read of await this.readRegistry(base)) {
      if ('values' in read) {
        // The base's shape: the same samples in the same places, so only the values can differ.
        const { before, values } = read;
        const { shaped, shape } = before;
        const same = sameItems(before.values ?? packedValues(shaped), values);
        families.set(shaped.name, { shaped, values, shape });
        if (same) updates.push({ same: shaped.name });
        else if (this.layers.revalued) updates.push({ revalued: shaped.name, values });
        else updates.push({ packed: packedWithValues(shaped, values) });
        continue;
      }
      const { family, shape } = read;
      const sent = base?.get(family.name);
      const before =
        sent && (sent.values ? packedWithValues(sent.shaped, sent.values) : sent.shaped);
      const same = before !== undefined && matchesPacked(before, family);
      const packed = same ? before : packFamily(family);
      if (same) updates.push({ same: family.name });
      // Its values alone when its samples kept their places (a fifth of a histogram's numbers).
      else if (this.layers.revalued && before !== undefined && sameShape(before, packed)) {
        updates.push({ revalued: packed.name, values: packedValues(packed) });
      } else updates.push({ packed });
      families.set(family.name, { shaped: packed, values: null, shape });
    }
    // Exemplars as families: only those kept since the reply the manager holds, when it holds one.
    const since = base === null ? 0 : this.last!.exemplarsKept;
    const exemplars = registryExemplars(this.registry, since);
    this.last = { requestId, families, exemplarsKept: kept };
    return {
      type: 'metrics',
      requestId,
      base: base === null ? null : have,
      families: updates,
      ...(exemplars.length > 0 && { exemplars }),
    };
  }

  /**
   * getMetricsAsJSON() (every get() started in one synchronous pass, default labels added to
   * copies), except that a histogram in the shape it was sent in is read by its values.
   */
  private async readRegistry(base: Map<string, SentFamily> | null): Promise<Read[]> {
    const defaults = defaultLabelsOf(this.registry);
    if (defaults === null || !this.layers.histograms) {
      // Not the registry this was written against, or histograms off (the bench's reference).
      return (await snapshotOf(this.registry)).map((family) => ({ family, shape: null }));
    }
    // Typed as prom-client's MetricObject, which leaves out the get() every metric has.
    const metrics = this.registry.getMetricsAsArray() as unknown as {
      name: string;
      get(): Promise<MetricFamily>;
    }[];
    const reads = metrics.map((metric): Read | Promise<Read> => {
      // No series added or removed since the base: its values alone, in the base's places.
      const before = base?.get(metric.name);
      if (before?.shape && sameHistogramShape(metric, defaults, before.shape)) {
        const values = histogramValues(metric);
        if (values !== null) {
          this.taken.valuesByShape += 1;
          return { values, before };
        }
      }
      this.taken.read += 1;
      // Taken in the same synchronous step as get() reads the series, and kept only if it still
      // holds once get() is done (which copies the labels a microtask later).
      const shape = histogramShape(metric, defaults);
      return metric.get().then((family) => ({
        family: withDefaultLabels(family, defaults),
        shape: shape && sameHistogramShape(metric, defaults, shape) ? shape : null,
      }));
    });
    return Promise.all(reads);
  }
}

/** getMetricsAsJSON()'s default labels: on a copy of each sample's labels, unless set already. */
function withDefaultLabels(family: MetricFamily, defaults: Record<string, unknown>): MetricFamily {
  const names = Object.keys(defaults);
  if (names.length === 0 || !family.values) return family;
  for (const sample of family.values) {
    const labels: Record<string, unknown> = Object.assign({}, sample.labels);
    for (const name of names) labels[name] = labels[name] || defaults[name];
    sample.labels = labels as MetricFamily['values'][number]['labels'];
  }
  return family;
}
