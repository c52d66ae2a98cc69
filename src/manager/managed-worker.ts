// The manager's view of one forked worker: its slot, lifecycle state, last heartbeat, and a
// promise that settles once the process has exited AND its IPC channel has closed (so every
// message it sent, final metrics included, has been handled before anyone treats it as gone).
import type { Worker } from 'node:cluster';
import type { Readable } from 'node:stream';
import type { HeartbeatMessage, ManagerMessage, StallReport, StopReason } from '../protocol.js';
import { REPORT_FD } from './fork-worker.js';
import { readStallReports } from './stall-reports.js';
import type { WorkerState, WorkerStatus } from './status-types.js';

/** How long after a worker's exit its IPC 'disconnect' is waited for (see the constructor). */
const DISCONNECT_GRACE_MS = 1_000;

export type KillReason = 'hung' | 'boot_timeout';

export interface WorkerExit {
  code: number | null;
  signal: string | null;
}

export class ManagedWorker {
  state: WorkerState = 'starting';
  readonly startedAt = Date.now();
  readyAt: number | null = null;
  lastHeartbeatAt: number | null = null;
  heartbeat: HeartbeatMessage | null = null;
  /** Set when the manager asked this worker to leave: its exit is expected. */
  stopReason: StopReason | null = null;
  /** Set when the manager killed this worker for misbehaving. */
  killReason: KillReason | null = null;
  /** Why the worker said it could not boot, if it did. */
  bootFailure: string | null = null;
  /** WORKER_MAX_REQUESTS plus this worker's jitter; recycled when it serves this many. */
  readonly maxRequests: number | undefined;
  readonly exited: Promise<WorkerExit>;
  /** true once the worker reported ready; false if it exited first. */
  readonly readyOrGone: Promise<boolean>;
  private resolveReady: (ready: boolean) => void = () => undefined;
  // Hang and boot clocks run on the monotonic clock: a wall-clock step (NTP, a VM resume) is not
  // silence. Stall-excused time is taken off them (excuse()).
  private silentSince = performance.now();
  private bootClockSince = this.silentSince;
  private heardAt = this.silentSince;
  private lastStallReport: { report: StallReport; at: number } | null = null;

  constructor(
    readonly worker: Worker,
    readonly slot: number,
    maxRequests: number | undefined,
  ) {
    this.maxRequests = maxRequests;
    // The parent's end of a 'pipe' is a duplex socket; only ever read here.
    const reports = worker.process.stdio[REPORT_FD] as Readable | null | undefined;
    if (reports) {
      readStallReports(reports, (report) => {
        this.lastStallReport = { report, at: performance.now() };
      });
    }
    const exit = new Promise<WorkerExit>((resolve) =>
      worker.process.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const disconnect = new Promise<void>((resolve) => {
      if (!worker.isConnected()) return resolve();
      worker.once('disconnect', () => resolve());
    });
    // Node can miss 'disconnect' for good: a worker killed while the manager was handing it a
    // connection leaves its IPC channel waiting for an acknowledgement that never comes, and
    // the event never fires (Node 20's child_process postpones it until then). Once the process
    // has exited, the pipe has delivered all it ever will, so 'disconnect' is waited for only
    // briefly; without this a SIGKILLed worker could go unreaped, unreplaced, and block shutdown.
    this.exited = exit.then(async (result) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        disconnect,
        new Promise((resolve) => (timer = setTimeout(resolve, DISCONNECT_GRACE_MS))),
      ]);
      clearTimeout(timer);
      return result;
    });
    this.readyOrGone = new Promise<boolean>((resolve) => (this.resolveReady = resolve));
    void exit.then(() => this.resolveReady(false));
  }

  markReady(now: number): void {
    if (this.state !== 'starting') return;
    this.state = 'ready';
    this.readyAt = now;
    this.resolveReady(true);
  }

  get id(): number {
    return this.worker.id;
  }

  get pid(): number {
    return this.worker.process.pid ?? -1;
  }

  /** Sends if the channel is open; a closed channel means the worker is already leaving. */
  send(message: ManagerMessage): boolean {
    if (!this.worker.isConnected()) return false;
    try {
      this.worker.send(message);
      return true;
    } catch {
      return false;
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    try {
      this.worker.process.kill(signal);
    } catch {
      // Already gone.
    }
  }

  /** A heartbeat arrived (`now`: wall clock, for status and metrics). */
  noteHeartbeat(message: HeartbeatMessage, now: number): void {
    this.heartbeat = message;
    this.lastHeartbeatAt = now;
    this.silentSince = performance.now();
    this.heardAt = this.silentSince;
  }

  /** The stack watchdog's report on the current silence, if it sent one since the last beat. */
  stallReport(): StallReport | null {
    const last = this.lastStallReport;
    return last !== null && last.at > this.heardAt ? last.report : null;
  }

  /**
   * The manager itself was stalled for `ms` (stopped, paused, starved): heartbeats sent meanwhile
   * are still in the pipe, so that time is not this worker's silence, nor its boot time.
   */
  excuse(ms: number): void {
    const now = performance.now();
    this.silentSince = Math.min(now, this.silentSince + ms);
    this.bootClockSince = Math.min(now, this.bootClockSince + ms);
  }

  /** The age of the newest sign of life (a heartbeat, or the fork before the first one), in ms. */
  silentForMs(): number {
    return performance.now() - this.silentSince;
  }

  /** How long this worker has been booting, in ms. */
  bootingForMs(): number {
    return performance.now() - this.bootClockSince;
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
