// A connection the manager handed to a worker that then dies without taking it (a hung worker
// killed, a SIGKILL) is closed by the manager: its client sees the close and can retry instead of
// waiting for its own timeout, and the manager keeps no descriptor for it (it kept one CLOSE-WAIT
// socket per death before).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { openFds } from '../helpers/processes.js';
import { rawExchange, type RawExchange } from '../helpers/raw-http.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const WORKER_TIMEOUT_MS = 2_000;
/** Far past the hung kill and the replacement: a client still waiting then was stranded. */
const CLIENT_WAIT_MS = 20_000;
const KILLS = 2;

const request = 'GET /api/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

describe('connections handed to a worker that is killed as hung (2 workers)', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({
      env: { WORKERS: '2', WORKER_TIMEOUT_MS: String(WORKER_TIMEOUT_MS) },
    });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it(`${KILLS} hung kills: every client answered or closed, manager descriptors at baseline`, async () => {
    const managerPid = cluster.proc.pid ?? -1;
    const baseline = openFds(managerPid);
    const outcomes: Promise<RawExchange>[] = [];
    for (let kill = 0; kill < KILLS; kill += 1) {
      const [victim] = await cluster.readyWorkers();
      if (!victim) throw new Error('no ready worker');
      process.kill(victim.pid, 'SIGSTOP');
      // New connections while it is stopped: round-robin hands one of them to the stopped worker.
      const until = Date.now() + 1_000;
      while (Date.now() < until) {
        outcomes.push(rawExchange(cluster.apiPort, [request], { waitMs: CLIENT_WAIT_MS }));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await waitUntil(
        async () => !(await cluster.status()).workers.some((w) => w.pid === victim.pid),
        `the stopped worker ${victim.pid} to be killed as hung`,
        WORKER_TIMEOUT_MS * 5,
      );
      await cluster.waitForReady(2);
    }
    const results = await Promise.all(outcomes);
    const stranded = results.filter((r) => r.status === 0 && !r.closedByServer);
    const answered = results.filter((r) => r.status === 200).length;
    console.log(
      `[reliability] ${KILLS} hung kills under new connections: ${results.length} requests, ` +
        `${answered} answered 200, ${results.length - answered - stranded.length} closed, ` +
        `${stranded.length} stranded`,
    );
    expect(stranded).toHaveLength(0);
    expect(cluster.logs()).toMatch(/"strandedConnectionsClosed":\d+/);
    await waitUntil(
      () => openFds(managerPid) <= baseline,
      `the manager's descriptors back to its baseline of ${baseline}`,
      10_000,
    );
  });
});
