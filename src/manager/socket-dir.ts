// The private directory that holds the metrics thread's Unix socket. Its name carries the
// manager's pid, so a manager that was SIGKILLed (no 'exit' handler runs) leaves a directory the
// next manager on the machine recognises as orphaned and removes: a crash-looping manager does
// not fill the temporary directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PREFIX = 'koa-cluster-';
const OURS = new RegExp(`^${PREFIX}(\\d+)-`);

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes socket directories of managers that no longer run; returns the paths removed. */
export function removeOrphanedSocketDirs(tmpdir = os.tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(tmpdir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const pid = Number(OURS.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isRunning(pid)) continue;
    const dir = path.join(tmpdir, name);
    try {
      // Only our own directories: another user's (shared /tmp) is theirs to clean.
      if (fs.statSync(dir).uid !== process.getuid?.()) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // Gone already, or not ours to remove.
    }
  }
  return removed;
}

/** A new private (0700) directory for this manager's socket. */
export function createSocketDir(tmpdir = os.tmpdir()): string {
  return fs.mkdtempSync(path.join(tmpdir, `${PREFIX}${process.pid}-`));
}
