// Encodes the worker's registry for a metrics collection: a family unchanged since the reply the
// manager holds goes by name, one whose samples kept their places by its values, others whole.
// It compares against the packed copies it sent, never prom-client's live objects (inc() mutates
// those in place), so a delta never hides a change. Histograms are packed from their series
// (histogram-pack.ts) and, when still, skipped by their state (histogram-state.ts).
import type { Registry } from 'prom-client';
import {
  matchesPacked,
  packFamily,
  packedValues,
  packedWithValues,
  samePacked,
  sameShape,
  type PackedFamily,
} from '../metrics/packed-family.js';
import { snapshotOf, type MetricFamily } from '../metrics/snapshot.js';
import type { FamilyUpdate, MetricsReplyMessage } from '../protocol.js';
import { defaultLabelsOf } from './histogram-internals.js';
import { histogramValues, packHistogram } from './histogram-pack.js';
import {
  histogramShape,
  histogramState,
  sameHistogramShape,
  sameHistogramState,
  type HistogramState,
} from './histogram-state.js';

/** How a family was last read, beside what was sent. */
interface ReadFacts {
  /** The histogram state it was read in; null when none was taken (or it is no histogram). */
  state: HistogramState | null;
  /** The histogram shape it was read in; null when none was taken (or it is no histogram). */
  shape: HistogramState | null;
  /** Its last read found it unchanged. */
  quiet: boolean;
}

/**
 * A family as last sent: a packing, or (for a histogram sent by its values) the packing of its
 * shape and the values. The packing with those values is built only if a later read needs it
 * (its series changed): a histogram observed at every scrape never pays for copying its packing.
 */
class SentFamily implements ReadFacts {
  private packing: PackedFamily | undefined;
  private sentValues: number[] | undefined;
  readonly state: HistogramState | null;
  readonly shape: HistogramState | null;
  readonly quiet: boolean;

  /** `values` undefined: the packing's own. */
  constructor(
    readonly shaped: PackedFamily,
    values: number[] | undefined,
    facts: ReadFacts,
  ) {
    if (values === undefined) this.packing = shaped;
    else this.sentValues = values;
    ({ state: this.state, shape: this.shape, quiet: this.quiet } = facts);
  }

  get name(): string {
    return this.shaped.name;
  }

  /** The packing as sent. */
  get packed(): PackedFamily {
    return (this.packing ??= packedWithValues(this.shaped, this.sentValues!));
  }

  /** Its sample values as sent, in sample order. */
  get values(): number[] {
    return (this.sentValues ??= packedValues(this.packing!));
  }
}

interface ReadableMetric {
  name: string;
  get(): Promise<MetricFamily>;
}

/** One registry entry of this collection: known unchanged, packed already, or being read. */
type Read =
  | { unchanged: SentFamily }
  | { values: number[]; before: SentFamily; state: HistogramState | null }
  | { packed: PackedFamily; state: HistogramState | null; shape: HistogramState | null }
  | { family: Promise<MetricFamily> };

/** The encoder's optimisations, each on unless switched off (the bench's ablation rows do). */
export interface EncoderLayers {
  /** Unchanged families sent by name ('same'), changed ones against the manager's base. */
  delta: boolean;
  /** Histograms packed from their series, skipped when their state is unchanged. */
  histograms: boolean;
  /** Families whose samples kept their places sent by their values alone ('revalued'). */
  revalued: boolean;
}

export class MetricsEncoder {
  private readonly layers: EncoderLayers;
  private last: { requestId: number; families: Map<string, SentFamily> } | null = null;
  /** How families were taken, since the start (the tests check the fast paths are taken). */
  readonly taken = { byState: 0, valuesByShape: 0, packedDirectly: 0, read: 0 };

