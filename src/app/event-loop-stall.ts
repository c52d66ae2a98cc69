// Is this worker's event loop stalled by its own work right now, or was it just now? A timer
// that should fire every SAMPLE_MS measures how late it is. Read at request time, "late by more
// than the limit" also covers the requests the loop is working through in the very turn that
// follows a long block (pipelined requests, sockets that became readable meanwhile): a delay
// sampled only by a timer, as @fastify/under-pressure and toobusy-js do, still reads "healthy"
// for those, because the timer itself has not run yet.
//
// Late is not enough: the loop must also have been busy (event-loop utilization) for longer than
// the limit. A process that was paused while idle (SIGSTOP, a VM pause, a CPU starved by its
// neighbours) comes back late but not saturated: the requests held meanwhile are served, not shed.
import { performance } from 'node:perf_hooks';

const SAMPLE_MS = 100;
/**
 * After a stall the worker keeps shedding this long: connections the manager queued for it while
 * it was blocked arrive one by one afterwards, and they are the backlog that must not be served
 * one long request at a time.
 */
export const STALL_HOLD_MS = 1_000;

export interface EventLoopStall {
  /** How late the loop is at this instant, in ms. */
  delayMs(): number;
  /** Busy and late by more than the limit now, or within STALL_HOLD_MS of having been. */
  stalled(): boolean;
  stop(): void;
}

export function watchEventLoop(limitMs: number): EventLoopStall {
  let lastTick = performance.now();
  // Cumulative ms the loop has spent running callbacks (not waiting for I/O) at the last tick.
  let activeAtTick = performance.eventLoopUtilization().active;
  let stalledUntil = Number.NEGATIVE_INFINITY;
  const busyAndLate = (now: number) =>
    now - lastTick - SAMPLE_MS > limitMs &&
    performance.eventLoopUtilization().active - activeAtTick > limitMs;
  const timer = setInterval(() => {
    const now = performance.now();
    if (busyAndLate(now)) stalledUntil = now + STALL_HOLD_MS;
    lastTick = now;
    activeAtTick = performance.eventLoopUtilization().active;
  }, SAMPLE_MS);
  // Never the reason a worker stays alive.
  timer.unref();
  return {
    delayMs: () => Math.max(0, performance.now() - lastTick - SAMPLE_MS),
    stalled: () => {
      const now = performance.now();
      return now < stalledUntil || busyAndLate(now);
    },
    stop: () => clearInterval(timer),
  };
}
