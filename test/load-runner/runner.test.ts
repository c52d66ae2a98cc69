// runLoad end to end against a tiny in-process stand-in for the service and its manager (the
// real cluster is exercised in test/integration/k6-endpoints.test.ts): counting, failure
// accounting, the reload trigger, the memory watch and the report.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatResult, runLoad } from '../../scripts/load/index.js';

const TOKEN = 'fake-admin-token-0123456789';

interface Fake {
  url: string;
  managerUrl: string;
  /** Status the API answers for /api/hello (to inject failures). */
  helloStatus: number;
  /** When > 0, every n-th /api/hello is dropped: the socket is closed without an answer. */
  dropEvery: number;
  /** When > 0, every n-th /api/hello is answered with `Connection: close`. */
  closeEvery: number;
  hellos: number;
  reloads: number;
  close(): Promise<void>;
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function startFake(): Promise<Fake> {
  let pids = [101, 102];
  let reloading = false;
  const fake = { helloStatus: 200, dropEvery: 0, closeEvery: 0, hellos: 0, reloads: 0 } as Fake;
  const api = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'application/json');
    req.resume();
    if (pathname === '/api/hello') fake.hellos += 1;
    if (pathname === '/api/hello' && fake.dropEvery > 0 && fake.hellos % fake.dropEvery === 0) {
      req.socket.end(); // what a draining server racing a keep-alive request looks like
    } else if (
      pathname === '/api/hello' &&
      fake.closeEvery > 0 &&
      fake.hellos % fake.closeEvery === 0
    ) {
      res.setHeader('connection', 'close'); // what a draining worker answers; then it closes
      res.end('{"ok":true}');
    } else if (pathname === '/api/hello' && fake.helloStatus !== 200) {
      res.statusCode = fake.helloStatus;
      res.end('{"error":{"code":"injected","message":"injected failure"}}');
    } else if (pathname === '/api/delay') {
      setTimeout(() => res.end('{"waited":true}'), 2);
    } else {
      res.end('{"ok":true}');
    }
  });
  const manager = http.createServer((req, res) => {
    if (req.url === '/status') {
      res.end(
        JSON.stringify({
          manager: { pid: 100, reloading },
          workers: pids.map((pid, slot) => ({
            slot,
            pid,
            state: 'ready',
            restarts: fake.reloads * 2,
            residentMemoryBytes: 64 * 1024 * 1024,
          })),
        }),
      );
    } else if (req.url === '/reload' && req.method === 'POST') {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.statusCode = 401;
        res.end('{"error":{"code":"unauthorized","message":"bad token"}}');
        return;
      }
      reloading = true;
      setTimeout(() => {
        pids = pids.map((p) => p + 100);
        fake.reloads += 1;
        reloading = false;
      }, 300);
      res.statusCode = 202;
      res.end('{"accepted":true}');
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  fake.url = await listen(api);
  fake.managerUrl = await listen(manager);
  fake.close = async () => {
    api.closeAllConnections();
    manager.closeAllConnections();
    await Promise.all([
      new Promise((resolve) => api.close(resolve)),
      new Promise((resolve) => manager.close(resolve)),
    ]);
  };
  return fake;
}

let fake: Fake;
beforeAll(async () => {
  fake = await startFake();
});
afterAll(async () => {
  await fake.close();
});

describe('runLoad', () => {
  it('counts requests, statuses and latency, and passes a clean run', async () => {
    fake.helloStatus = 200;
    const progress: string[] = [];
    const result = await runLoad({
      scenario: 'load',
      url: fake.url,
      durationSec: 3,
      connections: 2,
      rate: 100,
      onProgress: (line) => progress.push(line),
    });
    expect(result.ok).toBe(true);
    expect(result.requests).toBeGreaterThan(50);
    expect(result.responses).toBe(result.requests);
    expect(result.errors).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(result.statusCodes).toEqual({ '200': result.requests });
    expect(result.latencyMs.count).toBe(result.responses);
    expect(result.latencyMs.p99).toBeGreaterThan(0);
    expect(result.rps).toBeGreaterThan(0);
    expect(result.phases.length).toBeGreaterThan(1);
    expect(result.durationSec).toBeGreaterThanOrEqual(2.9);
    expect(result.durationSec).toBeLessThan(5);
    expect(progress.some((l) => l.startsWith('phase hold'))).toBe(true);
    const report = formatResult(result);
    for (const word of ['requests:', 'non-2xx:', 'errors:', 'p50', 'p90', 'p99', 'max', 'rps:']) {
      expect(report).toContain(word);
    }
    expect(report).toContain('PASSED');
  });

  it('counts non-2xx answers as failures and fails the run', async () => {
    fake.helloStatus = 500;
    try {
      const result = await runLoad({ scenario: 'smoke', url: fake.url, durationSec: 1 });
      expect(result.non2xx).toBeGreaterThan(0);
      expect(result.statusCodes['500']).toBe(result.non2xx);
      expect(result.ok).toBe(false);
      expect(result.thresholds.find((t) => t.name === 'error rate')?.ok).toBe(false);
      expect(formatResult(result)).toContain('FAIL error rate');
    } finally {
      fake.helloStatus = 200;
    }
  });

  it('counts requests the server dropped with the connection as errors, timing the rest right', async () => {
    fake.dropEvery = 25;
    try {
      const result = await runLoad({
        scenario: 'load',
        url: fake.url,
        durationSec: 2,
        connections: 2,
        rate: 100,
        maxErrorRate: 0,
      });
      expect(result.lostRequests).toBeGreaterThan(0);
      expect(result.errors).toBe(result.lostRequests);
      expect(result.errorSamples[0]).toMatch(/server closed the connection without answering/);
      expect(result.ok).toBe(false);
      // Without realigning autocannon's queue, every later response on a connection would be
      // timed from the request before it (tens to hundreds of ms here).
      expect(result.latencyMs.p90).toBeLessThan(15);
    } finally {
      fake.dropEvery = 0;
    }
  });

  it('does not blame the server for requests written after its "Connection: close"', async () => {
    fake.closeEvery = 10;
    try {
      const result = await runLoad({
        scenario: 'load',
        url: fake.url,
        durationSec: 1,
        connections: 2,
        rate: 0, // unthrottled: autocannon writes the next request the moment an answer arrives
        maxErrorRate: 0,
      });
      expect(result.discarded).toBeGreaterThan(0);
      expect(result.errors).toBe(0);
      expect(result.lostRequests).toBe(0);
      expect(result.ok).toBe(true);
      expect(formatResult(result)).toContain('discarded:');
    } finally {
      fake.closeEvery = 0;
    }
  });

  it('counts connection errors when nothing listens, and says so', async () => {
    const closed = http.createServer();
    const url = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const result = await runLoad({ scenario: 'smoke', url, durationSec: 1 });
    expect(result.responses).toBe(0);
    expect(result.errors).toBeGreaterThan(0);
    expect(result.errorSamples).toContain('ECONNREFUSED');
    expect(result.ok).toBe(false);
    expect(formatResult(result)).toContain('is the service listening');
  });

  it('triggers POST /reload mid-run and waits for every worker to be replaced', async () => {
    const reloadsBefore = fake.reloads;
    const result = await runLoad({
      scenario: 'reload',
      url: fake.url,
      managerUrl: fake.managerUrl,
      adminToken: TOKEN,
      durationSec: 2,
      connections: 2,
      rate: 50,
    });
    expect(fake.reloads).toBe(reloadsBefore + 1);
    expect(result.reload).toMatchObject({ status: 202, accepted: true, completed: true });
    expect(result.reload?.triggeredAtSec).toBeGreaterThanOrEqual(0.4); // 25 % of 2 s
    expect(result.reload?.triggeredAtSec).toBeLessThan(1.2);
    expect(result.reload?.completedAfterSec).toBeGreaterThan(0);
    expect(result.errors + result.non2xx).toBe(0);
    expect(result.ok).toBe(true);
  });

  it('fails the reload scenario when the manager refuses the token', async () => {
    const result = await runLoad({
      scenario: 'reload',
      url: fake.url,
      managerUrl: fake.managerUrl,
      adminToken: 'wrong-token-0123456789',
      durationSec: 1,
      connections: 2,
      rate: 50,
    });
    expect(result.reload).toMatchObject({ status: 401, accepted: false, completed: false });
    expect(result.ok).toBe(false);
  });

  it('refuses to start a reload run when the manager cannot be read', async () => {
    await expect(
      runLoad({
        scenario: 'reload',
        url: fake.url,
        managerUrl: 'http://127.0.0.1:1',
        adminToken: TOKEN,
        durationSec: 2,
      }),
    ).rejects.toThrow(/cannot read the manager's \/status/);
  });

  it('soak reads worker memory at the start and the end', async () => {
    const result = await runLoad({
      scenario: 'soak',
      url: fake.url,
      managerUrl: fake.managerUrl,
      durationSec: 1,
      connections: 2,
      rate: 20,
    });
    expect(result.memory).toEqual({
      startMaxRssBytes: 64 * 1024 * 1024,
      endMaxRssBytes: 64 * 1024 * 1024,
      restarts: 0,
    });
  });

  it('stops early on abort and reports what it measured', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 700);
    const started = Date.now();
    const result = await runLoad({
      scenario: 'load',
      url: fake.url,
      durationSec: 30,
      connections: 2,
      signal: controller.signal,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.aborted).toBe(true);
    expect(result.ok).toBe(false);
    expect(result.requests).toBeGreaterThan(0);
  });

  it('refuses non-loopback targets before sending anything', async () => {
    await expect(runLoad({ scenario: 'smoke', url: 'http://192.0.2.1:8080' })).rejects.toThrow(
      /refusing to send load/,
    );
  });
});
