// A saturated worker answers the API with 503 and Retry-After at once instead of queueing work it
// cannot finish in time. Limits, each off at 0: event-loop delay (event-loop-stall.ts), requests
// in flight, pool tasks queued beyond libuv's threads (cost-blind: any queued task waits for a
// whole one). A shed answer closes, so the retry reaches another worker.
import type { Config } from '../config.js';
import { rateLimitedLog, type Logger } from '../logger.js';
import type { ShedMetrics, ShedReason } from '../metrics/shed-metrics.js';
import { watchEventLoop } from './event-loop-stall.js';
import { overloaded, type HttpError } from '../http-errors.js';

export type SheddingLimits = Pick<
  Config,
  'shedEventLoopDelayMs' | 'shedMaxInFlight' | 'shedMaxPoolQueue' | 'shedRetryAfterSeconds'
>;

export interface LoadShedder {
  /** Throws a 503 HttpError when the worker is saturated; call first in every API handler. */
  admit(): void;
  /** Runs a thread-pool task, or throws a 503 when the pool's queue is full. */
  onPool<T>(task: () => Promise<T>): Promise<T>;
  stop(): void;
}

interface SheddingDeps {
  /** Requests this worker is serving, the one being admitted included. */
  inFlight: () => number;
  metrics?: ShedMetrics;
  logger: Logger;
}

/** The app without a shedder (tests, the benchmark's baselines): everything is admitted. */
export const NO_SHEDDING: LoadShedder = { admit() {}, onPool: (task) => task(), stop() {} };

/** libuv's pool size: UV_THREADPOOL_SIZE (read by libuv at first use, clamped to 1..1024), else 4. */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const size = Number.parseInt(env.UV_THREADPOOL_SIZE ?? '', 10);
  return Number.isFinite(size) && size > 0 ? Math.min(size, 1024) : 4;
}

export function createLoadShedder(limits: SheddingLimits, deps: SheddingDeps): LoadShedder {
  const loop =
    limits.shedEventLoopDelayMs > 0 ? watchEventLoop(limits.shedEventLoopDelayMs) : undefined;
  const poolSize = threadPoolSize();
  let poolTasks = 0;
  const log = rateLimitedLog((shed: number, reason: ShedReason) =>
    deps.logger.warn(
      {
        reason,
        shed,
        eventLoopDelayMs: Math.round(loop?.delayMs() ?? 0),
        inFlight: deps.inFlight(),
        poolQueue: Math.max(0, poolTasks - poolSize),
        limits,
      },
      'worker saturated: shedding requests with 503',
    ),
  );

  const shed = (reason: ShedReason): HttpError => {
    deps.metrics?.shed(reason);
    log(reason);
    return overloaded(limits.shedRetryAfterSeconds);
  };

  return {
    admit() {
      if (loop?.stalled()) throw shed('event_loop_delay');
      if (limits.shedMaxInFlight > 0 && deps.inFlight() > limits.shedMaxInFlight)
        throw shed('in_flight');
    },
    async onPool(task) {
      if (limits.shedMaxPoolQueue > 0 && poolTasks + 1 - poolSize > limits.shedMaxPoolQueue) {
        throw shed('pool_queue');
      }
      poolTasks += 1;
      try {
        return await task();
      } finally {
        poolTasks -= 1;
      }
    },
    stop: () => loop?.stop(),
  };
}
