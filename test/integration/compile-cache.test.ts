// Node keeps V8's compiled code on disk once the entry turns that on, so a replacement worker
// skips most of compiling its bundle.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

const scratch: string[] = [];
afterEach(() =>
  scratch.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })),
);

describe('the compile cache', () => {
  it(`is written under $TMPDIR on Node ${process.version}`, async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'compile-cache-test-'));
    scratch.push(tmp);
    const cluster = await startCluster({ env: { WORKERS: '1', TMPDIR: tmp } });
    expect(await cluster.stop()).toBe(0);
    const cached = filesUnder(path.join(tmp, 'node-compile-cache'));
    expect(cached.length).toBeGreaterThan(0);
  });
});
