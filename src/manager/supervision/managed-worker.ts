// The manager's view of one forked worker: its slot, its lifecycle state and the evidence behind
// it (heartbeats, stall reports, how it left). State changes only through the named transitions
// below (ready, heartbeat, stop, kill, boot failure, excuse), like Puma's WorkerHandle; everything
// else reads.
import type { HeartbeatMessage, ManagerMessage, StallReport } from '../../protocol.js';
import type { Clock } from './clock.js';
import type { KillReason, StopReason, WorkerExit, WorkerState } from './lifecycle.js';
import type { WorkerStatus } from './status-types.js';
import type { WorkerHandle } from './worker-handle.js';

export class ManagedWorker {
  private currentState: WorkerState = 'starting';
  private stoppedFor: StopReason | null = null;
  private killedFor: KillReason | null = null;
  private bootError: string | null = null;
  private lastBeat: HeartbeatMessage | null = null;
  /** Wall clock, for people: when the worker was forked, became ready, last beat. */
  readonly startedAt: number;
  private readyWallAt: number | null = null;
  private lastBeatWallAt: number | null = null;
  /** Monotonic clock: ready time (uptime), and the hang and boot clocks (see excuse()). */
  private readyMonoAt: number | null = null;
  private silentSince: number;
  private bootClockSince: number;
  private heardAt: number;
  private lastStallReport: { report: StallReport; at: number } | null = null;
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
    this.startedAt = clock.wallNow();
    this.silentSince = clock.now();
    this.bootClockSince = this.silentSince;
    this.heardAt = this.silentSince;
    handle.onStallReport((report) => {
      this.lastStallReport = { report, at: this.clock.now() };
    });
    this.readyOrGone = new Promise<boolean>((resolve) => (this.resolveReady = resolve));
    void handle.exited.then(() => this.resolveReady(false));
  }

  get id(): number {
    return this.handle.id;
  }

  get pid(): number {
    return this.handle.pid;
  }

  get exited(): Promise<WorkerExit> {
    return this.handle.exited;
  }

  get state(): WorkerState {
    return this.currentState;
  }

  /** Set when the manager asked this worker to leave: its exit is expected. */
  get stopReason(): StopReason | null {
    return this.stoppedFor;
  }

  /** Set when the manager killed this worker for misbehaving. */
  get killReason(): KillReason | null {
    return this.killedFor;
  }

  /** Why the worker said it could not boot, if it did. */
  get bootFailure(): string | null {
    return this.bootError;
  }

  get heartbeat(): HeartbeatMessage | null {
    return this.lastBeat;
  }

  /** Wall-clock ms of the last heartbeat, null before the first. */
  get lastHeartbeatAt(): number | null {
    return this.lastBeatWallAt;
  }

  /** How long the worker has been ready, ms; null if it never was. */
  readyForMs(): number | null {
    return this.readyMonoAt === null ? null : this.clock.now() - this.readyMonoAt;
  }

  // ---- transitions ----------------------------------------------------------------------

  /** The worker said it serves. Only a starting worker becomes ready. */
  ready(): boolean {
    if (this.currentState !== 'starting') return false;
    this.currentState = 'ready';
    this.readyWallAt = this.clock.wallNow();
    this.readyMonoAt = this.clock.now();
    this.resolveReady(true);
    return true;
  }

  heartbeatReceived(message: HeartbeatMessage): void {
    this.lastBeat = message;
    this.lastBeatWallAt = this.clock.wallNow();
    this.silentSince = this.clock.now();
    this.heardAt = this.silentSince;
  }

  /** The worker said it cannot start (e.g. EADDRINUSE); it exits right after. */
  bootFailed(why: string): void {
    this.bootError = why;
  }

  /**
   * Asks the worker to drain and exit. A worker still booting may not listen for IPC yet; its
   * SIGTERM handler (or Node's default action, before it has one) ends it just as well, with
   * nothing to drain. False if it was already stopping.
   */
  stop(reason: StopReason, timeoutMs: number): boolean {
    if (this.stoppedFor !== null) return false;
    const wasStarting = this.currentState === 'starting';
    this.stoppedFor = reason;
    this.currentState = 'stopping';
    if (wasStarting || !this.handle.send({ type: 'drain', reason, timeoutMs })) {
      this.handle.kill('SIGTERM');
    }
    return true;
  }

  /** Kills the worker for misbehaving: it did not beat, or did not boot, in time. */
  killFor(reason: KillReason): void {
    this.killedFor ??= reason;
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

  // ---- reads ----------------------------------------------------------------------------

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

  /** The stack watchdog's report on the current silence, if it sent one since the last beat. */
  stallReport(): StallReport | null {
    const last = this.lastStallReport;
    return last !== null && last.at > this.heardAt ? last.report : null;
  }

  toStatus(restarts: number, now: number): WorkerStatus {
    const beat = this.lastBeat;
    return {
      slot: this.slot,
      pid: this.pid,
      id: this.id,
      state: this.currentState,
      restarts,
      startedAt: new Date(this.startedAt).toISOString(),
      readyAt: this.readyWallAt === null ? null : new Date(this.readyWallAt).toISOString(),
      heartbeatAgeSeconds: this.lastBeatWallAt === null ? null : (now - this.lastBeatWallAt) / 1000,
      requestsServed: beat?.requestsServed ?? 0,
      requestsInFlight: beat?.requestsInFlight ?? 0,
      residentMemoryBytes: beat?.residentMemoryBytes ?? null,
      eventLoopDelayP99Seconds: beat?.eventLoopDelayP99Seconds ?? null,
    };
  }
}
