// The real WorkerHandle: a node:cluster worker forked with one pipe more (descriptor 4) on which
// the worker's stack watchdog reports, from a thread, since the IPC channel belongs to the main
// thread: the one that is stuck when there is something to report.
import cluster, { type Worker } from 'node:cluster';
import type { Readable } from 'node:stream';
import { WORKER_REPORT_FD_ENV, type ManagerMessage, type StallReport } from '../../protocol.js';
import { watchConnectionHandoffs } from './connection-handoffs.js';
import type { WorkerExit } from './lifecycle.js';
import { readStallReports } from './stall-reports.js';
import type { ForkWorker, WorkerHandle } from './worker-handle.js';

/** The report pipe's descriptor in the worker, and its index in ChildProcess.stdio here. */
export const REPORT_FD = 4;

/**
 * How long after a worker's exit its IPC channel is waited for to read its end (see
 * exitedAndDrained): a bound for a channel that never does. Short: it delays the replacement.
 */
const DISCONNECT_GRACE_MS = 50;

let configured = false;

export const forkClusterWorker: ForkWorker = (env) => {
  if (!configured) {
    // 0-2 shared with the manager, 3 cluster's IPC channel (its usual place), 4 the pipe.
    cluster.setupPrimary({ stdio: ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'] });
    configured = true;
  }
  return new ClusterWorkerHandle(
    cluster.fork({ ...env, [WORKER_REPORT_FD_ENV]: String(REPORT_FD) }),
  );
};

class ClusterWorkerHandle implements WorkerHandle {
  readonly exited: Promise<WorkerExit>;

  constructor(private readonly worker: Worker) {
    const handoffs = watchConnectionHandoffs(worker.process);
    // Once every message the worker sent before dying has been read: its acknowledgements too.
    this.exited = exitedAndDrained(worker).then((exit) => ({
      ...exit,
      strandedConnections: handoffs.closeUnacknowledged(),
    }));
  }

  get id(): number {
    return this.worker.id;
  }

  get pid(): number {
    return this.worker.process.pid ?? -1;
  }

  send(message: ManagerMessage): boolean {
    if (!this.worker.isConnected()) return false;
    try {
      this.worker.send(message);
      return true;
    } catch {
      return false;
    }
  }

  kill(signal: NodeJS.Signals): void {
    try {
      this.worker.process.kill(signal);
    } catch {
      // Already gone.
    }
  }

  onMessage(listener: (message: unknown) => void): void {
    this.worker.on('message', listener);
  }

  onError(listener: (error: Error) => void): void {
    this.worker.on('error', listener);
  }

  onStallReport(listener: (report: StallReport) => void): void {
    // The parent's end of a 'pipe' is a duplex socket; only ever read here. None when the fork
    // started no process (EMFILE).
    const reports = this.worker.process.stdio?.[REPORT_FD] as Readable | null | undefined;
    if (reports) readStallReports(reports, listener);
  }
}

/** How often, within the grace, the channel is checked for having read its end. */
const CHANNEL_POLL_MS = 2;

/**
 * Settles once the process has exited AND its IPC channel has delivered every message, so all
 * it sent has been handled before anyone treats it as gone. Node can miss 'disconnect' for good
 * (a worker killed while handed a connection leaves the channel waiting for an ack), but marks
 * the channel disconnected (`isConnected()` false) once it reads the pipe's end, after every
 * message before it: that is polled here for a short grace, so no worker goes unreaped.
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
  await new Promise<void>((resolve) => {
    const deadline = Date.now() + DISCONNECT_GRACE_MS;
    const check = () => {
      if (!worker.isConnected()) return resolve();
      // After the grace, one more poll phase first (setImmediate), so whatever the dead worker
      // wrote to the pipe is read even if the event loop was busy for the whole grace.
      if (Date.now() >= deadline) return void setImmediate(resolve);
      setTimeout(check, CHANNEL_POLL_MS);
    };
    check();
  });
  return exit;
}
