// Encodes the worker's registry for a metrics collection: every family, except families
// unchanged since the last reply when the manager says it holds that reply. The comparison is
// exact (every sample's name, labels and value), so a delta never hides a change; it allocates
// nothing, so an idle registry costs little more than prom-client's own getMetricsAsJSON().
import type { Registry } from 'prom-client';
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

export class MetricsEncoder {
  private last: { requestId: number; families: Map<string, MetricFamily> } | null = null;

  constructor(private readonly registry: Registry) {}

  async encode(requestId: number, have: number | null): Promise<MetricsReplyMessage> {
    const base = this.last !== null && this.last.requestId === have ? this.last.families : null;
    const families = new Map<string, MetricFamily>();
    const updates: FamilyUpdate[] = [];
    for (const family of await snapshotOf(this.registry)) {
      families.set(family.name, family);
      const before = base?.get(family.name);
      updates.push(
        before !== undefined && sameFamily(before, family) ? { same: family.name } : { family },
      );
    }
    this.last = { requestId, families };
    return { type: 'metrics', requestId, base: base === null ? null : have, families: updates };
  }
}
