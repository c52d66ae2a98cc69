// The supervisor: one owner for the set of workers, in the spirit of gunicorn's arbiter. Named
// steps: spawn (fork into a slot), reap (a worker exited: restart it, back off, or give up),
// murder (kill workers that went silent or never booted), recycle (replace workers over their
// request or memory budget), replace (new worker ready before the old one drains: reload and
// recycling), scale and shut down.
import { randomInt } from 'node:crypto';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import {
  isWorkerMessage,
  WORKER_SLOT_ENV,
  type HeartbeatMessage,
  type StopReason,
} from '../protocol.js';
import { forkWorker } from './fork-worker.js';
import { ManagedWorker, type WorkerExit } from './managed-worker.js';
import { decideRestart, FRESH_HISTORY, type SlotHistory } from './restart-policy.js';
import type { StatusResponse } from './status-types.js';

/** Why a slot's worker was replaced or removed: the `reason` label of the restarts counter. */
export const RESTART_REASONS = [
  'crash',
  'hung',
  'memory',
  'max_requests',
  'reload',
  'scale',
] as const;
export type RestartReason = (typeof RESTART_REASONS)[number];

/** What the rest of the manager (metrics) wants to hear about. */
export interface SupervisorHooks {
  onHeartbeat(
    worker: ManagedWorker,
    message: HeartbeatMessage,
    previous: HeartbeatMessage | null,
  ): void;
  /** The worker has exited and every message it sent has been delivered. */
  onWorkerGone(worker: ManagedWorker): void;
  onRestart(slot: number, reason: RestartReason): void;
  /** The manager's own event loop stood still for `stalledMs` (see check()). */
  onManagerStall?(stalledMs: number): void;
}

const MIB = 1024 * 1024;
/** A watchdog check later than this (or a heartbeat interval, if longer) is a manager stall. */
const STALL_MIN_MS = 1_000;
const NO_STACK_REPORT =
  'no stack: the worker reported none (process stopped, or WORKER_STACK_WATCHDOG=false)';

