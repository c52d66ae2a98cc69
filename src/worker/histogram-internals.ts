// What the encoder's histogram fast paths (histogram-state.ts, histogram-pack.ts) read of
// prom-client, which its typings do not expose: a Histogram's series (hashMap, upperBounds) and a
// Registry's default labels (prom-client 15). Anything that does not look exactly as expected is
// not taken (null), and the encoder reads that metric the ordinary way, through get().
import { Histogram, type Registry } from 'prom-client';

/** One label set of a histogram, as prom-client keeps it. */
export interface SeriesInternals {
  labels: unknown;
  bucketValues: unknown;
  sum: unknown;
  count: unknown;
}

export interface HistogramInternals {
  name: unknown;
  help: unknown;
  type: unknown;
  aggregator: unknown;
  upperBounds: unknown[];
  hashMap: Record<string, unknown>;
}

interface Unchecked extends Omit<HistogramInternals, 'upperBounds' | 'hashMap'> {
  collect?: unknown;
  get: unknown;
  getForPromString: unknown;
  upperBounds: unknown;
  hashMap: unknown;
}

/** get() goes through this one (untyped in prom-client's typings). */
const READ_FOR_TEXT = (Histogram.prototype as unknown as { getForPromString: unknown })
  .getForPromString;

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

export const isPrimitive = (value: unknown): boolean =>
  value === null || (typeof value !== 'object' && typeof value !== 'function');

/**
 * The histogram's internals when its get() output is a function of them alone: exactly
 * prom-client's own Histogram (a subclass may compute its output differently), its reading
 * methods not replaced on the instance, and no collect() callback (which runs inside get() and
 * may change anything). Null otherwise.
 */
export function plainHistogram(metric: unknown): HistogramInternals | null {
  if (!(metric instanceof Histogram) || Object.getPrototypeOf(metric) !== Histogram.prototype) {
    return null;
  }
  const h = metric as unknown as Unchecked;
  if (h.get !== Histogram.prototype.get || h.getForPromString !== READ_FOR_TEXT) return null;
  if (h.collect !== undefined && h.collect !== null) return null;
  const { upperBounds, hashMap } = h;
  if (!Array.isArray(upperBounds) || !isRecord(hashMap)) return null;
  return { ...h, upperBounds, hashMap };
}

/** The registry's default labels (getMetricsAsJSON adds them), or null if unreadable. */
export function defaultLabelsOf(registry: Registry): Record<string, unknown> | null {
  const labels = (registry as unknown as { _defaultLabels?: unknown })._defaultLabels;
  return isRecord(labels) ? labels : null;
}
