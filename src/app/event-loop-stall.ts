// Is this worker's event loop stalled by its own work now, or was it just now? Read at request
// time, so the requests handled in the turn right after a long block are seen as late too (a
// timer-only sample still reads healthy then). Late is not enough: the process must also have
// burnt CPU for that long, so a paused process (SIGSTOP, a VM pause) serves what it held.
import { performance } from 'node:perf_hooks';

const SAMPLE_MS = 100;
// After a stall the worker keeps shedding this long: the connections queued for it while it was
// blocked arrive one by one afterwards, a backlog not to be served one long request at a time.
const STALL_HOLD_MS = 1_000;

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

export function watchEventLoop(limitMs: number) {
  let lastTick = performance.now();
  // CPU ms the process had used at the last tick (read only once the loop is known to be late).
  let cpuAtTick = cpuMs();
  let stalledUntil = Number.NEGATIVE_INFINITY;
  const busyAndLate = (now: number) =>
    now - lastTick - SAMPLE_MS > limitMs && cpuMs() - cpuAtTick > limitMs;
  const timer = setInterval(() => {
    const now = performance.now();
    if (busyAndLate(now)) stalledUntil = now + STALL_HOLD_MS;
    lastTick = now;
    cpuAtTick = cpuMs();
  }, SAMPLE_MS);
  // Never the reason a worker stays alive.
  timer.unref();
  return {
    delayMs: () => Math.max(0, performance.now() - lastTick - SAMPLE_MS),
    // Busy and late by more than the limit now, or within STALL_HOLD_MS of having been.
    stalled: () => {
      const now = performance.now();
      return now < stalledUntil || busyAndLate(now);
    },
    stop: () => clearInterval(timer),
  };
}
