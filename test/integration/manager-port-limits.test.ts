// The manager's own port gets the API port's defences. Slow or idle clients are cut at
// HTTP_HEADERS_TIMEOUT_MS, a flood of connections is capped (METRICS_MAX_CONNECTIONS) so it cannot
// use up the manager's descriptors (the manager also accepts every API connection), and scrapes
// beyond METRICS_MAX_SCRAPES are told to retry instead of queueing.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';
import { openFds } from '../helpers/processes.js';
import { waitUntil } from '../../scripts/lib/wait.js';

interface Held {
  socket: net.Socket;
  openedAt: number;
  closedAt: number | null;
}

/** Opens `count` connections; `trickle` sends an unfinished request a header line at a time. */
async function hold(port: number, count: number, trickle: boolean): Promise<Held[]> {
  const held = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Held>((resolve) => {
          const socket = net.connect(port, '127.0.0.1');
          const entry: Held = { socket, openedAt: Date.now(), closedAt: null };
          let lines = 0;
          const timer = setInterval(() => {
            // Bounded: 60 lines at most, far more than any timeout here needs.
            if (!trickle || socket.destroyed || lines >= 60) return clearInterval(timer);
            socket.write(
              lines === 0 ? 'GET /metrics HTTP/1.1\r\nHost: x\r\n' : `X-${lines}: y\r\n`,
            );
            lines += 1;
          }, 300);
          socket.on('close', () => {
            clearInterval(timer);
            entry.closedAt = Date.now();
          });
          socket.on('error', () => undefined);
          // Read what the server sends (a 408), or its close goes unnoticed.
          socket.resume();
          socket.once('connect', () => resolve(entry));
          socket.once('close', () => resolve(entry));
        }),
    ),
  );
  return held;
}

async function get(url: string): Promise<{ status: number; retryAfter: string | null }> {
  const response = await fetch(url, {
    headers: { connection: 'close' },
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  return { status: response.status, retryAfter: response.headers.get('retry-after') };
}

describe('the manager port under hostile clients', () => {
  it('cuts slowloris and idle connections at HTTP_HEADERS_TIMEOUT_MS', async () => {
    const headersTimeoutMs = 1_000;
    const cluster = await startCluster({
      env: { WORKERS: '1', HTTP_HEADERS_TIMEOUT_MS: String(headersTimeoutMs) },
    });
    const all: Held[] = [];
    try {
      all.push(...(await hold(cluster.metricsPort, 40, true)));
      all.push(...(await hold(cluster.metricsPort, 10, false)));
      // Node checks the timeout once a second: cut within timeout + check period + slack.
      await waitUntil(
        () => all.every((h) => h.closedAt !== null),
        'every slow connection to be cut',
        headersTimeoutMs + 6_000,
      );
      const worstMs = Math.max(...all.map((h) => h.closedAt! - h.openedAt));
      console.log(
        `[reliability] 50 slowloris/idle connections to the manager port, ` +
          `HTTP_HEADERS_TIMEOUT_MS=${headersTimeoutMs}: all cut, the last after ${worstMs} ms`,
      );
      expect(worstMs).toBeLessThan(headersTimeoutMs + 4_000);
      expect((await get(`${cluster.managerUrl}/healthz`)).status).toBe(200);
    } finally {
      for (const h of all) h.socket.destroy();
      await cluster.stop();
    }
  });

  it('keeps the API and /healthz serving while 400 connections flood the manager port', async () => {
    const maxOpenFiles = 256;
    const cap = 50;
    const cluster = await startCluster({
      env: { WORKERS: '2', METRICS_MAX_CONNECTIONS: String(cap) },
      maxOpenFiles,
    });
    let flood: Held[] = [];
    try {
      flood = await hold(cluster.metricsPort, 400, false);
      const results = [];
      for (let i = 0; i < 20; i += 1) {
        results.push((await get(`${cluster.apiUrl}/api/hello?name=flood`)).status);
      }
      const apiHealth = await get(`${cluster.apiUrl}/healthz`);
      // Beyond the cap, each new connection makes the manager close the longest-idle one.
      const stillOpen = await waitUntil(
        () => {
          const open = flood.filter((h) => h.closedAt === null).length;
          return open <= cap ? open : undefined;
        },
        `at most ${cap} flood connections left open`,
        10_000,
      );
      const fds = openFds(cluster.proc.pid!);
      console.log(
        `[reliability] 400 idle connections to the manager port (cap ${cap}, ulimit -n ${maxOpenFiles}): ` +
          `${stillOpen} held, manager fds ${fds}, API ${results.filter((s) => s === 200).length}/20 ok`,
      );
      expect(results).toEqual(Array(20).fill(200));
      expect(apiHealth.status).toBe(200);
      expect(fds).toBeLessThan(maxOpenFiles - 50);
      // The manager's own endpoint is back as soon as the flood lets go.
      for (const h of flood) h.socket.destroy();
      await waitUntil(
        async () => (await get(`${cluster.managerUrl}/healthz`)).status === 200,
        'the manager endpoint to answer again',
      );
    } finally {
      for (const h of flood) h.socket.destroy();
      await cluster.stop();
    }
  });

  it('answers 503 with Retry-After to scrapes beyond METRICS_MAX_SCRAPES', async () => {
    const cluster = await startCluster({
      env: {
        WORKERS: '2',
        METRICS_MAX_SCRAPES: '2',
        METRICS_COLLECT_TIMEOUT_MS: '1000',
      },
    });
    const [victim] = await cluster.readyWorkers();
    try {
      // A stopped worker makes every collection wait its full deadline: the scrapes overlap.
      process.kill(victim!.pid, 'SIGSTOP');
      const answers = await Promise.all(
        Array.from({ length: 30 }, () => get(`${cluster.managerUrl}/metrics`)),
      );
      const ok = answers.filter((a) => a.status === 200).length;
      const busy = answers.filter((a) => a.status === 503);
      console.log(
        `[reliability] 30 concurrent scrapes, limit 2: ${ok} answered, ${busy.length} told to retry`,
      );
      expect(ok + busy.length).toBe(30);
      expect(ok).toBeGreaterThanOrEqual(1);
      expect(busy.length).toBeGreaterThanOrEqual(20);
      expect(busy.every((a) => a.retryAfter === '1')).toBe(true);
    } finally {
      process.kill(victim!.pid, 'SIGCONT');
      await cluster.stop();
    }
  });
});
