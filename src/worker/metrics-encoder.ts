// Encodes the worker's registry for a metrics collection: every family, except families
// unchanged since the last reply when the manager says it holds that reply. The comparison is
// exact (every sample's name, labels and value), so a delta never hides a change.
//
// What it compares against is the packed copy it sent (src/metrics/packed-family.ts), never
// prom-client's objects: getMetricsAsJSON() hands out its live series objects, which
// Counter.inc() and Gauge.inc()/dec() mutate in place, and remembering those made every such
// series look unchanged forever after the first scrape. A family is packed only when it is sent;
// an unchanged one costs a comparison and no allocation, so an idle registry stays cheap.
import type { Registry } from 'prom-client';
import { matchesPacked, packFamily, type PackedFamily } from '../metrics/packed-family.js';
import { snapshotOf } from '../metrics/snapshot.js';
import type { FamilyUpdate, MetricsReplyMessage } from '../protocol.js';

export class MetricsEncoder {
  private last: { requestId: number; families: Map<string, PackedFamily> } | null = null;

  constructor(private readonly registry: Registry) {}

  async encode(requestId: number, have: number | null): Promise<MetricsReplyMessage> {
    const base = this.last !== null && this.last.requestId === have ? this.last.families : null;
    const families = new Map<string, PackedFamily>();
    const updates: FamilyUpdate[] = [];
    for (const live of await snapshotOf(this.registry)) {
      const before = base?.get(live.name);
      if (before !== undefined && matchesPacked(before, live)) {
        families.set(live.name, before);
        updates.push({ same: live.name });
      } else {
        const packed = packFamily(live);
        families.set(live.name, packed);
        updates.push({ packed });
      }
    }
    this.last = { requestId, families };
    return { type: 'metrics', requestId, base: base === null ? null : have, families: updates };
  }
}
