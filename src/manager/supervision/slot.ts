// One slot of the cluster (0..WORKERS-1): the stable place a worker serves from, whose label a
// replacement inherits. It remembers what outlives any one worker: recent deaths (for back-off
// and crash-loop detection), the restarts counted, when the next fork may happen, and the
// replacement in progress.
import type { Timer } from './clock.js';
import { FRESH_HISTORY, type SlotHistory } from './restart-policy.js';

export class Slot {
  history: SlotHistory = FRESH_HISTORY;
  restarts = 0;
  /** Monotonic ms before which no worker is forked here (back-off after young deaths). */
  notBefore = 0;
  /** Wakes the supervisor when the back-off ends. */
  wake: Timer | null = null;
  /** Replacements of one slot run one after another: the tail of that chain. */
  replacing: Promise<boolean> | null = null;

  constructor(readonly index: number) {}

  cancelWake(): void {
    this.wake?.cancel();
    this.wake = null;
  }
}
