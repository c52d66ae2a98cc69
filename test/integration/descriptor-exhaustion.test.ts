// Running out of file descriptors means refusing or shedding connections, never dying: floods of
// idle connections far past `ulimit -n`, opened and dropped for a while, leave every worker alive
// (no crash, no restart), the probes answering, and the API serving once the flood is gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openIdle } from '../helpers/idle-connections.js';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const MAX_OPEN_FILES = 256;
const FLOOD = 600;
const ROUNDS = 6;

async function status(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

describe(`descriptor exhaustion (ulimit -n ${MAX_OPEN_FILES}, 1 worker: every flood lands on it)`, () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({ env: { WORKERS: '1' }, maxOpenFiles: MAX_OPEN_FILES });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it(`${ROUNDS} floods of ${FLOOD} idle connections kill no worker`, async () => {
    const before = (await cluster.status()).workers.map((w) => w.pid);
    for (let round = 0; round < ROUNDS; round += 1) {
      const sockets = await openIdle(cluster.apiPort, FLOOD);
      // Let the heartbeats and the manager run with every descriptor taken.
      const until = Date.now() + 2_000;
      while (Date.now() < until) {
        await status(`${cluster.managerUrl}/livez`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      for (const socket of sockets) socket.destroy();
    }
    await waitUntil(
      async () => (await status(`${cluster.apiUrl}/api/hello`)) === 200,
      'the API to serve again after the floods',
      15_000,
    );
    const after = await cluster.status();
    expect(after.workers.map((w) => w.pid)).toEqual(before);
    expect(after.workers.map((w) => w.restarts)).toEqual([0]);
    expect(cluster.logs()).not.toMatch(/worker crashed/);
  });
});

describe(`the manager out of descriptors when it must fork (ulimit -n ${MAX_OPEN_FILES}, 2 workers)`, () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({ env: { WORKERS: '2' }, maxOpenFiles: MAX_OPEN_FILES });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('a fork that fails with EMFILE is retried once descriptors are free; the manager lives', async () => {
    const [a, b] = await cluster.readyWorkers();
    if (!a || !b) throw new Error('two ready workers expected');
    // Nobody takes connections: the manager accepts the flood until its own descriptors run out.
    process.kill(a.pid, 'SIGSTOP');
    process.kill(b.pid, 'SIGSTOP');
    const sockets = await openIdle(cluster.apiPort, FLOOD);
    // Its replacement must be forked while the manager has no descriptor left.
    process.kill(a.pid, 'SIGKILL');
    await waitUntil(
      () => /could not start a worker process/.test(cluster.logs()),
      'a fork to fail for want of descriptors',
      15_000,
    );
    for (const socket of sockets) socket.destroy();
    // The other worker takes (and, the clients being gone, closes) what the manager queued.
    process.kill(b.pid, 'SIGCONT');
    await cluster.waitForReady(2, 30_000);
    expect(await status(`${cluster.apiUrl}/api/hello`)).toBe(200);
    expect(cluster.logs()).not.toMatch(/manager crashed/);
  });
});
