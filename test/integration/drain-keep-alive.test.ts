// A keep-alive client that is slow to send its next request while its worker drains (a paused
// process, a GC pause, a busy event loop, a starved machine). The worker announced
// `Keep-Alive: timeout=N`; until N has passed the client may reuse the connection, so the drain
// must not close it under the client before then: the client's next request is answered (with
// Connection: close), not failed with "other side closed".
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const KEEP_ALIVE_MS = 8_000;
/** How long the client stays quiet after its worker started draining: longer than any old grace. */
const CLIENT_PAUSE_MS = 1_500;

interface Response {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One keep-alive connection, requests sent one at a time. */
class KeepAliveClient {
  private buffer = '';
  private waiting: (() => void) | null = null;
  closedByServer = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closedByServer = true;
      this.waiting?.();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<KeepAliveClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new KeepAliveClient(socket);
  }

  /** Resolves with the response, or null when the connection closed first. */
  async get(path: string): Promise<Response | null> {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
    for (;;) {
      const response = this.take();
      if (response) return response;
      if (this.closedByServer) return null;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  private take(): Response | null {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end === -1) return null;
    const [statusLine = '', ...lines] = this.buffer.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (this.buffer.length < end + 4 + length) return null;
    const body = this.buffer.slice(end + 4, end + 4 + length);
    this.buffer = this.buffer.slice(end + 4 + length);
    return { status: Number(statusLine.split(' ')[1]), headers, body };
  }

  destroy(): void {
    this.socket.destroy();
  }
}

describe('drain and an idle keep-alive connection', () => {
  it(`answers a request sent ${CLIENT_PAUSE_MS} ms into the drain on a reused connection`, async () => {
    const cluster = await startCluster({
      env: { WORKERS: '1', HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS) },
    });
    const client = await KeepAliveClient.connect(cluster.apiPort);
    try {
      const first = await client.get('/');
      expect(first?.status).toBe(200);
      expect(first?.headers['keep-alive']).toBe(`timeout=${KEEP_ALIVE_MS / 1000}`);
      const oldPid = (JSON.parse(first!.body) as { pid: number }).pid;

      cluster.proc.kill('SIGHUP');
      // The replacement serves: the old worker has been told to drain.
      await waitUntil(
        async () =>
          (await cluster.status()).workers.some((w) => w.pid !== oldPid && w.state === 'ready'),
        'the replacement to be ready',
        30_000,
      );
      // The fault itself: the client stays quiet, well inside the keep-alive timeout it was given.
      await new Promise((resolve) => setTimeout(resolve, CLIENT_PAUSE_MS));
      expect(client.closedByServer).toBe(false);

      const second = await client.get('/');
      expect(second?.status).toBe(200);
      expect((JSON.parse(second!.body) as { pid: number }).pid).toBe(oldPid);
      // ...told to go elsewhere next time, and the connection closed after it.
      expect(second?.headers.connection).toBe('close');
      await waitUntil(() => client.closedByServer, 'the server to close the connection', 5_000);
      // The drain ends once its connection has: the old worker is gone long before the timeout.
      await waitUntil(
        async () => (await cluster.status()).workers.every((w) => w.pid !== oldPid),
        'the old worker to exit',
        5_000,
      );
    } finally {
      client.destroy();
      expect(await cluster.stop()).toBe(0);
    }
  });
});
