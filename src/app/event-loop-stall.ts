// Is this worker's event loop stalled right now, or was it just now? A timer that should fire
// every SAMPLE_MS measures how late it is. Read at request time, "late by more than the limit"
// also covers the requests the loop is working through in the very turn that follows a long
// block (pipelined requests, sockets that became readable meanwhile): a delay sampled only by a
// timer, as @fastify/under-pressure and toobusy-js do, still reads "healthy" for those, because
// the timer itself has not run yet.
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
  /** Late by more than the limit now, or within STALL_HOLD_MS of having been. */
  stalled(): boolean;
  stop(): void;
}

export function watchEventLoop(limitMs: number): EventLoopStall {
  let lastTick = performance.now();
  let stalledUntil = Number.NEGATIVE_INFINITY;
  const timer = setInterval(() => {
    const now = performance.now();
    if (now - lastTick - SAMPLE_MS > limitMs) stalledUntil = now + STALL_HOLD_MS;
    lastTick = now;
  }, SAMPLE_MS);
  // Never the reason a worker stays alive.
  timer.unref();
  const delayMs = () => Math.max(0, performance.now() - lastTick - SAMPLE_MS);
  return {
    delayMs,
    stalled: () => delayMs() > limitMs || performance.now() < stalledUntil,
    stop: () => clearInterval(timer),
  };
}
