// Process facts read from /proc, for tests that outlive a process's parent: a worker orphaned by
// a SIGKILLed manager is reaped by whatever adopts it (or not, in a container without an init),
// so a zombie counts as gone.
import { readdirSync, readFileSync } from 'node:fs';

/** true once `pid` no longer runs: no such process, or a zombie waiting to be reaped. */
export function isGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ...": comm may contain spaces and parentheses; the state follows the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

/** Open file descriptors of a live process. */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}
