// The stack watchdog, main-thread side: starts the watchdog thread and counts this thread's
// progress (heartbeats) in shared memory. When it stops, the thread reports this thread's stack to
// the manager, which logs it if it kills the worker as hung: the answer to "what was it doing?".
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { WORKER_REPORT_FD_ENV } from '../protocol.js';
import type { WatchdogThreadData } from './stack-watchdog-thread.js';

export interface StackWatchdog {
  /** The main thread made progress (cheap: one atomic add). */
  progress(): void;
  /** Starts the thread: called once the worker is ready, so it does not slow the boot. */
  start(): void;
}

/**
 * None when WORKER_STACK_WATCHDOG=false or no manager gave a report pipe. It reports at half the
 * hang timeout and gives up a capture well before it: the stack reaches the manager before a kill.
 */
export function stackWatchdogFor(config: Config, logger: Logger): StackWatchdog | null {
  const reportFd = Number(process.env[WORKER_REPORT_FD_ENV]);
  if (!config.workerStackWatchdog || !Number.isInteger(reportFd) || reportFd < 3) return null;
  // Under a loader (tsx) the thread loads it too, which overflows its 8 MB heap on Node 22 and 24
  // (ERR_WORKER_OUT_OF_MEMORY; 26 fits): the compiled build, what the service runs, needs none.
  if (path.extname(fileURLToPath(import.meta.url)) !== '.js') {
    logger.debug('stack watchdog off: it runs from the compiled build only');
    return null;
  }
  const progress = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const workerData: WatchdogThreadData = {
    progress,
    reportFd,
    stallMs: Math.floor(config.workerTimeoutMs / 2),
    captureTimeoutMs: Math.min(1_000, Math.floor(config.workerTimeoutMs / 4)),
  };
  return {
    progress: () => void Atomics.add(progress, 0, 1),
    start() {
      const thread = new Worker(new URL('./stack-watchdog-thread.js', import.meta.url), {
        workerData,
        // A timer and, while capturing, an inspector session: keep its heap small.
        resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1 },
      });
      // Never the reason the worker stays up, and never the reason it goes down.
      thread.unref();
      thread.on('error', (err) =>
        logger.warn({ err }, 'stack watchdog failed; hung kills will say less'),
      );
    },
  };
}
