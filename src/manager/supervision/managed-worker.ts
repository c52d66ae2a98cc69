// The manager's view of one forked worker: its slot, state and the evidence behind it. Its fields
// are for reading; only the named transitions below change them, like Puma's WorkerHandle.
import type { HeartbeatMessage, ManagerMessage, StallReport, StopReason } from '../../protocol.js';
import type { Clock } from './clock.js';
import type { WorkerExit, WorkerHandle } from './fork-worker.js';
import type { KillReason, WorkerState, WorkerStatus } from './lifecycle.js';

export class ManagedWorker {
  readonly id: number;
  readonly pid: number;
  readonly exited: Promise<WorkerExit>;
  state: WorkerState = 'starting';
  /** Set when the manager asked it to leave: its exit is expected. */
  stopReason: StopReason | null = null;
  killReason: KillReason | null = null;
  bootFailure: string | null = null;
  heartbeat: HeartbeatMessage | null = null;
  /** Wall clock, for people. */
  readonly startedAt: number;
  private readyAt: number | null = null;
  lastHeartbeatAt: number | null = null;
  /** Monotonic clock; excuse() moves the last two. */
  private readyMonoAt: number | null = null;
  private silentSince: number;
  private bootClockSince: number;
  /** The stack watchdog's report on the current silence. */
  stallReport: StallReport | null = null;
  private readonly readyGate = Promise.withResolvers<boolean>();
  /** False if it exited before ready. */
  readonly readyOrGone = this.readyGate.promise;

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
    void handle.exited.then(() => this.readyGate.resolve(false));
  }

  readyForMs(): number | null {
    return this.readyMonoAt === null ? null : this.clock.now() - this.readyMonoAt;
  }

  /** Only a starting worker becomes ready. */
  ready(): boolean {
    if (this.state !== 'starting') return false;
    this.state = 'ready';
    this.readyAt = this.clock.wallNow();
    this.readyMonoAt = this.clock.now();
    this.readyGate.resolve(true);
    return true;
  }

  heartbeatReceived(message: HeartbeatMessage): void {
    this.heartbeat = message;
    this.lastHeartbeatAt = this.clock.wallNow();
    this.silentSince = this.clock.now();
    this.stallReport = null;
  }

  /** It said it cannot start (e.g. EADDRINUSE); it exits right after. */
  bootFailed(why: string): void {
    this.bootFailure = why;
  }

  /**
   * False if it was already stopping. A worker still booting may not listen for IPC yet; SIGTERM
   * (its handler, or Node's default action) ends it just as well, with nothing to drain.
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

  killFor(reason: KillReason): void {
    this.killReason ??= reason;
    this.handle.kill('SIGKILL');
  }

  /** A drain that overran, a second Ctrl-C. */
  forceKill(): void {
    this.handle.kill('SIGKILL');
  }

  /** The manager itself stalled for `ms`: beats sent meanwhile are still in the pipe. */
  excuse(ms: number): void {
    const now = this.clock.now();
    this.silentSince = Math.min(now, this.silentSince + ms);
    this.bootClockSince = Math.min(now, this.bootClockSince + ms);
  }

  send(message: ManagerMessage): boolean {
    return this.handle.send(message);
  }

  /** Since the newest sign of life (a heartbeat, or the fork before the first one). */
  silentForMs(): number {
    return this.clock.now() - this.silentSince;
  }

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
