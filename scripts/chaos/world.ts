// The system under test as fast-check's model-based run sees it (the "real" of asyncModelRun):
// the cluster's addresses, the ledger, and the background activities a phase started. A phase
// ends by waiting for all of them (each bounded by itself), resuming whatever is stopped and
// judging the quiescent invariants.
import type { Target } from './clients.js';
import { resumeAll, type FaultTarget } from './faults.js';
import type { Ledger } from './ledger.js';
import { quiescentCheck, type Baseline, type Scene } from './quiescent.js';

export interface ChaosModel {
  /** Workers asked for by the run's SIGTTIN/SIGTTOU since the phase began. */
  workers: number;
  /** The most workers a storm may ask for. */
  maxWorkers: number;
}

/** An activity still running this long after its phase ended is itself a hang. */
const DRAIN_DEADLINE_MS = 60_000;

export class World {
  private readonly running = new Set<Promise<void>>();

  constructor(
    readonly ledger: Ledger,
    readonly target: Target,
    readonly faults: FaultTarget,
    readonly scene: Scene,
    readonly baseline: Baseline,
  ) {}

  /** Runs `work` in the background; a failure that is not a judged outcome is reported. */
  spawn(what: string, work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) =>
        this.ledger.violate('client-connect', `${what}: ${(error as Error).message}`),
      )
      .finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  async endPhase(): Promise<void> {
    const drained = Promise.all([...this.running]).then(() => true);
    const late = new Promise<boolean>((resolve) =>
      setTimeout(() => resolve(false), DRAIN_DEADLINE_MS).unref(),
    );
    if (!(await Promise.race([drained, late]))) {
      this.ledger.violate(
        'client-hang',
        `${this.running.size} client operation(s) still running ${DRAIN_DEADLINE_MS} ms after the phase ended`,
      );
    }
    resumeAll(this.faults);
    if (this.ledger.over) return;
    this.ledger.step('quiescent check');
    await quiescentCheck(this.scene, this.baseline);
  }
}
