// The metrics thread's CPU priority: on a busy machine a scrape should wait for the API, not the
// other way round. Linux keeps a nice value per thread, so the thread lowers its own (no privilege
// needed); the main thread and the workers keep theirs.
import fs from 'node:fs';
import os from 'node:os';
import type { Logger } from '../../logger.js';

/** This thread's kernel id, from /proc/thread-self ("<pid>/task/<tid>"); null off Linux. */
function currentThreadId(): number | null {
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

export function niceThisThread(nice: number, logger: Logger): void {
  if (nice === 0) return;
  const tid = currentThreadId();
  let reason = 'no per-thread priority on this platform';
  if (tid !== null) {
    try {
      // setpriority(PRIO_PROCESS, tid) acts on that one thread on Linux.
      os.setPriority(tid, nice);
      const applied = { applied: true, tid, nice: os.getPriority(tid) };
      return logger.debug(applied, 'metrics thread priority lowered');
    } catch (error) {
      reason = (error as Error).message;
    }
  }
  logger.warn({ applied: false, reason }, 'metrics thread priority unchanged');
}
