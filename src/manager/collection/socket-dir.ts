// The private directory that holds the metrics thread's Unix socket. Its name carries the
// manager's pid, so the next manager recognises a SIGKILLed one's directory and removes it.
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

/** Ours, and nobody else can add or remove entries in it. */
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
 * systemd's RUNTIME_DIRECTORY (its first entry), else XDG_RUNTIME_DIR, when it is this user's own:
 * out of reach of cleaners (systemd-tmpfiles) that empty the temporary directory by age.
 */
export function socketBaseDir(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.RUNTIME_DIRECTORY?.split(':')[0], env.XDG_RUNTIME_DIR];
  return candidates.find(isOwnRuntimeDir) ?? os.tmpdir();
}

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

/** mkdtemp makes it 0700. */
export function createSocketDir(base = os.tmpdir()): string {
  return fs.mkdtempSync(path.join(base, `${PREFIX}${process.pid}-`));
}

/**
 * Makes `dir` exist again (after `rm -rf`, a cleaner). Throws if something not private to this
 * user stands there: another user may have made it meanwhile, and a socket in it would be theirs.
 */
export function ensureSocketDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (!isPrivateDir(dir)) throw new Error(`${dir} is not a directory private to this user`);
}
