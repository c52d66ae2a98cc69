// A forked worker as the supervisor needs it (its unit tests use stand-ins), and the real one: a
// node:cluster worker with one pipe more (descriptor 4) for its stack watchdog's reports, sent from
// a thread since the IPC channel belongs to the main thread: the one stuck when there is news.
import cluster, { type Worker } from 'node:cluster';
import type { Readable } from 'node:stream';
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { readJsonLines } from '../../json-lines.js';
import {
  isStallReport,
  WORKER_REPORT_FD_ENV,
  type ManagerMessage,
  type StallReport,
} from '../../protocol.js';
import { watchConnectionHandoffs } from './connection-handoffs.js';

export interface WorkerHandle {
  /** cluster's worker id: unique for the manager's lifetime. */
  readonly id: number;
  readonly pid: number;
  /** False when the channel is closed. */
  send(message: ManagerMessage): boolean;
  kill(signal: NodeJS.Signals): void;
  /** Unchecked. */
  onMessage(listener: (message: unknown) => void): void;
  onError(listener: (error: Error) => void): void;
  onStallReport(listener: (report: StallReport) => void): void;
  /** Settles once the process has exited and its channel has delivered all it will. */
  readonly exited: Promise<WorkerExit>;
}

export interface WorkerExit {
  code: number | null;
  signal: string | null;
  /** API connections handed to it that it never took, closed by the manager so clients retry. */
  strandedConnections?: number;
  /** The fork itself failed (EMFILE, EAGAIN, ENOMEM...): no process ever ran the worker's code. */
  spawnError?: string;
}

export type ForkWorker = (env: Record<string, string>) => WorkerHandle;

/** The report pipe's descriptor in the worker, and its index in ChildProcess.stdio here. */
const REPORT_FD = 4;

export const forkClusterWorker: ForkWorker = (env) => {
  // 0-2 shared with the manager, 3 cluster's IPC channel (its usual place), 4 the pipe.
  cluster.setupPrimary({ stdio: ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'] });
  const worker = cluster.fork({ ...env, [WORKER_REPORT_FD_ENV]: String(REPORT_FD) });
  const handoffs = watchConnectionHandoffs(worker.process);
  return {
    id: worker.id,
    pid: worker.process.pid ?? -1,
    // Once every message the worker sent before dying has been read: its acknowledgements too.
    exited: exitedAndDrained(worker).then((exit) => ({
      ...exit,
      strandedConnections: handoffs.closeUnacknowledged(),
    })),
    send(message) {
      if (!worker.isConnected()) return false;
      try {
        worker.send(message);
        return true;
      } catch {
        return false;
      }
    },
    kill(signal) {
      try {
        worker.process.kill(signal);
      } catch {
        // Already gone.
      }
    },
    onMessage: (listener) => void worker.on('message', listener),
    onError: (listener) => void worker.on('error', listener),
    onStallReport(listener) {
      // The parent's end of a 'pipe' is a duplex socket; only ever read here. None when the fork
      // started no process (EMFILE).
      const reports = worker.process.stdio?.[REPORT_FD] as Readable | null | undefined;
      if (reports) readStallReports(reports, listener);
    },
  };
};

/** A report longer than this is dropped whole. */
const MAX_REPORT_CHARS = 64 * 1024;

/** JSON lines, bounded; anything that is not a stall report is ignored. */
export function readStallReports(stream: Readable, onReport: (report: StallReport) => void): void {
  readJsonLines(stream, {
    maxLineChars: MAX_REPORT_CHARS,
    overlong: 'drop',
    accept: isStallReport,
    onMessage: onReport,
  });
  // The pipe breaks when the worker dies; there is nothing left to read then.
  stream.on('error', () => undefined);
}

/** The IPC channel's time to read its end after exit. Short: it delays the replacement. */
const DISCONNECT_GRACE_MS = 50;
const CHANNEL_POLL_MS = 2;

/**
 * Settles once the process has exited AND its IPC channel has delivered every message. Node can
 * miss 'disconnect' for good (a worker killed while handed a connection leaves the channel waiting
 * for an ack), but `isConnected()` turns false once it reads the pipe's end, after every message:
 * that is polled for a short grace, so no worker goes unreaped.
 */
async function exitedAndDrained(worker: Worker): Promise<WorkerExit> {
  const exit = await new Promise<WorkerExit>((resolve) => {
    worker.process.once('exit', (code, signal) => resolve({ code, signal }));
    // A fork that started no process (EMFILE, EAGAIN...) emits 'error' and never 'exit'.
    worker.process.once('error', (error: NodeJS.ErrnoException) => {
      if (worker.process.pid === undefined) {
        resolve({ code: null, signal: null, spawnError: error.code ?? error.message });
      }
    });
  });
  if (exit.spawnError !== undefined) return exit;
  // No need to listen for 'disconnect' as well: isConnected() turns false no later than it.
  const deadline = Date.now() + DISCONNECT_GRACE_MS;
  while (worker.isConnected() && Date.now() < deadline) await sleep(CHANNEL_POLL_MS);
  // After the grace, one more poll phase first, so whatever the dead worker wrote to the pipe is
  // read even if the event loop was busy for the whole grace.
  if (worker.isConnected()) await setImmediate();
  return exit;
}
