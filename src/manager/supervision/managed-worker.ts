// The manager's view of one forked worker: its slot, its lifecycle state and the evidence behind
// it (heartbeats, stall reports, how it left). Its fields are for reading; only the named
// transitions below (ready, heartbeat, stop, kill, boot failure, excuse) change them, like Puma's
// WorkerHandle.
import type { HeartbeatMessage, ManagerMessage, StallReport, StopReason } from '../../protocol.js';
import type { Clock } from './clock.js';
import type { WorkerExit, WorkerHandle } from './fork-worker.js';
import type { KillReason, WorkerState, WorkerStatus } from './lifecycle.js';

export class ManagedWorker {
  readonly id: number;
  readonly pid: number;
  readonly exited: Promise<WorkerExit>;
  state: WorkerState = 'starting';
  /** Set when the manager asked this worker to leave: its exit is expected. */
  stopReason: StopReason | null = null;
  /** Set when the manager killed this worker for misbehaving. */
  killReason: KillReason | null = null;
  /** Why the worker said it could not boot, if it did. */
  bootFailure: string | null = null;
  heartbeat: HeartbeatMessage | null = null;
  /** Wall clock, for people: when the worker was forked, became ready, last beat. */
  readonly startedAt: number;
  private readyAt: number | null = null;
  lastHeartbeatAt: number | null = null;
  /** Monotonic clock: ready time (uptime), and the hang and boot clocks (see excuse()). */
  private readyMonoAt: number | null = null;
  private silentSince: number;
  private bootClockSince: number;
  /** The stack watchdog's report on the current silence, if it sent one since the last beat. */
  stallReport: StallReport | null = null;
  /** true once the worker reported ready; false if it exited first. */
  readonly readyOrGone: Promise<boolean>;
  private resolveReady: (ready: boolean) => void = () => undefined;

  constructor(
    private readonly handle: WorkerHandle,
    readonly slot: number,
    /** WORKER_MAX_REQUESTS plus this worker's jitter; recycled when it serves this many. */
    readonly maxRequests: number | undefined,
    private readonly clock: Clock,
  ) {
    this.id = handle.id;
    this.pid = handle.pid;
    this.exited = handle.exited;
    this.startedAt = clock.wallNow();
    this.silentSince = clock.now();
    this.bootClockSince = this.silentSince;
    handle.onStallReport((report) => (this.stallReport = report));
    this.readyOrGone = new Promise<boolean>((resolve) => (this.resolveReady = resolve));
    void handle.exited.then(() => this.resolveReady(false));
  }

  /** How long the worker has been ready, ms; null if it never was. */
  readyForMs(): number | null {
    return this.readyMonoAt === null ? null : this.clock.now() - this.readyMonoAt;
  }

  /** The worker said it serves. Only a starting worker becomes ready. */
  ready(): boolean {
    if (this.state !== 'starting') return false;
    this.state = 'ready';
    this.readyAt = this.clock.wallNow();
    this.readyMonoAt = this.clock.now();
    this.resolveReady(true);
    return true;
  }

  heartbeatReceived(message: HeartbeatMessage): void {
    this.heartbeat = message;
    this.lastHeartbeatAt = this.clock.wallNow();
    this.silentSince = this.clock.now();
    this.stallReport = null;
  }

  /** The worker said it cannot start (e.g. EADDRINUSE); it exits right after. */
  bootFailed(why: string): void {
    this.bootFailure = why;
  }

  /**
   * Asks the worker to drain and exit. A worker still booting may not listen for IPC yet; its
   * SIGTERM handler (or Node's default action, before it has one) ends it just as well, with
   * nothing to drain. False if it was already stopping.
   */
  stop(reason: StopReason, timeoutMs: number): boolean {
    if (this.stopReason !== null) return false;
    const wasStarting = this.state === 'starting';
    this.stopReason = reason;
    this.state = 'stopping';
    if (wasStarting || !this.handle.send({ type: 'drain', reason, timeoutMs })) {
      this.handle.kill('SIGTERM');
    }
    return true;
  }

  /** Kills the worker for misbehaving: it did not beat, or did not boot, in time. */
  killFor(reason: KillReason): void {
    this.killReason ??= reason;
    this.handle.kill('SIGKILL');
  }

  /** Ends the worker now, whatever it was doing (a drain that overran, a second Ctrl-C). */
  forceKill(): void {
    this.handle.kill('SIGKILL');
  }

  /**
   * The manager itself was stalled for `ms` (stopped, paused, starved): heartbeats sent meanwhile
   * are still in the pipe, so that time is not this worker's silence, nor its boot time.
   */
  excuse(ms: number): void {
    const now = this.clock.now();
    this.silentSince = Math.min(now, this.silentSince + ms);
    this.bootClockSince = Math.min(now, this.bootClockSince + ms);
  }

  /** Sends a control message if the channel is open. */
  send(message: ManagerMessage): boolean {
    return this.handle.send(message);
  }

  /** The age of the newest sign of life (a heartbeat, or the fork before the first one), in ms. */
  silentForMs(): number {
    return this.clock.now() - this.silentSince;
  }

  /** How long this worker has been booting, in ms. */
  bootingForMs(): number {
    return this.clock.now() - this.bootClockSince;
  }

  toStatus(restarts: number, now: number): WorkerStatus {
    const beat = this.heartbeat;
    return {
      slot: this.slot,
      pid: this.pid,
      id: this.id,
      state: this.state,
      restarts,
      startedAt: new Date(this.startedAt).toISOString(),
      readyAt: this.readyAt === null ? null : new Date(this.readyAt).toISOString(),
      heartbeatAgeSeconds:
        this.lastHeartbeatAt === null ? null : (now - this.lastHeartbeatAt) / 1000,
      requestsServed: beat?.requestsServed ?? 0,
      requestsInFlight: beat?.requestsInFlight ?? 0,
      residentMemoryBytes: beat?.residentMemoryBytes ?? null,
      eventLoopDelayP99Seconds: beat?.eventLoopDelayP99Seconds ?? null,
    };
  }
}
