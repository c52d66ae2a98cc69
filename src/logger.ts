// Structured JSON logs (pino) for both sides. Each line names its side (manager or worker slot)
// and pid, so the interleaved output of a whole cluster on one stdout stays readable.
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

export function createLogger(level: LogLevel, bindings: Record<string, unknown>): Logger {
  return pino({
    level,
    base: { pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** `log` at most every 10 s while calls recur, with how many there were since its last line. */
export function rateLimitedLog<T>(log: (count: number, latest: T) => void): (latest: T) => void {
  let lastAt = Number.NEGATIVE_INFINITY;
  let since = 0;
  return (latest) => {
    since += 1;
    if (Date.now() - lastAt < 10_000) return;
    log(since, latest);
    lastAt = Date.now();
    since = 0;
  };
}
