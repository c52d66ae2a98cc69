// The words of a worker's life as the manager tells it: the states it passes through, why it is
// stopped, why it is killed, and why its slot counts a restart. One file, so every log line,
// metric label and status field draws from the same vocabulary.
import type { StopReason } from '../../protocol.js';

/** starting (forked, not ready) -> ready (serving) -> stopping (asked to leave, or killed). */
export const WORKER_STATES = ['starting', 'ready', 'stopping'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

/** A worker as the supervisor announces it to the metrics thread. */
export interface WorkerRef {
  id: number;
  slot: number;
  state: WorkerState;
}

/** Why the manager killed a worker without asking: it misbehaved. */
export type KillReason = 'hung' | 'boot_timeout';

/** Why a slot's worker was replaced or removed: the `reason` label of the restarts counter. */
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
