// A directory only this user can enter: the metrics link's socket lives in one, and that is all
// that keeps other local users from feeding or reading a worker's metrics. Both ends check it:
// the manager before it listens there, a worker before it connects (in a shared /tmp another
// user could create the path once it was deleted, and host a socket of their own in it).
import fs from 'node:fs';

/** True if `dir` is a real directory (not a symlink) of this user with no group/other access. */
export function isPrivateDir(dir: string): boolean {
  let stats: fs.Stats;
  try {
    stats = fs.lstatSync(dir);
  } catch {
    return false;
  }
  const uid = process.getuid?.();
  return (
    stats.isDirectory() && (uid === undefined || stats.uid === uid) && (stats.mode & 0o077) === 0
  );
}
