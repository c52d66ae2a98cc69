// A worker busy with back-to-back requests is alive, a stuck one is not. An anonymous client that
// queues CPU work (pipelined on one connection, or many connections at once) must not get a healthy
// worker killed as hung; a worker that truly stops must still be killed within WORKER_TIMEOUT_MS.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { scrape, select } from '../helpers/metrics-text.js';
import { isGone } from '../helpers/processes.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const TIMEOUT_MS = 3_000;
const WORK_MS = 1_000;

/** Writes `payload` in one packet and collects the status codes of the responses it gets back. */
function pipelined(port: number, payload: string, expected: number, timeoutMs: number) {
  return new Promise<number[]>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(payload));
    let text = '';
    const statuses = () => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`only ${statuses().length} of ${expected} responses in ${timeoutMs} ms`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(statuses());
    };
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (statuses().length >= expected) done();
    });
    socket.on('close', done);
    socket.on('error', done);
  });
}

async function hungRestarts(cluster: ClusterHandle): Promise<number> {
  const samples = await scrape(cluster.managerUrl);
  return select(samples, 'cluster_worker_restarts_total', { reason: 'hung' }).reduce(
    (sum, [, value]) => sum + value,
    0,
  );
}

describe('a worker busy with queued CPU work', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    // One worker: every request queues on the same event loop. Load shedding off: by default
    // the backlog behind a long block is answered 503 at once (load-shedding.test.ts); here the
    // worker must grind through all of it, to prove the hang detector tolerates that.
    cluster = await startCluster({
      env: {
        WORKERS: '1',
        WORKER_TIMEOUT_MS: String(TIMEOUT_MS),
        WORKER_MIN_UPTIME_MS: '0',
        SHED_EVENT_LOOP_DELAY_MS: '0',
      },
    });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('is not killed by seven pipelined /api/work requests (7 s of work, 3 s timeout)', async () => {
    const [before] = await cluster.readyWorkers();
    // A first worker that took over WORKER_TIMEOUT_MS to boot on a loaded machine counts as hung:
    // only what this test does is measured.
    const hungBefore = await hungRestarts(cluster);
    const request = `GET /api/work?ms=${WORK_MS} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const started = Date.now();
    const statuses = await pipelined(cluster.apiPort, request.repeat(7), 7, 30_000);
    console.log(
      `[reliability] 7 pipelined /api/work?ms=${WORK_MS}, WORKER_TIMEOUT_MS=${TIMEOUT_MS}: ` +
        `${statuses.filter((s) => s === 200).length}/7 answered 200 in ${Date.now() - started} ms`,
    );
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200]);
    const [after] = await cluster.readyWorkers();
    expect(after?.pid).toBe(before?.pid);
    expect(await hungRestarts(cluster)).toBe(hungBefore);
    expect(cluster.logs()).not.toMatch(/no heartbeat within WORKER_TIMEOUT_MS/);
  });

  it('is not killed by eight connections each sending /api/work at once', async () => {
    const [before] = await cluster.waitForReady(1);
    const hungBefore = await hungRestarts(cluster);
    const request = `GET /api/work?ms=${WORK_MS} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
    const statuses = await Promise.all(
      Array.from({ length: 8 }, () => pipelined(cluster.apiPort, request, 1, 30_000)),
    );
    expect(statuses.flat()).toEqual(Array(8).fill(200));
    const [after] = await cluster.readyWorkers();
    expect(after?.pid).toBe(before?.pid);
    expect(await hungRestarts(cluster)).toBe(hungBefore);
  });

  it('still kills a stopped worker within WORKER_TIMEOUT_MS', async () => {
    const [victim] = await cluster.waitForReady(1);
    const hungBefore = await hungRestarts(cluster);
    const stoppedAt = Date.now();
    process.kill(victim!.pid, 'SIGSTOP');
    await waitUntil(() => isGone(victim!.pid), 'the stopped worker to be killed', 15_000);
    const tookMs = Date.now() - stoppedAt;
    console.log(`[reliability] SIGSTOPped worker killed as hung after ${tookMs} ms`);
    // The watchdog checks every half heartbeat; a loaded 2-core machine adds scheduling delay.
    expect(tookMs).toBeLessThan(TIMEOUT_MS + 2_000);
    expect(tookMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 1_000);
    await cluster.waitForReady(1);
    expect(await hungRestarts(cluster)).toBe(hungBefore + 1);
  });
});
