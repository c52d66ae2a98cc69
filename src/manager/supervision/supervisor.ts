// The supervisor, one owner for the set of workers, in the spirit of gunicorn's arbiter. Events
// (a signal, an admin call, a death, a timer) only change the target or the slots' memory; one
// reconcile pass then brings the workers to the target. Named steps around it: reap, murder,
// recycle and replace (new worker ready before the old one drains), shut down.
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import {
  isWorkerMessage,
  WORKER_SLOT_ENV,
  type HeartbeatMessage,
  type StopReason,
} from '../../protocol.js';
import { systemClock, type Clock, type Timer } from './clock.js';
import { forkClusterWorker, type ForkWorker, type WorkerExit } from './fork-worker.js';
import type { ReplaceReason, RestartReason, StatusResponse } from './lifecycle.js';
import { ManagedWorker } from './managed-worker.js';
import { decideRestart, FRESH_HISTORY, type SlotHistory } from './restart-policy.js';
import { judge } from './verdict.js';

/** What the supervisor announces: the rest of the manager listens, it never calls into it. */
export interface SupervisorEvents {
  heartbeat: [slot: number, message: HeartbeatMessage, previous: HeartbeatMessage | null];
  restart: [slot: number, reason: RestartReason];
  /** The manager's own event loop stood still for `stalledMs`. */
  stall: [stalledMs: number];
  /** A worker was forked, became ready, was asked to stop, or is gone (exited and drained). */
  'workers-changed': [];
}

/** A slot (0..WORKERS-1): where a worker serves, whose label a replacement inherits. */
interface Slot {
  history: SlotHistory;
  restarts: number;
  /** Monotonic ms before which no worker is forked here (back-off after young deaths). */
  notBefore: number;
  wake: Timer | null;
  /** Replacements of one slot run one after another: the tail of that chain. */
  replacing: Promise<boolean> | null;
}

