// The manager's memory of every worker's metrics, and the merge that makes /metrics truthful:
// cumulative series of workers that left are carried in a retired total (the cluster's sums never
// go down while the manager lives); gauges of absent or silent workers are dropped. Cost follows
// what changed: a family whose inputs are the same objects as last scrape is not merged again.
import { Registry } from 'prom-client';
import { applyAggregationRules, isCumulative } from '../../metrics/aggregation-rules.js';
import {
  sameShape,
  unpackFamily,
  unpackValues,
  withValues,
  type PackedFamily,
} from '../../metrics/packed-family.js';
import {
  aggregate,
  snapshotOf,
  type ContentType,
  type MetricFamily,
  type MetricsSnapshot,
} from '../../metrics/snapshot.js';
import type { MetricsReplyMessage } from '../../protocol.js';
import { familyText, revalueBytes, type FamilyText, type TextLayout } from './family-text.js';
import { OwnFamilies } from './own-families.js';
import { renderWithPromClient } from './prom-client-render.js';

function cumulativeOnly(snapshot: MetricsSnapshot): MetricsSnapshot {
  return snapshot.filter(isCumulative);
}

interface Held {
  /** The collection this snapshot answered; null for final words (no delta can build on it). */
  requestId: number | null;
  snapshot: MetricsSnapshot;
}

interface Rendered {
  inputs: MetricFamily[];
  /** The family's text in UTF-8: an unchanged family is only copied again. */
  bytes: Uint8Array;
  layout: TextLayout | null;
}

/** Gives the bytes a body is written into: at least `byteLength` long. */
export type AllocateBody = (byteLength: number) => Uint8Array;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEWLINE = 0x0a;
const TRAILER = { prometheus: encoder.encode('\n'), openMetrics: encoder.encode('\n# EOF\n') };

function sameInputs(a: MetricFamily[], b: MetricFamily[]): boolean {
  return a.length === b.length && a.every((family, i) => family === b[i]);
}

/**
 * What a worker's family came from (a packing of its shape, for sameShape; values aside), and its
 * shape: one object shared by every family of that worker and name that unpacked to the same
 * samples in the same places, so that a family whose values alone changed is rendered again from
 * its last layout.
 */
