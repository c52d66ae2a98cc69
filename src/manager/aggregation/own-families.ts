// The manager's own families (supervision, its process, the collection's metrics) as ledger
// inputs. They arrive as new objects every scrape, and the ledger knows an input by its object:
// each is packed (a copy: prom-client updates its samples in place) and compared with the last
// scrape's packing. The same content gives back the last input (its bytes reused), the same
// shape the last layout with new values (re-rendered from it), anything else a new layout.
import { packFamily, samePacked } from '../../metrics/packed-family.js';
import type { MetricsSnapshot } from '../../metrics/snapshot.js';
import { inputOfPacked, type FamilyInput } from './family-input.js';

type Packed = FamilyInput & { packed: NonNullable<FamilyInput['packed']> };

export class OwnFamilies {
  private last = new Map<string, Packed>();

  /** This scrape's inputs for `extra`, merged as they are (aggregator 'first'). */
  inputs(extra: MetricsSnapshot): FamilyInput[] {
    const next = new Map<string, Packed>();
    const inputs = extra.map((family) => {
      const packed = packFamily({ ...family, aggregator: 'first' });
      const seen = this.last.get(family.name);
      const input =
        seen !== undefined && samePacked(seen.packed, packed) ? seen : inputOfPacked(packed, seen);
      next.set(family.name, input);
      return input;
    });
    this.last = next;
    return inputs;
  }
}