/** A watchdog check later than this (or a heartbeat interval, if longer) is a manager stall. */
const STALL_MIN_MS = 1_000;
/** After the shutdown timeout, a worker that has not exited gets this long before SIGKILL. */
const BACKSTOP_GRACE_MS = 2_000;
const NO_STACK_REPORT =
  'no stack: the worker reported none (process stopped, or WORKER_STACK_WATCHDOG=false)';

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly workers = new Map<number, ManagedWorker>();
  private readonly slots = new Map<number, Slot>();
  private desired: number;
  private watchdog: Timer | null = null;
  private checkPeriodMs = 1000;
  private lastCheckAt = 0;
  private reloadRun: Promise<void> | null = null;
  private reloadAgain = false;
  private shutdownRun: Promise<void> | null = null;
  private readonly shutdownGate = Promise.withResolvers<void>();
  /** Settles when shutdown begins, whoever began it: a signal, a crash loop, a fatal error. */
  readonly shutdownBegun = this.shutdownGate.promise;
  private readonly startedAt: number;
  exitCode = 0;

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly version: string,
    // What the supervisor acts through; its unit tests inject their own.
    private readonly fork: ForkWorker = forkClusterWorker,
    private readonly clock: Clock = systemClock,
  ) {
    super();
    this.desired = config.workers;
    this.startedAt = clock.wallNow();
  }

  get shuttingDown(): boolean {
    return this.shutdownRun !== null;
  }

  get desiredWorkers(): number {
    return this.desired;
  }

  get reloading(): boolean {
    return this.reloadRun !== null;
  }

  start(): void {
    this.checkPeriodMs = Math.max(
      25,
      Math.min(1000, Math.floor(this.config.heartbeatIntervalMs / 2)),
    );
    this.lastCheckAt = this.clock.now();
    this.watchdog = this.clock.every(this.checkPeriodMs, () => this.check());
    this.reconcile();
  }

  list(): ManagedWorker[] {
    return [...this.workers.values()].sort((a, b) => a.slot - b.slot || a.id - b.id);
  }

  restartsOf(slot: number): number {
    return this.slots.get(slot)?.restarts ?? 0;
  }

  status(): StatusResponse {
    const now = this.clock.wallNow();
    const workers = this.list().map((w) => w.toStatus(this.restartsOf(w.slot), now));
    return {
      manager: {
        pid: process.pid,
        version: this.version,
        startedAt: new Date(this.startedAt).toISOString(),
        uptimeSeconds: (now - this.startedAt) / 1000,
        desiredWorkers: this.desired,
        readyWorkers: workers.filter((w) => w.state === 'ready').length,
        reloading: this.reloading,
        shuttingDown: this.shuttingDown,
      },
      workers,
    };
  }

  /**
   * Brings the workers to the target: a worker in every slot below `desired` (once its back-off
   * is over), none above it. Everything that changes the target or frees a slot ends here.
   */
  private reconcile(): void {
    if (this.shuttingDown) return;
    const now = this.clock.now();
    for (let index = 0; index < this.desired; index += 1) {
      if (!this.vacant(index)) continue;
      const slot = this.slot(index);
      if (slot.notBefore > now) {
        slot.wake ??= this.clock.after(slot.notBefore - now, () => {
          slot.wake = null;
          this.reconcile();
        });
        continue;
      }
      this.spawn(index);
    }
    for (const worker of this.list()) {
      if (worker.slot < this.desired || worker.stopReason !== null) continue;
      this.countRestart(worker.slot, 'scale');
      void this.stopWorker(worker, 'scale');
    }
    for (const [index, slot] of this.slots) {
      if (index < this.desired) continue;
      slot.wake?.cancel();
      slot.wake = null;
    }
  }

  /** A slot that should have a worker and has none (replacements in progress count as one). */
  private vacant(index: number): boolean {
    return !this.shuttingDown && index < this.desired && this.occupant(index) === undefined;
  }

  private occupant(index: number): ManagedWorker | undefined {
    return this.list().find((w) => w.slot === index && w.stopReason === null);
  }

  private slot(index: number): Slot {
    let slot = this.slots.get(index);
    if (!slot) {
      slot = { history: FRESH_HISTORY, restarts: 0, notBefore: 0, wake: null, replacing: null };
      this.slots.set(index, slot);
    }
    return slot;
  }

  private spawn(index: number): ManagedWorker {
    const { workerMaxRequests: max, workerMaxRequestsJitter: jitter } = this.config;
    const budget = max === undefined ? undefined : max + randomInt(0, jitter + 1);
    const handle = this.fork({ [WORKER_SLOT_ENV]: String(index) });
    const worker = new ManagedWorker(handle, index, budget, this.clock);
    this.workers.set(worker.id, worker);
    this.emit('workers-changed');
    handle.onMessage((message) => this.onMessage(worker, message));
    handle.onError((error) =>
      this.logger.warn({ slot: index, workerPid: worker.pid, err: error }, 'worker channel error'),
    );
    void worker.exited.then((exit) => this.reap(worker, exit));
    this.logger.info({ slot: index, workerPid: worker.pid, workerId: worker.id }, 'worker forked');
    return worker;
  }

  private onMessage(worker: ManagedWorker, message: unknown): void {
    if (!isWorkerMessage(message)) return;
    switch (message.type) {
      case 'ready':
        if (worker.ready()) {
          this.emit('workers-changed');
          const slot = this.slot(worker.slot);
          slot.history = { ...slot.history, bootFailures: 0 };
          this.logger.info({ slot: worker.slot, workerPid: worker.pid }, 'worker ready');
        }
        return;
      case 'boot-failed':
        worker.bootFailed(`${message.code}: ${message.message}`);
        return;
      case 'heartbeat': {
        const previous = worker.heartbeat;
        worker.heartbeatReceived(message);
        this.emit('heartbeat', worker.slot, message, previous);
        return;
      }
    }
  }

  private reap(worker: ManagedWorker, exit: WorkerExit): void {
    this.workers.delete(worker.id);
    this.emit('workers-changed');
    const log = {
      slot: worker.slot,
      workerPid: worker.pid,
      code: exit.code,
      signal: exit.signal,
      ...(exit.strandedConnections && { strandedConnectionsClosed: exit.strandedConnections }),
    };
    if (worker.stopReason !== null) {
      this.logger.info({ ...log, reason: worker.stopReason }, 'worker exited as asked');
      return;
    }
    if (this.shuttingDown) return;

    const slot = this.slot(worker.slot);
    const spawnFailed = exit.spawnError !== undefined;
    const decision = decideRestart(this.config, slot.history, {
      readyForMs: worker.readyForMs(),
      spawnFailed,
    });
    slot.history = decision.history;
    const why = worker.bootFailure ?? worker.killReason ?? 'exited unexpectedly';
    if (spawnFailed) {
      // The fork started no process: no worker died, so no restart is counted.
      this.logger.error(
        { slot: worker.slot, code: exit.spawnError, delayMs: decision.delayMs },
        'could not start a worker process; retrying',
      );
    } else {
      const reason = worker.killReason === null ? 'crash' : 'hung';
      this.countRestart(worker.slot, reason);
      this.logger.error({ ...log, reason, why }, 'worker died');
    }

    // A replacement may already hold the slot (reload, recycle), or it is above the target.
    if (!this.vacant(worker.slot)) return;
    if (decision.giveUp) {
      this.logger.fatal(
        { slot: worker.slot, bootFailures: decision.history.bootFailures, lastError: why },
        `workers keep failing at boot (${decision.history.bootFailures} times in a row in slot ${worker.slot}; last: ${why}); giving up`,
      );
      void this.shutdown(1);
      return;
    }
    if (decision.delayMs > 0 && !spawnFailed) {
      this.logger.warn(
        { slot: worker.slot, delayMs: decision.delayMs },
        'backing off before restarting slot',
      );
    }
    slot.notBefore = this.clock.now() + decision.delayMs;
    this.reconcile();
  }

  private countRestart(index: number, reason: RestartReason): void {
    this.slot(index).restarts += 1;
    this.emit('restart', index, reason);
  }

  /** Murder and recycle: the watchdog's pass, every checkPeriodMs. */
  private check(): void {
    // Running much later than checkPeriodMs means the manager itself was stalled (SIGSTOP, a VM
    // pause, a debugger, a GC storm): the workers' heartbeats of that time are still unread in
    // the pipe, so the stall must not count as their silence.
    const tick = this.clock.now();
    const lateMs = tick - this.lastCheckAt - this.checkPeriodMs;
    this.lastCheckAt = tick;
    if (lateMs > Math.max(STALL_MIN_MS, this.config.heartbeatIntervalMs)) {
      for (const worker of this.workers.values()) worker.excuse(lateMs);
      this.logger.warn(
        { stalledMs: Math.round(lateMs) },
        'manager was stalled; that time is not counted as worker silence',
      );
      this.emit('stall', lateMs);
    }
    for (const worker of this.workers.values()) {
      if (worker.stopReason !== null || worker.killReason !== null) continue;
      const verdict = judge(worker, this.config);
      if (verdict === null) continue;
      const log = { slot: worker.slot, workerPid: worker.pid };
      if (verdict.reason === 'hung') {
        // What it was doing, if its stack watchdog could tell (never waited for).
        const report = worker.stallReport;
        this.logger.error(
          {
            ...log,
            silentForMs: Math.round(worker.silentForMs()),
            stack: report?.frames ?? null,
            stackNote: report ? report.note : NO_STACK_REPORT,
          },
          'worker sent no heartbeat within WORKER_TIMEOUT_MS; killing it',
        );
        worker.killFor('hung');
      } else if (verdict.reason === 'boot_timeout') {
        this.logger.error(log, 'worker not ready within WORKER_TIMEOUT_MS; killing it');
        worker.killFor('boot_timeout');
      } else if (this.slot(worker.slot).replacing === null) {
        const beat = worker.heartbeat!;
        this.logger[verdict.reason === 'memory' ? 'warn' : 'info'](
          {
            ...log,
            reason: verdict.reason,
            rss: beat.residentMemoryBytes,
            served: beat.requestsServed,
          },
          verdict.reason === 'memory'
            ? 'recycling: over WORKER_MAX_RSS_MB'
            : 'recycling: request budget spent',
        );
        void this.replace(worker.slot, verdict.reason);
      }
    }
  }

  /**
   * Forks a new worker into `slot`, waits until it is ready, then drains the old one: the slot
   * never goes without a ready worker. Replacements of one slot run one after another.
   * Resolves false when the new worker failed to start (the old one keeps serving).
   */
  replace(index: number, reason: ReplaceReason): Promise<boolean> {
    const slot = this.slot(index);
    const run = (slot.replacing ?? Promise.resolve(true)).then(() =>
      this.replaceNow(index, reason),
    );
    slot.replacing = run;
    void run.finally(() => {
      if (slot.replacing === run) slot.replacing = null;
    });
    return run;
  }

  private async replaceNow(index: number, reason: ReplaceReason): Promise<boolean> {
    if (this.shuttingDown || index >= this.desired) return false;
    const old = this.occupant(index);
    const fresh = this.spawn(index);
    if (!(await fresh.readyOrGone)) {
      this.logger.error(
        {
          slot: index,
          reason,
          why: fresh.bootFailure ?? fresh.killReason ?? 'exited before ready',
        },
        'replacement worker failed to start; the old worker keeps serving',
      );
      return false;
    }
    if (old) {
      this.countRestart(index, reason);
      await this.stopWorker(old, reason);
    }
    return true;
  }

  /** Asks a worker to drain and exit; kills it if it has not exited after the shutdown timeout. */
  async stopWorker(worker: ManagedWorker, reason: StopReason): Promise<void> {
    const timeoutMs = this.config.shutdownTimeoutMs;
    if (worker.stop(reason, timeoutMs)) {
      this.emit('workers-changed');
      // The worker gives up its own drain at timeoutMs; this is the backstop if it cannot.
      const backstop = this.clock.after(timeoutMs + BACKSTOP_GRACE_MS, () => {
        this.logger.warn(
          { slot: worker.slot, workerPid: worker.pid },
          'worker did not exit in time; killing it',
        );
        worker.forceKill();
      });
      void worker.exited.then(() => backstop.cancel());
    }
    await worker.exited;
  }

  /** Rolling reload, one slot at a time. A reload asked for mid-reload runs once more after. */
  reload(): Promise<void> {
    if (this.shuttingDown) return Promise.resolve();
    if (this.reloadRun) {
      this.reloadAgain = true;
      return this.reloadRun;
    }
    this.logger.info({ workers: this.desired }, 'rolling reload started');
    this.reloadRun = (async () => {
      do {
        this.reloadAgain = false;
        for (let index = 0; index < this.desired && !this.shuttingDown; index += 1) {
          if (!(await this.replace(index, 'reload'))) {
            this.logger.error(
              { slot: index },
              'rolling reload aborted; remaining workers left as they are',
            );
            return;
          }
        }
      } while (this.reloadAgain && !this.shuttingDown);
      this.logger.info('rolling reload finished');
    })().finally(() => {
      this.reloadRun = null;
    });
    return this.reloadRun;
  }

  scaleTo(target: number): void {
    if (this.shuttingDown || target === this.desired) return;
    this.logger.info({ from: this.desired, to: target }, 'scaling');
    this.desired = target;
    this.reconcile();
  }

  /** Drains every worker (forced after the shutdown timeout), then resolves. Idempotent. */
  shutdown(exitCode = 0): Promise<void> {
    this.exitCode = Math.max(this.exitCode, exitCode);
    if (this.shutdownRun) return this.shutdownRun;
    this.watchdog?.cancel();
    for (const slot of this.slots.values()) slot.wake?.cancel();
    this.logger.info({ workers: this.workers.size }, 'shutting down: draining workers');
    this.shutdownGate.resolve();
    this.shutdownRun = Promise.all(this.list().map((w) => this.stopWorker(w, 'shutdown'))).then(
      () => this.logger.info('all workers gone'),
    );
    return this.shutdownRun;
  }

  killAll(): void {
    for (const worker of this.workers.values()) worker.forceKill();
  }
}
