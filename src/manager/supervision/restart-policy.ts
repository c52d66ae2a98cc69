// When to restart a worker that died, and when to give up: pure functions, unit-tested.
import type { Config } from '../../config.js';

/**
 * CRASH_LOOP_LIMIT: consecutive deaths before ready, in one slot with nothing else serving, that
 * end the manager. WORKER_MIN_UPTIME_MS: a worker that served less long died young.
 */
export type RestartPolicy = Pick<
  Config,
  'restartBackoffBaseMs' | 'restartBackoffMaxMs' | 'crashLoopLimit' | 'workerMinUptimeMs'
>;

export interface SlotHistory {
  /** Consecutive deaths before ready, or ready for less than workerMinUptimeMs. */
  youngDeaths: number;
  /** Consecutive deaths before ready. */
  bootFailures: number;
}

export interface Death {
  /** Null if it never became ready. */
  readyForMs: number | null;
  /** No process: backed off, but not a boot failure, so a lack of descriptors is no crash loop. */
  spawnFailed?: boolean;
}

export interface RestartDecision {
  history: SlotHistory;
  delayMs: number;
  /** Stop forking and exit non-zero. */
  giveUp: boolean;
}

/**
 * A worker that had been healthy for a while is replaced at once. One that keeps dying young is
 * replaced after base * 2^(n-1) ms, capped, so a crashing deploy does not spin the CPU; one that
 * never boots `crashLoopLimit` times in a row is a crash loop.
 */
export function decideRestart(
  policy: RestartPolicy,
  history: SlotHistory,
  death: Death,
): RestartDecision {
  const neverReady = death.readyForMs === null;
  const young = neverReady || (death.readyForMs ?? 0) < policy.workerMinUptimeMs;
  const next: SlotHistory = {
    youngDeaths: young ? history.youngDeaths + 1 : 0,
    bootFailures: death.spawnFailed
      ? history.bootFailures
      : neverReady
        ? history.bootFailures + 1
        : 0,
  };
  const delayMs =
    next.youngDeaths === 0
      ? 0
      : Math.min(
          policy.restartBackoffMaxMs,
          policy.restartBackoffBaseMs * 2 ** (next.youngDeaths - 1),
        );
  const giveUp = !death.spawnFailed && next.bootFailures >= policy.crashLoopLimit;
  return { history: next, delayMs, giveUp };
}

export const FRESH_HISTORY: SlotHistory = { youngDeaths: 0, bootFailures: 0 };
