// The words of a worker's life as the manager tells it: its states, why it is stopped, killed or
// restarted, and GET /status's shape. One file, so every log line, metric label and status field
// draws from the same vocabulary.
import type { StopReason } from '../../protocol.js';

/** starting (forked, not ready) -> ready (serving) -> stopping (asked to leave, or killed). */
export const WORKER_STATES = ['starting', 'ready', 'stopping'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

/** As the supervisor announces it to the metrics thread. */
export interface WorkerRef {
  id: number;
  slot: number;
  state: WorkerState;
}

/** Why the manager killed a worker without asking: it misbehaved. */
export type KillReason = 'hung' | 'boot_timeout';

/** The `reason` label of the restarts counter. */
export const RESTART_REASONS = [
  'crash',
  'hung',
  'memory',
  'max_requests',
  'reload',
  'scale',
] as const;
export type RestartReason = (typeof RESTART_REASONS)[number];

/** A replacement the supervisor starts on its own: its stop reason is also a restart reason. */
export type ReplaceReason = StopReason & RestartReason;

/** GET /status: a public contract (tests and operators read it). */
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
