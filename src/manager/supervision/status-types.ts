// The JSON shape of the manager's GET /status (a public contract: tests and operators read it).
import type { WorkerState } from './lifecycle.js';

export interface WorkerStatus {
  slot: number;
  pid: number;
  /** cluster's worker id: unique for the manager's lifetime, unlike slot and pid. */
  id: number;
  state: WorkerState;
  /** Replacements of this slot since the manager started, for any reason. */
  restarts: number;
  startedAt: string;
  readyAt: string | null;
  /** Seconds since the last heartbeat, null before the first one. */
  heartbeatAgeSeconds: number | null;
  requestsServed: number;
  requestsInFlight: number;
  residentMemoryBytes: number | null;
  eventLoopDelayP99Seconds: number | null;
}

export interface StatusResponse {
  manager: {
    pid: number;
    version: string;
    startedAt: string;
    uptimeSeconds: number;
    desiredWorkers: number;
    readyWorkers: number;
    reloading: boolean;
    shuttingDown: boolean;
  };
  workers: WorkerStatus[];
}