interface Origin {
  packed: PackedFamily;
  shape: object;
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
  private retired: MetricsSnapshot = [];
  private readonly latest = new Map<number, Held>();
  private readonly rendered = new Map<ContentType, Map<string, Rendered>>();
  private readonly origins = new WeakMap<MetricFamily, Origin>();
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
    this.latest.set(workerId, { requestId: null, snapshot: applyAggregationRules(snapshot) });
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
    const previous = new Map(held?.snapshot.map((family) => [family.name, family]));
    const snapshot: MetricsSnapshot = [];
    for (const update of reply.families) {
      if ('same' in update) {
        const family = previous.get(update.same);
        if (family === undefined) return false;
        snapshot.push(family);
      } else if ('revalued' in update) {
        // The held family with new values: the worker checked the shape against the base.
        const prior = previous.get(update.revalued);
        const origin = prior === undefined ? undefined : this.origins.get(prior);
        if (origin === undefined) return false;
        let family: MetricFamily;
        try {
          family = withValues(prior!, update.values);
        } catch {
          return false;
        }
        this.origins.set(family, origin);
        snapshot.push(family);
      } else {
        const prior = previous.get(update.packed.name);
        const before = prior === undefined ? undefined : this.origins.get(prior);
        const sameAsBefore = before !== undefined && sameShape(before.packed, update.packed);
        const shape = sameAsBefore ? before.shape : {};
        let family: MetricFamily;
        try {
          // Same shape: the held family's samples with the new values (its labels shared).
          family = sameAsBefore ? unpackValues(prior!, update.packed) : unpackFamily(update.packed);
        } catch {
          return false; // A reply that cannot be read is no reply: the worker counts as silent.
        }
        for (const ruled of applyAggregationRules([family])) {
          this.origins.set(ruled, { packed: update.packed, shape });
          snapshot.push(ruled);
        }
      }
    }
    this.latest.set(workerId, { requestId: reply.requestId, snapshot });
    return true;
  }

  private shapeOf(family: MetricFamily): object | undefined {
    return this.origins.get(family)?.shape ?? this.own.shapes.get(family);
  }

  /** Whether every input has the shape of the one in its place before. */
  private sameShapes(before: MetricFamily[], now: MetricFamily[]): boolean {
    if (before.length !== now.length) return false;
    for (let i = 0; i < now.length; i += 1) {
      const shape = this.shapeOf(now[i]!);
      if (shape === undefined || shape !== this.shapeOf(before[i]!)) return false;
    }
    return true;
  }

  /** The worker is gone: fold its last cumulative series into the retired total. */
  async retire(workerId: number): Promise<void> {
    const last = this.latest.get(workerId);
    this.latest.delete(workerId);
    if (!last) return;
    this.retired = await snapshotOf(aggregate([this.retired, cumulativeOnly(last.snapshot)]));
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
   * are written from its encoded lines and new values (exposition.ts linesBytes). The body comes
   * from `allocate`, so the metrics thread can reuse the buffers of responses that have gone out.
   */
  async renderBytes(
    answered: ReadonlySet<number>,
    extra: MetricsSnapshot,
    contentType: ContentType,
    allocate: AllocateBody = (byteLength) => new Uint8Array(byteLength),
  ): Promise<Uint8Array> {
    const byName = new Map<string, MetricFamily[]>();
    const add = (family: MetricFamily) => {
      const list = byName.get(family.name);
      if (list) list.push(family);
      else byName.set(family.name, [family]);
    };
    this.retired.forEach(add);
    for (const [workerId, held] of this.latest) {
      (answered.has(workerId) ? held.snapshot : cumulativeOnly(held.snapshot)).forEach(add);
    }
    const own = this.layers.ownFamilies
      ? this.own.inputs(extra)
      : extra.map((family): MetricFamily => ({ ...family, aggregator: 'first' }));
    own.forEach(add);

    const previous = this.rendered.get(contentType) ?? new Map<string, Rendered>();
    const next = new Map<string, Rendered>();
    const parts: Rendered[] = [];
    for (const [name, inputs] of byName) {
      let entry = previous.get(name);
      const { byteCache, revalue, ownMerge } = this.layers;
      if (byteCache && entry !== undefined && sameInputs(entry.inputs, inputs)) {
        // Nothing changed: the same bytes.
      } else if (revalue && entry?.layout && this.sameShapes(entry.inputs, inputs)) {
        entry = { inputs, bytes: revalueBytes(entry.layout, inputs), layout: entry.layout };
      } else {
        // One family rendered alone, without the document's trailer: joined again below.
        const { text, layout }: FamilyText = ownMerge
          ? await familyText(inputs, contentType)
          : { text: await renderWithPromClient(inputs, contentType), layout: null };
        entry = { inputs, bytes: encoder.encode(text), layout };
      }
      next.set(name, entry);
      if (entry.bytes.length !== 0) parts.push(entry);
    }
    this.rendered.set(contentType, next);
    return writeDocument(parts, contentType === Registry.OPENMETRICS_CONTENT_TYPE, allocate);
  }
}

/**
 * The families' texts as one document: separated by a blank line (Prometheus text) or a newline
 * (OpenMetrics), then the trailer, `\n` or `\n# EOF\n`: the bytes of prom-client's metrics().
 */
function writeDocument(
  parts: readonly Rendered[],
  openMetrics: boolean,
  allocate: AllocateBody,
): Uint8Array {
  const separator = openMetrics ? 1 : 2;
  const trailer = openMetrics ? TRAILER.openMetrics : TRAILER.prometheus;
  let byteLength = trailer.length + separator * Math.max(0, parts.length - 1);
  for (const part of parts) byteLength += part.bytes.length;
  const body = allocate(byteLength).subarray(0, byteLength);
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
