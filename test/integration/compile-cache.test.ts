// Node 22.1+ can keep V8's compiled code on disk; the entry turns that on, so a replacement
// worker skips most of compiling its bundle. Node 20 has no such cache: there the cluster must
// run as before and write none (CI runs the integration tests on Node 24 as well).
import fs from 'node:fs';
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';

const supported =
  typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

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
  it(`is ${supported ? '' : 'not '}written under $TMPDIR on Node ${process.version}`, async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'compile-cache-test-'));
    scratch.push(tmp);
    const cluster = await startCluster({ env: { WORKERS: '1', TMPDIR: tmp } });
    expect(await cluster.stop()).toBe(0);
    const cached = filesUnder(path.join(tmp, 'node-compile-cache'));
    // Where Node has no such cache the call is skipped and the cluster runs as before.
    if (supported) expect(cached.length).toBeGreaterThan(0);
    else expect(cached).toEqual([]);
  });
});
