// Failures the manager must not paper over: a port it cannot have, and bad configuration.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';
import { freePort } from '../../scripts/lib/free-port.js';

describe('boot failures', () => {
  it('exits non-zero within 60 s, saying why, when the API port is taken', async () => {
    const port = await freePort();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const cluster = await startCluster({
        env: { WORKERS: '2', PORT: String(port) },
        waitForWorkers: 0,
      });
      const code = await Promise.race([
        cluster.exited,
        new Promise((resolve) => setTimeout(() => resolve('still running'), 60_000)),
      ]);
      expect(code).toBe(1);
      expect(Date.now() - started).toBeLessThan(60_000);
      const logs = cluster.logs();
      expect(logs).toMatch(/EADDRINUSE/);
      expect(logs).toMatch(/giving up/);
    } finally {
      blocker.close();
    }
  });

  it('exits 1 at once, forking nothing, when the manager endpoint port is taken', async () => {
    const port = await freePort();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const cluster = await startCluster({
        env: { WORKERS: '2', METRICS_PORT: String(port) },
        waitForWorkers: 0,
      });
      expect(await cluster.exited).toBe(1);
      const logs = cluster.logs();
      // Said by the manager, with the reason, before any worker was forked.
      expect(logs).toMatch(/"level":"fatal".*cannot open the manager endpoint on 127\.0\.0\.1:\d+/);
      expect(logs).toMatch(/EADDRINUSE/);
      expect(logs).not.toMatch(/worker forked/);
    } finally {
      blocker.close();
    }
  });

  it('refuses bad configuration with exit code 2 and names the variable', async () => {
    const cluster = await startCluster({
      env: { WORKERS: 'many', METRICS_COLLECT_TIMEOUT_MS: '5' },
      waitForWorkers: 0,
    });
    expect(await cluster.exited).toBe(2);
    expect(cluster.logs()).toMatch(/WORKERS="many"/);
    expect(cluster.logs()).toMatch(/METRICS_COLLECT_TIMEOUT_MS/);
  });
});
