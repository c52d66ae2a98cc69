// Time as the supervisor sees it, injectable so its unit tests run in milliseconds: a monotonic
// clock for every duration (a wall-clock step is not silence), the wall clock for what people
// read (status, logs), and timers.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Monotonic. */
  now(): number;
  wallNow(): number;
  after(ms: number, run: () => void): Timer;
  every(ms: number, run: () => void): Timer;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  after(ms, run) {
    const timer = setTimeout(run, ms);
    return { cancel: () => clearTimeout(timer) };
  },
  every(ms, run) {
    const timer = setInterval(run, ms);
    return { cancel: () => clearInterval(timer) };
  },
};
