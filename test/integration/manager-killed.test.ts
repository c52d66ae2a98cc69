// The manager SIGKILLed (think: the OOM killer) with requests in flight. The workers finish what
// they accepted within SHUTDOWN_TIMEOUT_MS, then exit; none outlives that, and none keeps the API
// port from a new manager.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';
import { isGone } from '../helpers/processes.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const SHUTDOWN_TIMEOUT_MS = 5_000;

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function statusOf(url: string): Promise<number | string> {
  try {
    const response = await fetch(url);
    await response.arrayBuffer();
    return response.status;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? String(error);
  }
}

describe('the manager SIGKILLed with requests in flight', () => {
  it('lets all six /api/delay?ms=3000 complete, then every worker exits', async () => {
    const cluster = await startCluster({
      env: { WORKERS: '2', SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) },
    });
    const pids = (await cluster.status()).workers.map((w) => w.pid);
    const started = Date.now();
    const inFlight = Array.from({ length: 6 }, () =>
      statusOf(`${cluster.apiUrl}/api/delay?ms=3000`),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    cluster.proc.kill('SIGKILL');
    await cluster.exited;
    // The manager held the listening socket: the port is free while the workers still drain.
    expect(await portIsFree(cluster.apiPort)).toBe(true);
    const statuses = await Promise.all(inFlight);
    console.log(
      `[reliability] manager SIGKILLed 500 ms into six /api/delay?ms=3000: ${statuses.join(',')} ` +
        `after ${Date.now() - started} ms`,
    );
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    await waitUntil(
      () => pids.every(isGone),
      'every orphaned worker to exit',
      SHUTDOWN_TIMEOUT_MS + 3_000,
    );
    // Polled: the workers' last lines may still be on their way through the pipe.
    await waitUntil(
      () => /"reason":"manager_gone".*"msg":"worker exiting"/.test(cluster.logs()),
      'the workers to say why they exit',
      5_000,
    );
  });

  it('ends a worker whose request outlasts SHUTDOWN_TIMEOUT_MS at that deadline', async () => {
    const shutdownMs = 2_000;
    const cluster = await startCluster({
      env: { WORKERS: '1', SHUTDOWN_TIMEOUT_MS: String(shutdownMs) },
    });
    const [worker] = (await cluster.status()).workers;
    const slow = statusOf(`${cluster.apiUrl}/api/delay?ms=30000`);
    // The request has reached the worker once it counts it in flight.
    await waitUntil(
      async () => (await cluster.status()).workers[0]?.requestsInFlight === 1,
      'the slow request to be in flight',
    );
    const killedAt = Date.now();
    cluster.proc.kill('SIGKILL');
    await waitUntil(() => isGone(worker!.pid), 'the orphaned worker to exit', shutdownMs + 3_000);
    const tookMs = Date.now() - killedAt;
    expect(tookMs).toBeGreaterThanOrEqual(shutdownMs - 200);
    // The client is cut at the deadline rather than left hanging.
    expect(await slow).not.toBe(200);
  });
});
