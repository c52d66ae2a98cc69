// The manager's memory of every worker's metrics, and the merge that makes /metrics truthful:
// cumulative series of workers that left are carried in a retired total (the cluster's sums never
// go down while the manager lives); gauges of absent or silent workers are dropped. Cost follows
// what changed: a family whose inputs are the same objects as last scrape is not merged again.
import { Registry } from 'prom-client';
import {
  applyAggregationRules,
  isCumulative,
  withAggregationRule,
} from '../../metrics/aggregation-rules.js';
import { packFamily, samePacked, type PackedFamily } from '../../metrics/packed-family.js';
import {
  aggregate,
  snapshotOf,
  type ContentType,
  type MetricsSnapshot,
} from '../../metrics/snapshot.js';
import type { MetricsReplyMessage } from '../../protocol.js';
import { familyOf, inputOf, inputOfPacked, type FamilyInput } from './family-input.js';
import { familyText, referenceText, revalueBytes, type FamilyText } from './family-text.js';
import { ExemplarBook } from './exemplar-book.js';

function cumulativeOnly(inputs: readonly FamilyInput[]): FamilyInput[] {
  return inputs.filter(({ layout }) => isCumulative(layout));
}

interface Held {
  /** The collection this snapshot answered; null for final words (no delta can build on it). */
  requestId: number | null;
  inputs: FamilyInput[];
}

/** A family's text in UTF-8 and the inputs it was rendered from: unchanged, it is copied again. */
type Rendered = FamilyText & { inputs: FamilyInput[] };

type PackedInput = FamilyInput & { packed: PackedFamily };

const NEWLINE = Buffer.from('\n');
const BLANK_LINE = Buffer.from('\n\n');
const EOF = Buffer.from('\n# EOF\n');

function sameInputs(a: readonly FamilyInput[], b: readonly FamilyInput[]): boolean {
  return a.length === b.length && a.every((input, i) => input === b[i]);
}

/** The same layout objects: the same samples in the same places, re-rendered from the values. */
function sameLayouts(a: readonly FamilyInput[], b: readonly FamilyInput[]): boolean {
  return a.length === b.length && a.every((input, i) => input.layout === b[i]!.layout);
}

/** The ledger's optimisations, each on unless switched off (the bench's ablation rows do). */
export interface LedgerLayers {
  /** A family whose inputs are the same objects as last time keeps its bytes. */
  byteCache: boolean;
  /** A family whose inputs kept their shape is rendered again from its layout. */
  revalue: boolean;
  /** The manager's own families matched by content with the last scrape's (ownInputs). */
  ownFamilies: boolean;
  /** Families merged and rendered here (family-text.ts), not by prom-client (referenceText). */
  ownMerge: boolean;
}

export class MetricsLedger {
  private retired: FamilyInput[] = [];
  private readonly latest = new Map<number, Held>();
  private readonly rendered = new Map<ContentType, Map<string, Rendered>>();
  /** The manager's own families as the last scrape packed them, by name. */
  private ownPacked = new Map<string, PackedInput>();
  /** Every bucket's newest exemplar, workers that left included (OpenMetrics only). */
  readonly exemplars = new ExemplarBook();

  // A layer left out or given as undefined is on: only an explicit false switches it off.
  constructor(private readonly layers: Partial<LedgerLayers> = {}) {}

  /** Stores a worker's full snapshot (its final words, or a test's). */
  record(workerId: number, snapshot: MetricsSnapshot): void {
    this.latest.set(workerId, {
      requestId: null,
      inputs: applyAggregationRules(snapshot).map(inputOf),
    });
  }

  /** The request id of the reply held for this worker: the base a delta may build on. */
  baseFor(workerId: number): number | null {
    return this.latest.get(workerId)?.requestId ?? null;
  }

  /**
   * Stores a collection reply, resolving unchanged families against the held snapshot. Returns
   * false (and keeps what it had) for a delta whose base is not what is held.
   */
  recordReply(workerId: number, reply: MetricsReplyMessage): boolean {
    // Whatever becomes of the families, these requests were observed (the newest one wins).
    this.exemplars.add(reply.exemplars);
    const held = this.latest.get(workerId);
    if (reply.base !== null && (held === undefined || held.requestId !== reply.base)) return false;
    const previous = new Map(held?.inputs.map((input) => [input.layout.name, input]));
    const inputs: FamilyInput[] = [];
    for (const update of reply.families) {
      if ('same' in update) {
        const input = previous.get(update.same);
        if (input === undefined) return false;
        inputs.push(input);
      } else if ('revalued' in update) {
        // The held input's layout with new values: the worker checked the shape against the base.
        const prior = previous.get(update.revalued);
        const { values } = update;
        if (prior?.packed == null || !Array.isArray(values)) return false;
        if (values.length !== prior.values.length) return false;
        inputs.push({ layout: prior.layout, values, packed: prior.packed });
      } else {
        try {
          const packed = withAggregationRule(update.packed);
          inputs.push(inputOfPacked(packed, previous.get(packed.name)));
        } catch {
          return false; // A reply that cannot be read is no reply: the worker counts as silent.
        }
      }
    }
    this.latest.set(workerId, { requestId: reply.requestId, inputs });
    return true;
  }

