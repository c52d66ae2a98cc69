// Regression: a worker SIGKILLed while the manager is handing it a connection. Node's IPC
// channel then waits for an acknowledgement that never comes and never emits 'disconnect'; a
// manager that waits for both 'exit' and 'disconnect' never reaps that worker, never replaces
// it, and hangs at shutdown. (Seen under load in the SIGKILL fault test before the fix.)
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';
import { waitUntil } from '../../scripts/lib/wait.js';

/** Opens a connection and sends a request; the socket is left for the test to destroy. */
function openRequest(port: number): net.Socket {
  const socket = net.connect(port, '127.0.0.1', () => {
    socket.write('GET /api/hello HTTP/1.1\r\nHost: x\r\n\r\n');
  });
  socket.on('error', () => undefined);
  return socket;
}

describe('a worker killed with a connection in transit', () => {
  it('is still reaped and replaced, and shutdown still completes', async () => {
    const cluster = await startCluster({ env: { WORKERS: '2', WORKER_MIN_UPTIME_MS: '0' } });
    const sockets: net.Socket[] = [];
    try {
      const victim = (await cluster.status()).workers.find((w) => w.slot === 1)!;
      // Stopped, the worker cannot acknowledge the connections round-robin hands to it.
      process.kill(victim.pid, 'SIGSTOP');
      for (let i = 0; i < 6; i += 1) sockets.push(openRequest(cluster.apiPort));
      // Give the manager a moment to accept and hand out those connections.
      await waitUntil(() => sockets.every((s) => !s.connecting), 'connections accepted', 5_000);
      process.kill(victim.pid, 'SIGKILL');

      const replacement = await waitUntil(
        async () =>
          (await cluster.status()).workers.find(
            (w) => w.slot === 1 && w.state === 'ready' && w.pid !== victim.pid,
          ),
        'slot 1 to be replaced',
        15_000,
      );
      expect(replacement.restarts).toBe(1);
      expect((await fetch(`${cluster.apiUrl}/`, { headers: { connection: 'close' } })).status).toBe(
        200,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      expect(await cluster.stop(30_000)).toBe(0);
    }
  });
});
