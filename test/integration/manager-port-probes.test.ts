// Probes on a full manager port. Kubernetes' liveness and readiness probes ask the manager port,
// where METRICS_MAX_CONNECTIONS bounds the connections open at once. A client that keeps that
// many idle connections open (reopening each one the server cuts) must not make the probes fail:
// at the cap, a new connection takes the place of the longest-idle one.
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';
import { openFds } from '../helpers/processes.js';
import { waitUntil } from '../../scripts/lib/wait.js';

/** Keeps `count` idle connections open, reopening each one the server cuts, until stopped. */
function holdOpen(port: number, count: number) {
  let running = true;
  const stats = { opened: 0, cut: 0 };
  const sockets = new Set<net.Socket>();
  const open = () => {
    if (!running) return;
    const socket = net.connect(port, '127.0.0.1');
    sockets.add(socket);
    stats.opened += 1;
    socket.on('error', () => undefined);
    // Read what the server sends, or its close goes unnoticed.
    socket.resume();
    socket.once('close', () => {
      sockets.delete(socket);
      if (running) stats.cut += 1;
      // A fresh connection in place of the cut one, as long as the test runs.
      setImmediate(open);
    });
  };
  for (let i = 0; i < count; i += 1) open();
  return {
    stats,
    open: () => [...sockets].filter((s) => !s.connecting && !s.destroyed).length,
    stop() {
      running = false;
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** One GET on a fresh connection (as the kubelet probes), given up after `timeoutMs`. */
function probe(port: number, path: string, timeoutMs: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', (error) => resolve(error.message));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.once('error', (error) => resolve(error.message));
  });
}

describe('probes on a manager port held full by idle clients', () => {
  it('answers every /livez, /readyz and /healthz within 1 s while 120 idle connections are held, and the API serves', async () => {
    const maxOpenFiles = 256;
    // METRICS_MAX_CONNECTIONS at its default (100); a short headers timeout so the server cuts
    // the idle connections (and the client reopens them) several times during the test.
    const cluster = await startCluster({
      env: { WORKERS: '2', HTTP_HEADERS_TIMEOUT_MS: '2000' },
      unset: ['METRICS_MAX_CONNECTIONS'],
      maxOpenFiles,
    });
    const holder = holdOpen(cluster.metricsPort, 120);
    try {
      await waitUntil(
        () => holder.open() >= 100,
        'the idle client to hold 100 connections to the manager port',
        10_000,
      );
      const paths = ['/livez', '/readyz', '/healthz'];
      const answers: { path: string; answer: number | string }[] = [];
      const api: (number | string)[] = [];
      // Bounded: 30 rounds, over about 5 headers timeouts of cut-and-reopen.
      for (let i = 0; i < 30; i += 1) {
        const path = paths[i % paths.length]!;
        answers.push({ path, answer: await probe(cluster.metricsPort, path, 1_000) });
        api.push(await probe(cluster.apiPort, '/api/hello?name=probe', 5_000));
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      const ok = answers.filter((a) => a.answer === 200).length;
      const fds = openFds(cluster.proc.pid!);
      console.log(
        `[reliability] 120 idle connections held on the manager port (cap 100, ulimit -n ${maxOpenFiles}), ` +
          `${holder.stats.cut} cut and reopened: probes ${ok}/${answers.length} answered 200 within 1 s, ` +
          `API ${api.filter((s) => s === 200).length}/${api.length}, manager fds ${fds}`,
      );
      expect(holder.stats.cut, 'the server cut idle connections meanwhile').toBeGreaterThan(0);
      expect(answers.filter((a) => a.answer !== 200)).toEqual([]);
      expect(api).toEqual(Array(api.length).fill(200));
      expect(fds).toBeLessThan(maxOpenFiles - 50);
      // The operator is told: evictions are logged with their count.
      expect(cluster.logs()).toMatch(/"evicted":[1-9]\d*.*METRICS_MAX_CONNECTIONS/);
    } finally {
      holder.stop();
      await cluster.stop();
    }
  });
});
