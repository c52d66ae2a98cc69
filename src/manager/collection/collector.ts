// Gathers every live worker's registry. At its deadline a collection answers with whoever has
// replied and reports the rest. Scrapes that overlap share one collection (one request per worker),
// each with its own deadline; replies to an older collection are ignored.
import type { CollectMetricsMessage, MetricsReplyMessage } from '../../protocol.js';
import type { WorkerRef } from '../supervision/lifecycle.js';
import type { MetricsLedger } from '../aggregation/metrics-ledger.js';
import { withDeadline } from '../../deadline.js';

export interface Collection {
  /** Overlapping scrapes that shared the collection see the same id. */
  id: number;
  /** Booting workers are not asked. */
  asked: number;
  /** Worker ids that answered in time: their gauges are current. */
  answered: Set<number>;
  /** Per slot: did every worker of that slot answer in time? */
  slotSuccess: Map<number, boolean>;
  durationSeconds: number;
}

type Outcome = 'answered' | 'gone' | 'unreachable';

/** `unreachable`: no open link, or a reply that could not be used; `timeout`: no answer in time. */
export type CollectionFailure = 'unreachable' | 'timeout';

interface Running {
  requestId: number;
  startedAt: bigint;
  targets: readonly WorkerRef[];
  outcomes: Map<number, Outcome>;
  /** Settles when every target has an outcome or the collection's own deadline has passed. */
  finished: Promise<void>;
  settle: (workerId: number, outcome: Outcome) => void;
}

export class MetricsCollector {
  private nextRequestId = 1;
  private running: Running | null = null;
  private lastStartedAt: bigint | null = null;

  constructor(
    private readonly ledger: MetricsLedger,
    /** False when it cannot reach the worker. */
    private readonly send: (workerId: number, message: CollectMetricsMessage) => boolean,
    /** Told once per worker whose part of a collection failed, when that collection ends. */
    private readonly onFailure = (_slot: number, _reason: CollectionFailure): void => undefined,
  ) {}

  /** Starts or joins a collection; resolves when all answered, `timeoutMs` passed, or it ended. */
  async collect(workers: readonly WorkerRef[], timeoutMs: number): Promise<Collection> {
    const run = this.running ?? this.start(workers, timeoutMs);
    await withDeadline(run.finished, timeoutMs, undefined);
    return this.summary(run);
  }

  msSinceLastCollection(): number | null {
    if (this.lastStartedAt === null) return null;
    return Number(process.hrtime.bigint() - this.lastStartedAt) / 1e6;
  }

  onReply(workerId: number, message: MetricsReplyMessage): void {
    const run = this.running;
    if (!run || run.requestId !== message.requestId || run.outcomes.has(workerId)) return;
    if (!run.targets.some((t) => t.id === workerId)) return;
    run.settle(workerId, this.ledger.recordReply(workerId, message) ? 'answered' : 'unreachable');
  }

  /** Stops waiting for a worker: `gone` (left; its final snapshot is recorded) or link closed. */
  stopWaiting(workerId: number, outcome: 'gone' | 'unreachable'): void {
    this.running?.settle(workerId, outcome);
  }

  private start(all: readonly WorkerRef[], timeoutMs: number): Running {
    // Booting workers have no traffic yet: not asked, not counted.
    const targets = all.filter((t) => t.state !== 'starting');
    const outcomes = new Map<number, Outcome>();
    const { promise: allDone, resolve: finish } = Promise.withResolvers<void>();
    const startedAt = process.hrtime.bigint();
    this.lastStartedAt = startedAt;
    const run: Running = {
      requestId: this.nextRequestId++,
      startedAt,
      targets,
      outcomes,
      finished: allDone,
      settle: (workerId, outcome) => {
        if (outcomes.has(workerId) || !targets.some((t) => t.id === workerId)) return;
        outcomes.set(workerId, outcome);
        if (outcomes.size === targets.length) finish();
      },
    };
    this.running = run;
    if (targets.length === 0) finish();
    void withDeadline(allDone, timeoutMs, undefined).then(() => {
      // Whoever has not answered by now missed the deadline; later replies are ignored.
      if (this.running === run) this.running = null;
      for (const target of targets) {
        const outcome = run.outcomes.get(target.id);
        if (outcome === undefined) this.onFailure(target.slot, 'timeout');
        else if (outcome === 'unreachable') this.onFailure(target.slot, 'unreachable');
      }
    });
    for (const target of targets) {
      const have = this.ledger.baseFor(target.id);
      if (!this.send(target.id, { type: 'collect-metrics', requestId: run.requestId, have })) {
        run.settle(target.id, 'unreachable');
      }
    }
    return run;
  }

  private summary(run: Running): Collection {
    const answered = new Set<number>();
    const slotSuccess = new Map<number, boolean>();
    for (const target of run.targets) {
      const outcome = run.outcomes.get(target.id);
      // A worker that left mid-collection handed in its final snapshot: not a failure.
      if (outcome === 'gone') continue;
      const ok = outcome === 'answered';
      if (ok) answered.add(target.id);
      slotSuccess.set(target.slot, (slotSuccess.get(target.slot) ?? true) && ok);
    }
    const durationSeconds = Number(process.hrtime.bigint() - run.startedAt) / 1e9;
    return { id: run.requestId, asked: run.targets.length, answered, slotSuccess, durationSeconds };
  }
}
