// Encodes the worker's registry for a metrics collection: every family's JSON, except families
// unchanged since the last reply when the manager says it holds that reply. The comparison is
// exact (the same JSON text), so a delta never hides a change.
import type { Registry } from 'prom-client';
import { snapshotOf } from '../metrics/snapshot.js';
import type { FamilyUpdate, MetricsReplyMessage } from '../protocol.js';

export class MetricsEncoder {
  private last: { requestId: number; json: Map<string, string> } | null = null;

  constructor(private readonly registry: Registry) {}

  async encode(requestId: number, have: number | null): Promise<MetricsReplyMessage> {
    const base = this.last !== null && this.last.requestId === have ? this.last.json : null;
    const json = new Map<string, string>();
    const families: FamilyUpdate[] = [];
    for (const family of await snapshotOf(this.registry)) {
      const text = JSON.stringify(family);
      json.set(family.name, text);
      families.push(base?.get(family.name) === text ? { same: family.name } : { json: text });
    }
    this.last = { requestId, json };
    return { type: 'metrics', requestId, base: base === null ? null : have, families };
  }
}
