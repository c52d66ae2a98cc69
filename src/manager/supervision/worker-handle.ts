// A forked worker process as the supervisor needs it, and nothing more: who it is, how to talk
// to it and signal it, what it says, and when it is gone. The real one wraps node:cluster
// (fork-worker.ts); the supervisor's unit tests use stand-ins.
import type { ManagerMessage, StallReport } from '../../protocol.js';
import type { WorkerExit } from './lifecycle.js';

export interface WorkerHandle {
  /** cluster's worker id: unique for the manager's lifetime. */
  readonly id: number;
  readonly pid: number;
  /** False when the message cannot be delivered (the channel is closed). */
  send(message: ManagerMessage): boolean;
  kill(signal: NodeJS.Signals): void;
  /** Everything the worker sends over IPC, unchecked. */
  onMessage(listener: (message: unknown) => void): void;
  /** Errors of the IPC channel (e.g. a send to a worker that just died). */
  onError(listener: (error: Error) => void): void;
  /** Reports from the worker's stack watchdog, if it has one. */
  onStallReport(listener: (report: StallReport) => void): void;
  /** Settles once the process has exited and its channel has delivered all it will. */
  readonly exited: Promise<WorkerExit>;
}

/** Forks a worker for a slot, with these extra environment variables. */
export type ForkWorker = (env: Record<string, string>) => WorkerHandle;
