// Forks a worker with one pipe more than Node's cluster gives it: descriptor 4, on which the
// worker's stack watchdog reports (a thread: the IPC channel belongs to the worker's main thread,
// the one that is stuck when there is something to report). ManagedWorker reads it.
import cluster, { type Worker } from 'node:cluster';
import { WORKER_REPORT_FD_ENV } from '../protocol.js';

/** The report pipe's descriptor in the worker, and its index in ChildProcess.stdio here. */
export const REPORT_FD = 4;

let configured = false;

export function forkWorker(env: Record<string, string>): Worker {
  if (!configured) {
    // 0-2 shared with the manager as before, 3 cluster's IPC channel (its usual place), 4 the pipe.
    cluster.setupPrimary({ stdio: ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'] });
    configured = true;
  }
  return cluster.fork({ ...env, [WORKER_REPORT_FD_ENV]: String(REPORT_FD) });
}
