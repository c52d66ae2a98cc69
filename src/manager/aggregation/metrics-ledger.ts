// The manager's memory of every worker's metrics, and the merge that makes /metrics truthful:
// cumulative series of workers that left are carried in a retired total (the cluster's sums never
// go down while the manager lives); gauges of absent or silent workers are dropped. Cost follows
// what changed: a family whose inputs are the same objects as last scrape is not merged again.
import { Registry } from 'prom-client';
import { applyAggregationRules, isCumulative } from '../../metrics/aggregation-rules.js';
import { unpackFamily } from '../../metrics/packed-family.js';
import {
  aggregate,
  snapshotOf,
  type ContentType,
  type MetricsSnapshot,
} from '../../metrics/snapshot.js';
import type { MetricsReplyMessage } from '../../protocol.js';
import { familyOf, inputOf, inputOfPacked, type FamilyInput } from './family-input.js';
import { familyText, revalueBytes, type FamilyText, type TextLayout } from './family-text.js';
import { OwnFamilies } from './own-families.js';
import { renderWithPromClient } from './prom-client-render.js';

function cumulativeOnly(inputs: readonly FamilyInput[]): FamilyInput[] {
  return inputs.filter(({ layout }) => isCumulative(layout));
}

interface Held {
  /** The collection this snapshot answered; null for final words (no delta can build on it). */
  requestId: number | null;
  inputs: FamilyInput[];
}

interface Rendered {
  inputs: FamilyInput[];
  /** The family's text in UTF-8: an unchanged family is only copied again. */
  bytes: Uint8Array;
  layout: TextLayout | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEWLINE = 0x0a;
const TRAILER = { prometheus: encoder.encode('\n'), openMetrics: encoder.encode('\n# EOF\n') };

/** The same input objects: the same bytes. */
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
  /** The manager's own families matched by content with the last scrape's (own-families.ts). */
  ownFamilies: boolean;
  /** Families merged and rendered here (family-text.ts), not by prom-client's aggregate(). */
  ownMerge: boolean;
}

export class MetricsLedger {
  private readonly layers: LedgerLayers;
  private retired: FamilyInput[] = [];
  private readonly latest = new Map<number, Held>();
  private readonly rendered = new Map<ContentType, Map<string, Rendered>>();
  private readonly own = new OwnFamilies();

  constructor(layers: Partial<LedgerLayers> = {}) {
    // A layer given as undefined is on: only an explicit false switches it off.
    this.layers = {
      byteCache: layers.byteCache ?? true,
      revalue: layers.revalue ?? true,
      ownFamilies: layers.ownFamilies ?? true,
      ownMerge: layers.ownMerge ?? true,
    };
  }

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
        const { packed } = update;
        try {
          inputs.push(
            inputOfPacked(packed, previous.get(packed.name), (p) => {
              const [layout] = applyAggregationRules([unpackFamily(p)]);
              return layout!;
            }),
          );
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
    return decoder.decode(await this.renderBytes(answered, extra, contentType));
  }

  /**
   * The whole cluster as exposition text, UTF-8: retired totals + every known worker's newest
   * snapshot (whole if it answered this collection, cumulative-only if it did not) + `extra`
   * (the manager's own metrics, passed through unchanged). Each family is merged and rendered
   * as prom-client's aggregate() and registry would (familyText); only changed families again.
   *
   * Each family is kept as UTF-8 bytes and copied into the body, never joined into one string:
   * one non-ASCII HELP would make the whole joined string two-byte. A re-valued family's bytes
   * are written from its encoded lines and new values (exposition.ts linesBytes).
   */
  async renderBytes(
    answered: ReadonlySet<number>,
    extra: MetricsSnapshot,
    contentType: ContentType,
  ): Promise<Uint8Array> {
    const byName = new Map<string, FamilyInput[]>();
    const add = (input: FamilyInput) => {
      const list = byName.get(input.layout.name);
      if (list) list.push(input);
      else byName.set(input.layout.name, [input]);
    };
    this.retired.forEach(add);
    for (const [workerId, held] of this.latest) {
      (answered.has(workerId) ? held.inputs : cumulativeOnly(held.inputs)).forEach(add);
    }
    const own = this.layers.ownFamilies
      ? this.own.inputs(extra)
      : extra.map((family) => inputOf({ ...family, aggregator: 'first' }));
    own.forEach(add);

    const previous = this.rendered.get(contentType) ?? new Map<string, Rendered>();
    const next = new Map<string, Rendered>();
    const parts: Rendered[] = [];
    for (const [name, inputs] of byName) {
      let entry = previous.get(name);
      const { byteCache, revalue, ownMerge } = this.layers;
      if (byteCache && entry !== undefined && sameInputs(entry.inputs, inputs)) {
        // Nothing changed: the same bytes.
      } else if (revalue && entry?.layout && sameLayouts(entry.inputs, inputs)) {
        entry = { inputs, bytes: revalueBytes(entry.layout, inputs), layout: entry.layout };
      } else {
        // One family rendered alone, without the document's trailer: joined again below.
        const { text, layout }: FamilyText = ownMerge
          ? await familyText(inputs, contentType)
          : { text: await renderWithPromClient(inputs.map(familyOf), contentType), layout: null };
        entry = { inputs, bytes: encoder.encode(text), layout };
      }
      next.set(name, entry);
      if (entry.bytes.length !== 0) parts.push(entry);
    }
    this.rendered.set(contentType, next);
    return writeDocument(parts, contentType === Registry.OPENMETRICS_CONTENT_TYPE);
  }
}

/**
 * The families' texts as one document: separated by a blank line (Prometheus text) or a newline
 * (OpenMetrics), then the trailer, `\n` or `\n# EOF\n`: the bytes of prom-client's metrics().
 */
function writeDocument(parts: readonly Rendered[], openMetrics: boolean): Uint8Array {
  const separator = openMetrics ? 1 : 2;
  const trailer = openMetrics ? TRAILER.openMetrics : TRAILER.prometheus;
  let byteLength = trailer.length + separator * Math.max(0, parts.length - 1);
  for (const part of parts) byteLength += part.bytes.length;
  const body = new Uint8Array(byteLength);
  let offset = 0;
  parts.forEach((part, i) => {
    if (i > 0) {
      body.fill(NEWLINE, offset, offset + separator);
      offset += separator;
    }
    body.set(part.bytes, offset);
    offset += part.bytes.length;
  });
  body.set(trailer, offset);
  return body;
}