export class Supervisor {
  private readonly workers = new Map<number, ManagedWorker>();
  private readonly history = new Map<number, SlotHistory>();
  private readonly restarts = new Map<number, number>();
  private readonly pendingSpawns = new Map<number, NodeJS.Timeout>();
  private readonly replacing = new Map<number, Promise<boolean>>();
  private desired: number;
  private watchdog: NodeJS.Timeout | undefined;
  private checkPeriodMs = 1000;
  private lastCheckAt = 0;
  private reloadRun: Promise<void> | null = null;
  private reloadAgain = false;
  private shutdownRun: Promise<void> | null = null;
  private announceShutdown: () => void = () => undefined;
  /** Settles when shutdown begins, whoever began it: a signal, a crash loop, a fatal error. */
  readonly shutdownBegun = new Promise<void>((resolve) => (this.announceShutdown = resolve));
  private readonly startedAt = Date.now();
  exitCode = 0;

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly hooks: SupervisorHooks,
    private readonly version: string,
  ) {
    this.desired = config.workers;
  }

  get shuttingDown(): boolean {
    return this.shutdownRun !== null;
  }

  get desiredWorkers(): number {
    return this.desired;
  }

  start(): void {
    for (let slot = 0; slot < this.desired; slot += 1) this.spawn(slot);
    this.checkPeriodMs = Math.max(
      25,
      Math.min(1000, Math.floor(this.config.heartbeatIntervalMs / 2)),
    );
    this.lastCheckAt = performance.now();
    this.watchdog = setInterval(() => this.check(), this.checkPeriodMs);
  }

  list(): ManagedWorker[] {
    return [...this.workers.values()].sort((a, b) => a.slot - b.slot || a.id - b.id);
  }

  restartsOf(slot: number): number {
    return this.restarts.get(slot) ?? 0;
  }

  status(): StatusResponse {
    const now = Date.now();
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

  // ---- spawn ---------------------------------------------------------------------------

  private spawn(slot: number): ManagedWorker {
    const { workerMaxRequests: max, workerMaxRequestsJitter: jitter } = this.config;
    const budget = max === undefined ? undefined : max + randomInt(0, jitter + 1);
    const worker = new ManagedWorker(forkWorker({ [WORKER_SLOT_ENV]: String(slot) }), slot, budget);
    this.workers.set(worker.id, worker);
    worker.worker.on('message', (message: unknown) => this.onMessage(worker, message));
    worker.worker.on('error', (error) =>
      this.logger.warn({ slot, workerPid: worker.pid, err: error }, 'worker channel error'),
    );
    void worker.exited.then((exit) => this.reap(worker, exit));
    this.logger.info({ slot, workerPid: worker.pid, workerId: worker.id }, 'worker forked');
    return worker;
  }

  private occupant(slot: number): ManagedWorker | undefined {
    return this.list().find((w) => w.slot === slot && w.stopReason === null);
  }

  private onMessage(worker: ManagedWorker, message: unknown): void {
    if (!isWorkerMessage(message)) return;
    const now = Date.now();
    switch (message.type) {
      case 'ready':
        worker.markReady(now);
        this.history.set(worker.slot, {
          ...(this.history.get(worker.slot) ?? FRESH_HISTORY),
          bootFailures: 0,
        });
        this.logger.info({ slot: worker.slot, workerPid: worker.pid }, 'worker ready');
        return;
      case 'boot-failed':
        worker.bootFailure = `${message.code}: ${message.message}`;
        return;
      case 'heartbeat': {
        const previous = worker.heartbeat;
        worker.noteHeartbeat(message, now);
        this.hooks.onHeartbeat(worker, message, previous);
        return;
      }
    }
  }

  // ---- reap ----------------------------------------------------------------------------

  private async reap(worker: ManagedWorker, exit: WorkerExit): Promise<void> {
    this.workers.delete(worker.id);
    this.hooks.onWorkerGone(worker);
    const { slot } = worker;
    const log = { slot, workerPid: worker.pid, code: exit.code, signal: exit.signal };
    if (worker.stopReason !== null) {
      this.logger.info({ ...log, reason: worker.stopReason }, 'worker exited as asked');
      return;
    }
    if (this.shuttingDown) return;

    const reason: RestartReason = worker.killReason === null ? 'crash' : 'hung';
    const now = Date.now();
    const decision = decideRestart(
      {
        backoffBaseMs: this.config.restartBackoffBaseMs,
        backoffMaxMs: this.config.restartBackoffMaxMs,
        crashLoopLimit: this.config.crashLoopLimit,
        minUptimeMs: this.config.workerMinUptimeMs,
      },
      this.history.get(slot) ?? FRESH_HISTORY,
      { readyForMs: worker.readyAt === null ? null : now - worker.readyAt },
    );
    this.history.set(slot, decision.history);
    this.countRestart(slot, reason);
    const why = worker.bootFailure ?? worker.killReason ?? 'exited unexpectedly';
    this.logger.error({ ...log, reason, why }, 'worker died');

    if (slot >= this.desired) return;
    if (this.occupant(slot)) return; // a replacement already holds the slot (reload, recycle)
    if (decision.giveUp) {
      this.logger.fatal(
        { slot, bootFailures: decision.history.bootFailures, lastError: why },
        `workers keep failing at boot (${decision.history.bootFailures} times in a row in slot ${slot}; last: ${why}); giving up`,
      );
      void this.shutdown(1);
      return;
    }
    this.scheduleSpawn(slot, decision.delayMs);
  }

  private scheduleSpawn(slot: number, delayMs: number): void {
    clearTimeout(this.pendingSpawns.get(slot));
    if (delayMs > 0) this.logger.warn({ slot, delayMs }, 'backing off before restarting slot');
    const timer = setTimeout(() => {
      this.pendingSpawns.delete(slot);
      if (this.shuttingDown || slot >= this.desired || this.occupant(slot)) return;
      this.spawn(slot);
    }, delayMs);
    this.pendingSpawns.set(slot, timer);
  }

  private countRestart(slot: number, reason: RestartReason): void {
    this.restarts.set(slot, this.restartsOf(slot) + 1);
    this.hooks.onRestart(slot, reason);
  }

  // ---- murder and recycle --------------------------------------------------------------

  private check(): void {
    const { workerTimeoutMs, workerMaxRssMb } = this.config;
    // This check runs every checkPeriodMs. Running much later than that means the manager itself
    // was stalled (SIGSTOP, a VM pause, a debugger, a GC storm): the workers' heartbeats of that
    // time are still unread in the pipe, so the stall must not count as their silence.
    const tick = performance.now();
    const lateMs = tick - this.lastCheckAt - this.checkPeriodMs;
    this.lastCheckAt = tick;
    if (lateMs > Math.max(STALL_MIN_MS, this.config.heartbeatIntervalMs)) {
      for (const worker of this.workers.values()) worker.excuse(lateMs);
      this.logger.warn(
        { stalledMs: Math.round(lateMs) },
        'manager was stalled; that time is not counted as worker silence',
      );
      this.hooks.onManagerStall?.(lateMs);
    }
    for (const worker of this.workers.values()) {
      if (worker.stopReason !== null || worker.killReason !== null) continue;
      const log = { slot: worker.slot, workerPid: worker.pid };
      if (worker.silentForMs() > workerTimeoutMs) {
        worker.killReason = 'hung';
        // What it was doing, if its stack watchdog could tell (never waited for).
        const report = worker.stallReport();
        this.logger.error(
          {
            ...log,
            silentForMs: Math.round(worker.silentForMs()),
            stack: report?.frames ?? null,
            stackNote: report ? report.note : NO_STACK_REPORT,
          },
          'worker sent no heartbeat within WORKER_TIMEOUT_MS; killing it',
        );
        worker.kill('SIGKILL');
      } else if (worker.state === 'starting' && worker.bootingForMs() > workerTimeoutMs) {
        worker.killReason = 'boot_timeout';
        this.logger.error(log, 'worker not ready within WORKER_TIMEOUT_MS; killing it');
        worker.kill('SIGKILL');
      } else if (worker.state === 'ready' && !this.replacing.has(worker.slot)) {
        const beat = worker.heartbeat;
        if (!beat) continue;
        if (workerMaxRssMb !== undefined && beat.residentMemoryBytes > workerMaxRssMb * MIB) {
          this.logger.warn(
            { ...log, rss: beat.residentMemoryBytes },
            'recycling: over WORKER_MAX_RSS_MB',
          );
          void this.replace(worker.slot, 'memory');
        } else if (worker.maxRequests !== undefined && beat.requestsServed >= worker.maxRequests) {
          this.logger.info(
            { ...log, served: beat.requestsServed },
            'recycling: request budget spent',
          );
          void this.replace(worker.slot, 'max_requests');
        }
      }
    }
  }

  // ---- replace -------------------------------------------------------------------------

  /**
   * Forks a new worker into `slot`, waits until it is ready, then drains the old one: the slot
   * never goes without a ready worker. Replacements of one slot run one after another.
   * Resolves false when the new worker failed to start (the old one keeps serving).
   */
  replace(slot: number, reason: StopReason & RestartReason): Promise<boolean> {
    const previous = this.replacing.get(slot) ?? Promise.resolve(true);
    const run = previous.then(() => this.replaceNow(slot, reason));
    this.replacing.set(slot, run);
    void run.finally(() => {
      if (this.replacing.get(slot) === run) this.replacing.delete(slot);
    });
    return run;
  }

  private async replaceNow(slot: number, reason: StopReason & RestartReason): Promise<boolean> {
    if (this.shuttingDown || slot >= this.desired) return false;
    const old = this.occupant(slot);
    const fresh = this.spawn(slot);
    if (!(await fresh.readyOrGone)) {
      this.logger.error(
        { slot, reason, why: fresh.bootFailure ?? fresh.killReason ?? 'exited before ready' },
        'replacement worker failed to start; the old worker keeps serving',
      );
      return false;
    }
    if (old) {
      this.countRestart(slot, reason);
      await this.stopWorker(old, reason);
    }
    return true;
  }

  /** Asks a worker to drain and exit; kills it if it has not exited after the shutdown timeout. */
  async stopWorker(worker: ManagedWorker, reason: StopReason): Promise<void> {
    if (worker.stopReason === null) {
      const wasStarting = worker.state === 'starting';
      worker.stopReason = reason;
      worker.state = 'stopping';
      const timeoutMs = this.config.shutdownTimeoutMs;
      // A worker still booting may not listen for IPC yet; its SIGTERM handler (or Node's
      // default action, before it has one) ends it just as well, with nothing to drain.
      if (wasStarting || !worker.send({ type: 'drain', reason, timeoutMs })) {
        worker.kill('SIGTERM');
      }
      // The worker gives up its own drain at timeoutMs; this is the backstop if it cannot.
      const backstop = setTimeout(() => {
        this.logger.warn(
          { slot: worker.slot, workerPid: worker.pid },
          'worker did not exit in time; killing it',
        );
        worker.kill('SIGKILL');
      }, timeoutMs + 2_000);
      void worker.exited.then(() => clearTimeout(backstop));
    }
    await worker.exited;
  }

  // ---- reload, scale, shutdown ---------------------------------------------------------

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
        for (let slot = 0; slot < this.desired && !this.shuttingDown; slot += 1) {
          if (!(await this.replace(slot, 'reload'))) {
            this.logger.error(
              { slot },
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

  get reloading(): boolean {
    return this.reloadRun !== null;
  }

  scaleTo(target: number): void {
    if (this.shuttingDown || target === this.desired) return;
    const before = this.desired;
    this.desired = target;
    this.logger.info({ from: before, to: target }, 'scaling');
    for (let slot = before; slot < target; slot += 1) {
      if (!this.occupant(slot)) this.spawn(slot);
    }
    for (const worker of this.list()) {
      if (worker.slot < target || worker.stopReason !== null) continue;
      this.countRestart(worker.slot, 'scale');
      void this.stopWorker(worker, 'scale');
    }
    for (const [slot, timer] of this.pendingSpawns) {
      if (slot >= target) {
        clearTimeout(timer);
        this.pendingSpawns.delete(slot);
      }
    }
  }

  /** Drains every worker (forced after the shutdown timeout), then resolves. Idempotent. */
  shutdown(exitCode = 0): Promise<void> {
    this.exitCode = Math.max(this.exitCode, exitCode);
    if (this.shutdownRun) return this.shutdownRun;
    clearInterval(this.watchdog);
    for (const timer of this.pendingSpawns.values()) clearTimeout(timer);
    this.pendingSpawns.clear();
    this.logger.info({ workers: this.workers.size }, 'shutting down: draining workers');
    this.announceShutdown();
    this.shutdownRun = Promise.all(this.list().map((w) => this.stopWorker(w, 'shutdown'))).then(
      () => this.logger.info('all workers gone'),
    );
    return this.shutdownRun;
  }
}
