import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSocketDir, removeOrphanedSocketDirs } from '../../src/manager/socket-dir.js';

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
});
