// Gathers every live worker's registry over IPC for one scrape. Each worker gets the same
// deadline; a worker that misses it is reported as such and the scrape goes on without it.
// Scrapes that overlap share one collection, and replies to an older collection are ignored.
import type { MetricsReplyMessage } from '../protocol.js';
import type { ManagedWorker } from './managed-worker.js';
import type { MetricsLedger } from './metrics-ledger.js';

export interface Collection {
  /** Worker ids that answered in time: their gauges are current. */
  answered: Set<number>;
  /** Per slot: did every worker of that slot answer? */
  slotSuccess: Map<number, boolean>;
  durationSeconds: number;
}

type Outcome = 'answered' | 'gone' | 'unreachable';

interface Pending {
  requestId: number;
  waiting: Map<number, (outcome: Outcome) => void>;
}

export class MetricsCollector {
  private nextRequestId = 1;
  private pending: Pending | null = null;
  private running: Promise<Collection> | null = null;

  constructor(
    private readonly ledger: MetricsLedger,
    private readonly timeoutMs: number,
    private readonly liveWorkers: () => ManagedWorker[],
  ) {}

  collect(): Promise<Collection> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** A worker's reply; kept only if it answers the collection in progress. */
  onReply(worker: ManagedWorker, message: MetricsReplyMessage): void {
    const pending = this.pending;
    if (!pending || pending.requestId !== message.requestId) return;
    const done = pending.waiting.get(worker.id);
    if (!done) return;
    done(this.ledger.recordReply(worker.id, message) ? 'answered' : 'unreachable');
  }

  /** The worker is gone: stop waiting for it (its final snapshot, if any, is already recorded). */
  onGone(worker: ManagedWorker): void {
    this.pending?.waiting.get(worker.id)?.('gone');
  }

  private async run(): Promise<Collection> {
    const started = process.hrtime.bigint();
    const requestId = this.nextRequestId++;
    // Booting workers have no traffic yet and may not listen for IPC: not asked, not counted.
    const targets = this.liveWorkers().filter((w) => w.state !== 'starting');
    const outcomes = new Map<number, Outcome>();
    const waiting = new Map<number, (outcome: Outcome) => void>();
    const replies = targets.map(
      (worker) =>
        new Promise<void>((resolve) => {
          waiting.set(worker.id, (outcome) => {
            outcomes.set(worker.id, outcome);
            waiting.delete(worker.id);
            resolve();
          });
        }),
    );
    this.pending = { requestId, waiting };
    for (const worker of targets) {
      const have = this.ledger.baseFor(worker.id);
      if (!worker.send({ type: 'collect-metrics', requestId, have })) {
        waiting.get(worker.id)?.('unreachable');
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(replies),
      new Promise((resolve) => (timer = setTimeout(resolve, this.timeoutMs))),
    ]);
    clearTimeout(timer);
    // Workers still waited for missed the deadline.
    this.pending = null;

    const answered = new Set<number>();
    const slotSuccess = new Map<number, boolean>();
    for (const worker of targets) {
      const outcome = outcomes.get(worker.id);
      // A worker that left mid-collection handed in its final snapshot: not a failure.
      if (outcome === 'gone') continue;
      const ok = outcome === 'answered';
      if (ok) answered.add(worker.id);
      slotSuccess.set(worker.slot, (slotSuccess.get(worker.slot) ?? true) && ok);
    }
    const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { answered, slotSuccess, durationSeconds };
  }
}
