// Whatever a client can make a worker count, it un-counts by leaving (or by merely finishing its
// writes): the in-flight count that load shedding reads returns to 0 once the work is done or the
// connection is gone, so no client can keep a worker answering 503 after it stops sending.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const SHED_MAX_IN_FLIGHT = 100;

/** Opens a connection, writes `text` at once, and resolves with the socket once it is written. */
async function writeAll(port: number, text: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => socket.write(text, () => resolve()));
    socket.once('error', reject);
  });
  return socket;
}

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

async function inFlight(cluster: ClusterHandle): Promise<number[]> {
  const status = await cluster.status();
  return status.workers.map((w) => w.requestsInFlight);
}

async function helloStatus(cluster: ClusterHandle): Promise<number> {
  const res = await fetch(`${cluster.apiUrl}/api/hello`, { headers: { connection: 'close' } });
  await res.arrayBuffer();
  return res.status;
}

describe('in-flight counts return to 0 when clients leave (2 workers)', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({
      env: { WORKERS: '2', SHED_MAX_IN_FLIGHT: String(SHED_MAX_IN_FLIGHT) },
    });
  });
  afterAll(async () => {
    const status = await cluster.status();
    expect(status.workers.map((w) => w.restarts)).toEqual([0, 0]);
    expect(await cluster.stop()).toBe(0);
  });

  it('pipelined requests on connections destroyed mid-way are un-counted', async () => {
    // Each connection: a slow request, then 20 pipelined behind it (queued responses), then gone.
    const burst = get('/api/delay?ms=2000') + get('/api/hello').repeat(20);
    const sockets = await Promise.all(
      Array.from({ length: 40 }, () => writeAll(cluster.apiPort, burst)),
    );
    // The workers hold far more than the limit while the connections live.
    await waitUntil(
      async () => (await inFlight(cluster)).some((n) => n > 0),
      'the pipelined requests to be counted',
      10_000,
    );
    for (const socket of sockets) socket.destroy();
    await waitUntil(
      async () => (await inFlight(cluster)).every((n) => n === 0),
      'every worker back to 0 requests in flight',
      15_000,
    );
    expect(await helloStatus(cluster)).toBe(200);
    expect(await helloStatus(cluster)).toBe(200);
  });

  it('a client that pipelines and never reads does not hold the count while it stays', async () => {
    // Far more responses than the socket buffers take: most stay queued in the worker, unread.
    const socket = await writeAll(
      cluster.apiPort,
      get('/api/hello?name=' + 'x'.repeat(64)).repeat(20_000),
    );
    socket.pause();
    try {
      await waitUntil(
        async () => (await inFlight(cluster)).every((n) => n === 0),
        'every worker back to 0 requests in flight while the reader-less client stays',
        15_000,
      );
      expect(socket.destroyed).toBe(false);
      expect(await helloStatus(cluster)).toBe(200);
    } finally {
      socket.destroy();
    }
  });
});
