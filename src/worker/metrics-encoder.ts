// Encodes the worker's registry for a metrics collection: every family, except families
// unchanged since the last reply when the manager says it holds that reply. The comparison is
// exact (every sample's name, labels and value), so a delta never hides a change.
//
// What it compares against is a copy. prom-client's getMetricsAsJSON() hands out its live series
// objects, which Counter.inc() and Gauge.inc()/dec() mutate in place: remembering those objects
// made every such series look unchanged forever after the first scrape. A family is copied
// only when it is sent (it is about to be serialised anyway); an unchanged one costs a
// comparison and no allocation, so an idle registry stays cheap.
import type { Registry } from 'prom-client';
import { packFamily } from '../metrics/packed-family.js';
import { snapshotOf } from '../metrics/snapshot.js';
import type { FamilyUpdate, MetricFamily, MetricsReplyMessage } from '../protocol.js';

type Sample = MetricFamily['values'][number];

function sameLabels(a: Sample['labels'], b: Sample['labels']): boolean {
  let keys = 0;
  for (const key in a) {
    if (a[key] !== b[key]) return false;
    keys += 1;
  }
  // Every key of `a` matched; `b` has no other key when the counts agree.
  for (const _key in b) keys -= 1;
  return keys === 0;
}

/** Same samples, in the same order (prom-client only ever appends series). */
export function sameFamily(a: MetricFamily, b: MetricFamily): boolean {
  if (a.values.length !== b.values.length || a.type !== b.type) return false;
  for (let i = 0; i < a.values.length; i += 1) {
    const x = a.values[i]!;
    const y = b.values[i]!;
    if (x.value !== y.value || x.metricName !== y.metricName || !sameLabels(x.labels, y.labels)) {
      return false;
    }
  }
  return true;
}

/** The family's values as they are now, detached from prom-client's live objects. */
export function copyFamily(family: MetricFamily): MetricFamily {
  const values = family.values.map((sample) => {
    const copy: Sample = { value: sample.value, labels: { ...sample.labels } };
    if (sample.metricName !== undefined) copy.metricName = sample.metricName;
    return copy;
  });
  return {
    name: family.name,
    help: family.help,
    type: family.type,
    aggregator: family.aggregator,
    values,
  };
}

export class MetricsEncoder {
  private last: { requestId: number; families: Map<string, MetricFamily> } | null = null;

  constructor(private readonly registry: Registry) {}

  async encode(requestId: number, have: number | null): Promise<MetricsReplyMessage> {
    const base = this.last !== null && this.last.requestId === have ? this.last.families : null;
    const families = new Map<string, MetricFamily>();
    const updates: FamilyUpdate[] = [];
    for (const live of await snapshotOf(this.registry)) {
      const before = base?.get(live.name);
      if (before !== undefined && sameFamily(before, live)) {
        families.set(live.name, before);
        updates.push({ same: live.name });
      } else {
        const family = copyFamily(live);
        families.set(family.name, family);
        updates.push({ packed: packFamily(family) });
      }
    }
    this.last = { requestId, families };
    return { type: 'metrics', requestId, base: base === null ? null : have, families: updates };
  }
}