  /** The worker is gone: fold its last cumulative series into the retired total. */
  async retire(workerId: number): Promise<void> {
    const last = this.latest.get(workerId);
    this.latest.delete(workerId);
    if (!last) return;
    const parts = [this.retired, cumulativeOnly(last.inputs)].map((part) => part.map(familyOf));
    this.retired = (await snapshotOf(aggregate(parts))).map(inputOf);
  }

  /** The whole cluster as exposition text (renderBytes, decoded): for tests and the bench. */
  async render(
    answered: ReadonlySet<number>,
    extra: MetricsSnapshot,
    contentType: ContentType,
  ): Promise<string> {
    return Buffer.from(await this.renderBytes(answered, extra, contentType)).toString();
  }

  /**
   * The whole cluster as prom-client would render it, UTF-8; a worker that did not answer this
   * collection counts with its cumulative series only. Families stay bytes, never one joined
   * string: one non-ASCII HELP would make all of it two-byte.
   */
  async renderBytes(
    answered: ReadonlySet<number>,
    extra: MetricsSnapshot,
    contentType: ContentType,
  ): Promise<Uint8Array> {
    const workers = [...this.latest].flatMap(([workerId, held]) =>
      answered.has(workerId) ? held.inputs : cumulativeOnly(held.inputs),
    );
    const all = [...this.retired, ...workers, ...this.ownInputs(extra)];
    const byName = Map.groupBy(all, (input) => input.layout.name);

    const openMetrics = contentType === Registry.OPENMETRICS_CONTENT_TYPE;
    const previous = this.rendered.get(contentType) ?? new Map<string, Rendered>();
    const next = new Map<string, Rendered>();
    const parts: Uint8Array[] = [];
    for (const [name, inputs] of byName) {
      let entry = previous.get(name);
      const { byteCache = true, revalue = true, ownMerge = true } = this.layers;
      if (byteCache && entry !== undefined && sameInputs(entry.inputs, inputs)) {
        // Nothing changed: the same bytes.
      } else if (revalue && entry?.layout && sameLayouts(entry.inputs, inputs)) {
        entry = { inputs, bytes: revalueBytes(entry.layout, inputs), layout: entry.layout };
      } else {
        // One family rendered alone, without the document's trailer: joined again below.
        const render = ownMerge ? familyText : referenceText;
        entry = { inputs, ...(await render(inputs, contentType)) };
      }
      next.set(name, entry);
      if (entry.bytes.length === 0) continue;
      parts.push(openMetrics ? this.exemplars.annotate(name, entry.bytes) : entry.bytes);
    }
    this.rendered.set(contentType, next);
    // The bytes of prom-client's metrics(): families separated by a blank line (Prometheus text)
    // or a newline (OpenMetrics), then the trailer, `\n` or `\n# EOF\n`.
    const separator = openMetrics ? NEWLINE : BLANK_LINE;
    const body = parts.flatMap((bytes, i) => (i === 0 ? [bytes] : [separator, bytes]));
    return Buffer.concat([...body, openMetrics ? EOF : NEWLINE]);
  }

  /**
   * The manager's own families, merged as they are (aggregator 'first'). They arrive as new
   * objects every scrape, and an input is known by its object: each is packed (a copy: prom-client
   * updates its samples in place) and compared with the last scrape's packing. The same content
   * gives back the last input (its bytes reused), the same shape the last layout with new values.
   */
  private ownInputs(extra: MetricsSnapshot): FamilyInput[] {
    if (this.layers.ownFamilies === false) {
      return extra.map((family) => inputOf({ ...family, aggregator: 'first' }));
    }
    const next = new Map<string, PackedInput>();
    const inputs = extra.map((family) => {
      const packed = packFamily({ ...family, aggregator: 'first' });
      const seen = this.ownPacked.get(family.name);
      const input =
        seen !== undefined && samePacked(seen.packed, packed) ? seen : inputOfPacked(packed, seen);
      next.set(family.name, input);
      return input;
    });
    this.ownPacked = next;
    return inputs;
  }
}