  constructor(
    private readonly registry: Registry,
    layers: Partial<EncoderLayers> = {},
  ) {
    // A layer given as undefined is on: only an explicit false switches it off.
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
    const families = new Map<string, SentFamily>();
    const updates: FamilyUpdate[] = [];
    const defaults = defaultLabelsOf(this.registry);
    for (const read of await this.readRegistry(base, defaults)) {
      if ('unchanged' in read) {
        families.set(read.unchanged.name, read.unchanged);
        updates.push({ same: read.unchanged.name });
        continue;
      }
      if ('values' in read) {
        // The base's shape: the same samples in the same places, so only the values can differ.
        const { before, values } = read;
        const same = sameNumbers(before.values, values);
        updates.push(same ? { same: before.name } : { revalued: before.name, values });
        const facts = { state: read.state, shape: before.shape, quiet: same };
        families.set(
          before.name,
          new SentFamily(before.shaped, same ? before.values : values, facts),
        );
        continue;
      }
      if ('packed' in read) {
        const before = base?.get(read.packed.name);
        const same = before !== undefined && samePacked(before.packed, read.packed);
        const packed = same ? before.packed : read.packed;
        updates.push(same ? { same: packed.name } : this.changed(before?.packed, packed));
        const facts = { state: read.state, shape: read.shape, quiet: same };
        families.set(packed.name, new SentFamily(packed, undefined, facts));
        continue;
      }
      const live = await read.family;
      const before = base?.get(live.name);
      const same = before !== undefined && matchesPacked(before.packed, live);
      const packed = same ? before.packed : packFamily(live);
      updates.push(same ? { same: live.name } : this.changed(before?.packed, packed));
      const facts = { state: null, shape: null, quiet: same };
      families.set(live.name, new SentFamily(packed, undefined, facts));
    }
    this.last = { requestId, families };
    return { type: 'metrics', requestId, base: base === null ? null : have, families: updates };
  }

  /**
   * What getMetricsAsJSON() does (every metric's get() started in one synchronous pass, then the
   * registry's default labels added to copies of the labels), except for prom-client histograms:
   * packed from their series in that same pass, or, when their state equals the one they were
   * sent in, not read at all.
   */
  private async readRegistry(
    base: Map<string, SentFamily> | null,
    defaults: Record<string, unknown> | null,
  ): Promise<Read[]> {
    if (defaults === null || !this.layers.histograms) {
      // Not the registry this was written against: read it the documented way.
      // (With histograms switched off, too: the reference the bench compares them with.)
      const snapshot = await snapshotOf(this.registry);
      return snapshot.map((family) => ({ family: Promise.resolve(family) }));
    }
    // Typed as prom-client's MetricObject, which leaves out the get() every metric has.
    const metrics = this.registry.getMetricsAsArray() as unknown as ReadableMetric[];
    const reads: Read[] = metrics.map((metric) => {
      const before = base?.get(metric.name);
      if (before?.state && sameHistogramState(metric, defaults, before.state)) {
        this.taken.byState += 1;
        return { unchanged: before };
      }
      // Only a family that stood still at its last read gets its state taken: one that changes
      // at every scrape would pay for nothing. Taken in the same synchronous step as the values
      // or the packing, so they describe the same moment.
      const quiet = this.last?.families.get(metric.name)?.quiet ?? false;
      const state = () => (quiet ? histogramState(metric, defaults) : null);
      // Observed since, but no series added or removed: its values alone, in the base's places.
      if (
        this.layers.revalued &&
        before?.shape &&
        sameHistogramShape(metric, defaults, before.shape)
      ) {
        const values = histogramValues(metric);
        if (values !== null) {
          this.taken.valuesByShape += 1;
          return { values, before, state: state() };
        }
      }
      const packed = packHistogram(metric, defaults);
      if (packed !== null) {
        this.taken.packedDirectly += 1;
        return { packed, state: state(), shape: histogramShape(metric, defaults) };
      }
      this.taken.read += 1;
      return { family: metric.get().then((read) => withDefaultLabels(read, defaults)) };
    });
    await Promise.all(reads.map((read) => ('family' in read ? read.family : undefined)));
    return reads;
  }

  /**
   * A changed family's update: its values alone when its samples kept their places since the
   * base the manager holds (a histogram observed between scrapes: a fifth of the packed numbers,
   * and no tables), else the whole packing.
   */
  private changed(before: PackedFamily | undefined, packed: PackedFamily): FamilyUpdate {
    if (this.layers.revalued && before !== undefined && sameShape(before, packed)) {
      return { revalued: packed.name, values: packedValues(packed) };
    }
    return { packed };
  }
}

/** Equal element for element (===, as samePacked compares values: a NaN is a change). */
function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
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
