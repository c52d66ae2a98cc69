import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSocketDir,
  ensureSocketDir,
  removeOrphanedSocketDirs,
  socketBaseDir,
} from '../../../../src/manager/collection/socket-dir.js';
import { isPrivateDir } from '../../../../src/private-dir.js';

const bases: string[] = [];
afterEach(() => bases.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function base(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-dir-test-'));
  bases.push(dir);
  return dir;
}

/** A pid that ran and has exited (and was reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('socket directories', () => {
  it('are private and carry the manager pid', () => {
    const dir = createSocketDir(base());
    expect(path.basename(dir)).toMatch(new RegExp(`^koa-cluster-${process.pid}-`));
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });

  it("removes only dead managers' directories", () => {
    const tmp = base();
    const dead = path.join(tmp, `koa-cluster-${deadPid()}-abc123`);
    fs.mkdirSync(dead);
    fs.writeFileSync(path.join(dead, 'metrics.sock'), '');
    const mine = createSocketDir(tmp);
    const alive = path.join(tmp, `koa-cluster-${process.ppid}-def456`);
    fs.mkdirSync(alive);
    const unrelated = path.join(tmp, 'koa-cluster-notapid');
    fs.mkdirSync(unrelated);

    expect(removeOrphanedSocketDirs(tmp)).toEqual([dead]);
    expect(fs.existsSync(dead)).toBe(false);
    for (const kept of [mine, alive, unrelated]) expect(fs.existsSync(kept)).toBe(true);
  });

  it('tolerates a missing temporary directory', () => {
    expect(removeOrphanedSocketDirs(path.join(base(), 'missing'))).toEqual([]);
  });

  it('go where cleaners do not reach when the host offers such a place of this user', () => {
    const runtime = base();
    fs.chmodSync(runtime, 0o700);
    const service = base();
    fs.chmodSync(service, 0o755);
    expect(socketBaseDir({ XDG_RUNTIME_DIR: runtime })).toBe(runtime);
    // systemd's RuntimeDirectory= first (its first entry), then the user's runtime directory.
    expect(
      socketBaseDir({ RUNTIME_DIRECTORY: `${service}:/elsewhere`, XDG_RUNTIME_DIR: runtime }),
    ).toBe(service);
    // Else the temporary directory: unset, relative, missing, or writable by others.
    const shared = base();
    fs.chmodSync(shared, 0o777);
    for (const XDG_RUNTIME_DIR of [undefined, '', 'run/user', path.join(runtime, 'gone'), shared]) {
      expect(socketBaseDir({ XDG_RUNTIME_DIR })).toBe(os.tmpdir());
    }
  });

  it('are made again, private, after being removed', () => {
    const dir = createSocketDir(base());
    fs.rmSync(dir, { recursive: true });
    ensureSocketDir(dir);
    expect(isPrivateDir(dir)).toBe(true);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    // Already there and private: kept as it is.
    fs.writeFileSync(path.join(dir, 'kept'), '');
    ensureSocketDir(dir);
    expect(fs.existsSync(path.join(dir, 'kept'))).toBe(true);
  });

  it('are not trusted when what stands at the path is not private to this user', () => {
    const tmp = base();
    const open = path.join(tmp, 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o755);
    const link = path.join(tmp, 'link');
    const target = createSocketDir(tmp);
    fs.symlinkSync(target, link);
    const file = path.join(tmp, 'file');
    fs.writeFileSync(file, '');
    for (const dir of [open, link, file]) {
      expect(isPrivateDir(dir)).toBe(false);
      expect(() => ensureSocketDir(dir)).toThrow(/not a directory private to this user/);
    }
    expect(isPrivateDir(path.join(tmp, 'missing'))).toBe(false);
  });
});
