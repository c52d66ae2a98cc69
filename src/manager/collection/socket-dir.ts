// The private directory that holds the metrics thread's Unix socket: in a runtime directory when
// the host offers one (out of temporary-file cleaners' reach), else in the temporary directory.
// Its name carries the manager's pid, so the next manager recognises a SIGKILLed one's directory
// as orphaned and removes it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isPrivateDir } from '../../private-dir.js';

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

/** A runtime directory is usable if it is ours and nobody else can add or remove entries in it. */
function isOwnRuntimeDir(dir: string | undefined): dir is string {
  if (!dir || !path.isAbsolute(dir)) return false;
  try {
    const stats = fs.statSync(dir);
    return stats.isDirectory() && stats.uid === process.getuid?.() && (stats.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * Where socket directories go: systemd's RUNTIME_DIRECTORY (its first entry), else
 * XDG_RUNTIME_DIR, when it is this user's own; else the temporary directory, which cleaners such
 * as systemd-tmpfiles empty by age on a long-running host.
 */
export function socketBaseDir(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.RUNTIME_DIRECTORY?.split(':')[0], env.XDG_RUNTIME_DIR];
  return candidates.find(isOwnRuntimeDir) ?? os.tmpdir();
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
export function createSocketDir(base = os.tmpdir()): string {
  return fs.mkdtempSync(path.join(base, `${PREFIX}${process.pid}-`));
}

/**
 * Makes `dir` exist again as this user's private directory (it was removed: `rm -rf`, a cleaner).
 * Throws if it cannot, or if something not private to this user stands at that path: another
 * user may have created it after it was removed, and a socket in it would be theirs to read.
 */
export function ensureSocketDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (!isPrivateDir(dir)) throw new Error(`${dir} is not a directory private to this user`);
}
