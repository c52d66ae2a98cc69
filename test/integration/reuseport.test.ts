// LISTEN_MODE=reuseport on the real cluster: every worker holds a listener of its own on the API
// port and the manager none, new connections spread over the workers, the start says what
// net.ipv4.tcp_migrate_req is, and a SIGKILLed worker's replacement joins the port and serves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openIdle } from '../helpers/idle-connections.js';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { heldBy, listeningInodes } from '../helpers/listeners.js';
import { startTraffic } from '../../scripts/lib/traffic.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const WORKERS = 3;

describe('LISTEN_MODE=reuseport', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({
      env: { WORKERS: String(WORKERS), LISTEN_MODE: 'reuseport', WORKER_MIN_UPTIME_MS: '0' },
    });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('gives every worker a listener of its own on the API port, the manager none', async () => {
    const workers = await cluster.readyWorkers();
    const inodes = listeningInodes(cluster.apiPort);
    expect(inodes.size).toBe(WORKERS);
    expect(heldBy(cluster.proc.pid!, inodes)).toBe(0);
    for (const worker of workers) expect(heldBy(worker.pid, inodes)).toBe(1);
    // The start says whether a closing worker's queued connections survive.
    const line = cluster.logs().match(/.*"tcpMigrateReq".*every worker listens.*/)?.[0];
    expect(line).toBeDefined();
    const value = (JSON.parse(line!) as { tcpMigrateReq: string | null }).tcpMigrateReq;
    // And warns when they do not (the host's value here; both values: reuseport-disruptions).
    const warning = /"level":"warn".*tcp_migrate_req[= ].*reset the connections queued/;
    if (value === '1') expect(cluster.logs()).not.toMatch(warning);
    else expect(cluster.logs()).toMatch(warning);
  });

  it('spreads new connections over every worker, failing none', async () => {
    const pids = new Set((await cluster.readyWorkers()).map((w) => w.pid));
    const traffic = startTraffic(`${cluster.apiUrl}/`, 8, 60_000, { newConnections: true });
    // The kernel picks a listener by a hash of each connection's addresses: with a few hundred
    // fresh source ports every worker gets some.
    await waitUntil(
      () => traffic.result.ok >= 300 && traffic.result.pids.size >= WORKERS,
      'new connections answered by every worker',
      30_000,
    );
    const result = await traffic.stop();
    expect(result.errors).toEqual([]);
    expect(result.failed).toBe(0);
    expect([...result.pids].sort()).toEqual([...pids].sort());
  });

  it('replaces a SIGKILLed worker with one that listens on the port and serves', async () => {
    const before = await cluster.readyWorkers();
    const victim = before[0]!;
    process.kill(victim.pid, 'SIGKILL');
    const after = await waitUntil(async () => {
      const ready = await cluster.readyWorkers();
      const fresh = ready.filter((w) => !before.some((b) => b.pid === w.pid));
      return ready.length === WORKERS && fresh.length === 1 ? ready : undefined;
    }, 'a replacement');
    const replacement = after.find((w) => !before.some((b) => b.pid === w.pid))!;
    expect(heldBy(replacement.pid, listeningInodes(cluster.apiPort))).toBe(1);
    expect(listeningInodes(cluster.apiPort).size).toBe(WORKERS);
    const traffic = startTraffic(`${cluster.apiUrl}/`, 4, 60_000, { newConnections: true });
    await waitUntil(
      () => traffic.result.pids.has(replacement.pid),
      'the replacement to answer a new connection',
      30_000,
    );
    const result = await traffic.stop();
    expect(result.errors).toEqual([]);
    expect(result.failed).toBe(0);
  });
});

describe('LISTEN_MODE refused at start', () => {
  it.each([
    [{ LISTEN_MODE: 'reuseport', PORT: '0' }, /LISTEN_MODE="reuseport": needs a fixed PORT/],
    [{ LISTEN_MODE: 'roundrobin' }, /LISTEN_MODE="roundrobin": /],
  ])('%j: exit 2 naming the variable, no worker forked', async (env, message) => {
    const cluster = await startCluster({ env, waitForWorkers: 0 });
    const code = await Promise.race([
      cluster.exited,
      waitUntil(() => false, 'the manager to exit', 20_000).catch(() => 'still running'),
    ]);
    if (code === 'still running') cluster.proc.kill('SIGKILL');
    expect(code).toBe(2);
    expect(cluster.logs()).toMatch(message);
    expect(cluster.logs()).not.toMatch(/"role":"worker"/);
  });
});

describe('LISTEN_MODE=reuseport: the connection budget (ulimit -n 256, 1 worker)', () => {
  it('refuses a flood past the budget, keeps the worker, serves once it is gone', async () => {
    const cluster = await startCluster({
      env: { WORKERS: '1', LISTEN_MODE: 'reuseport' },
      maxOpenFiles: 256,
    });
    try {
      const before = (await cluster.status()).workers.map((w) => w.pid);
      const sockets = await openIdle(cluster.apiPort, 600);
      await waitUntil(
        () => /connection budget full/.test(cluster.logs()),
        'the worker to refuse past its budget',
        10_000,
      );
      for (const socket of sockets) socket.destroy();
      const traffic = startTraffic(`${cluster.apiUrl}/`, 2, 30_000, { newConnections: true });
      await waitUntil(() => traffic.result.ok >= 20, 'the API to serve again', 15_000);
      await traffic.stop();
      const after = await cluster.status();
      expect(after.workers.map((w) => w.pid)).toEqual(before);
      expect(after.workers.map((w) => w.restarts)).toEqual([0]);
      expect(cluster.logs()).not.toMatch(/worker crashed/);
    } finally {
      expect(await cluster.stop()).toBe(0);
    }
  });
});
