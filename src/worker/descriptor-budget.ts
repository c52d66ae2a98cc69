// How many connections a worker may hold: past `ulimit -n` every open() fails, those the worker
// needs to live included (/proc reads, logs). Refusing connections a reserve short of the limit,
// a flood costs the flood's clients, never the worker.
import fs from 'node:fs';

/** Descriptors kept free for the worker itself: IPC, metrics link, /proc reads, logs, the pool. */
export const RESERVED_DESCRIPTORS = 64;

/** The soft `Max open files` limit from a /proc/<pid>/limits text; undefined when unlimited. */
export function openFilesLimit(limitsText: string): number | undefined {
  const match = /^Max open files\s+(\d+)\s/m.exec(limitsText);
  return match ? Number(match[1]) : undefined;
}

/** The limit less the reserve and what is open now, at least 1; no cap if the limit is unknown. */
export function connectionBudget(limit: number | undefined, openNow: number): number | undefined {
  return limit === undefined ? undefined : Math.max(1, limit - openNow - RESERVED_DESCRIPTORS);
}

export function ownConnectionBudget(): number | undefined {
  try {
    const limit = openFilesLimit(fs.readFileSync('/proc/self/limits', 'utf8'));
    return connectionBudget(limit, fs.readdirSync('/proc/self/fd').length);
  } catch {
    return undefined;
  }
}
