// The reference for "true" cluster metrics, computed the straightforward way: prom-client's own
// AggregatorRegistry.aggregate() over every live worker's newest full snapshot (only its
// cumulative families when it did not answer the scrape) plus the last cumulative snapshot of
// every worker that left, with the service's aggregation rules applied. No deltas, no caches.
// Exemplars (OpenMetrics only): after a sample's value, the newest by timestamp of that sample's
// exemplars over every full list the manager received (each delivered reply, each worker's final
// words), killed and departed workers included.
import { Registry } from 'prom-client';
import { applyAggregationRules, isCumulative } from '../../src/metrics/aggregation-rules.js';
import type { HeldExemplar } from './simulated-worker.js';
import {
  aggregate,
  type ContentType,
  type MetricFamily,
  type MetricsSnapshot,
} from '../../src/metrics/snapshot.js';

const cumulativeOnly = (snapshot: MetricsSnapshot) => snapshot.filter(isCumulative);

/**
 * prom-client's OpenMetrics renderer appends `_total` to counter samples without stripping it
 * from aggregate()'s family names; the expected output names the family once, as the spec says.
 */
const openMetricsName = (family: MetricFamily): MetricFamily =>
  family.type === 'counter' ? { ...family, name: family.name.replace(/_total$/, '') } : family;

/** A sample line's identity: its name and its labels in any order. */
const sampleKey = (metricName: string, labels: Record<string, string>) =>
  `${metricName} ${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;

/** `name{a="x",b="y"} value` -> its key (the values here need no unescaping). */
function keyOfLine(line: string): string {
  const match = /^([^{ ]+)(?:\{(.*)\})? \S+$/.exec(line);
  if (!match) throw new Error(`not a sample line: ${line}`);
  const labels: Record<string, string> = {};
  for (const [, name, value] of (match[2] ?? '').matchAll(/([^=,]+)="([^"]*)"/g)) {
    labels[name!] = value!;
  }
  return sampleKey(match[1]!, labels);
}

export class MetricsOracle {
  private readonly retired: MetricsSnapshot[] = [];
  private readonly delivered = new Map<number, MetricsSnapshot>();
  /** Every full exemplar list the manager received, in the order it received them. */
  private readonly exemplarLists: HeldExemplar[][] = [];

  /** The manager received this full snapshot of the worker (a reply or final words). */
  deliver(workerId: number, snapshot: MetricsSnapshot, exemplars: HeldExemplar[] = []): void {
    this.delivered.set(workerId, snapshot);
    this.exemplarLists.push(exemplars);
  }

  /** The worker is gone: what it last delivered counts forever, its gauges no more. */
  retire(workerId: number): void {
    const last = this.delivered.get(workerId);
    this.delivered.delete(workerId);
    if (last) this.retired.push(cumulativeOnly(last));
  }

  async expected(answered: ReadonlySet<number>, contentType: ContentType): Promise<string> {
    const parts = [
      ...this.retired,
      ...[...this.delivered].map(([id, snapshot]) =>
        answered.has(id) ? snapshot : cumulativeOnly(snapshot),
      ),
    ].map((part) => {
      const ruled = applyAggregationRules(part);
      return contentType === Registry.OPENMETRICS_CONTENT_TYPE ? ruled.map(openMetricsName) : ruled;
    });
    const text = await aggregate(parts, contentType).metrics();
    return contentType === Registry.OPENMETRICS_CONTENT_TYPE ? this.withExemplars(text) : text;
  }

  /** How many sample lines of an OpenMetrics exposition carry an exemplar. */
  static exemplarLines(text: string): number {
    return text.split('\n').filter((line) => !line.startsWith('#') && line.includes(' # {')).length;
  }

  /** Each sample line followed by its newest exemplar, if it has one. */
  private withExemplars(text: string): string {
    const newest = new Map<string, HeldExemplar>();
    const names = new Set<string>();
    for (const exemplar of this.exemplarLists.flat()) {
      names.add(exemplar.metricName);
      const key = sampleKey(exemplar.metricName, exemplar.labels);
      const held = newest.get(key);
      if (held === undefined || held.timestampMs < exemplar.timestampMs) newest.set(key, exemplar);
    }
    return text
      .split('\n')
      .map((line) => {
        // Only the lines of samples that have exemplars are parsed (their label values are plain).
        if (!names.has(line.slice(0, line.search(/[{ ]/)))) return line;
        const exemplar = newest.get(keyOfLine(line));
        if (exemplar === undefined) return line;
        const { traceId, value, timestampMs } = exemplar;
        return `${line} # {trace_id="${traceId}"} ${value} ${timestampMs / 1000}`;
      })
      .join('\n');
  }
}

/**
 * An exposition as its sorted lines: the same samples, HELP and TYPE lines in any order. The
 * order of families and series carries no meaning in either format.
 */
export function linesOf(exposition: string): string[] {
  return exposition
    .split('\n')
    .filter((line) => line !== '')
    .sort();
}
