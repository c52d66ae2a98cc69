// Keep-alive clients move to workers added after they connected: a connection older than
// HTTP_CONNECTION_MAX_AGE_MS is closed after its next response, and the client's next
// connection goes to whichever worker is next. Without it, a scale-up under keep-alive load left
// the new worker idle for as long as the clients kept their connections.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';

const MAX_AGE_MS = 1_000;

/** GET / on a keep-alive agent: the serving worker's pid, and whether it asked us to close. */
function identify(agent: http.Agent, port: number): Promise<{ pid: number; close: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () =>
        resolve({
          pid: (JSON.parse(body) as { pid: number }).pid,
          close: res.headers.connection === 'close',
        }),
      );
    });
    req.on('error', reject);
    req.setTimeout(5_000, () => req.destroy(new Error('no answer in 5 s')));
  });
}

describe(`keep-alive clients after a scale-up (HTTP_CONNECTION_MAX_AGE_MS=${MAX_AGE_MS})`, () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({
      env: { WORKERS: '1', HTTP_CONNECTION_MAX_AGE_MS: String(MAX_AGE_MS) },
    });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('reach the new worker on one pooled connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const [first] = await cluster.readyWorkers();
      expect((await identify(agent, cluster.apiPort)).pid).toBe(first?.pid);
      process.kill(cluster.proc.pid ?? -1, 'SIGTTIN');
      const workers = await cluster.waitForReady(2);
      const added = workers.find((w) => w.pid !== first?.pid);
      const seen = new Set<number>();
      let closes = 0;
      // Bounded: the pooled connection is at most MAX_AGE_MS old plus one request.
      const deadline = Date.now() + 10 * MAX_AGE_MS;
      while (Date.now() < deadline && !seen.has(added?.pid ?? -1)) {
        const answer = await identify(agent, cluster.apiPort);
        seen.add(answer.pid);
        if (answer.close) closes += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(closes).toBeGreaterThan(0);
      expect(seen).toContain(added?.pid);
    } finally {
      agent.destroy();
    }
  });
});
