// `tsx scripts/listen-mode/disruption.ts --mode reuseport --event reload --rounds 3`: the real
// cluster under keep-alive AND new-connection load (separate loops, separate counts) while the
// event happens `rounds` times; prints one JSON line: what failed, in which load, with
// net.ipv4.tcp_migrate_req as this network namespace has it. Run it inside a namespace to try a
// value of the sysctl (scripts/lib/netns.ts): the load and the cluster must share loopback.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { startCluster, type ClusterHandle } from '../../test/helpers/cluster.js';
import { TCP_MIGRATE_REQ_PATH } from '../../src/listen-mode.js';
import { runInNetns, tsxCommand } from '../lib/netns.js';
import { startTraffic, type TrafficResult } from '../lib/traffic.js';
import { waitUntil } from '../lib/wait.js';

export const EVENTS = ['reload', 'scale-down', 'recycle', 'kill', 'hang'] as const;
export type DisruptionEvent = (typeof EVENTS)[number];

export interface LoadOutcome {
  sent: number;
  ok: number;
  failed: number;
  errors: string[];
  slowestMs: number;
}

export interface DisruptionReport {
  mode: string;
  event: DisruptionEvent;
  rounds: number;
  workers: number;
  tcpMigrateReq: string | null;
  keepAlive: LoadOutcome;
  newConnections: LoadOutcome;
  durationMs: number;
}

const LOOPS = 8;
/** WORKER_TIMEOUT_MS of the hang event: how long a stopped worker holds its connections. */
const HANG_TIMEOUT_MS = 2_000;
/** Enough requests for a recycle to come round every second or so under this load. */
const RECYCLE_AFTER = 1_500;

const outcome = (r: TrafficResult): LoadOutcome => ({
  sent: r.sent,
  ok: r.ok,
  failed: r.failed,
  errors: r.errors.slice(0, 5),
  slowestMs: Math.round(r.slowestMs),
});

const pids = async (c: ClusterHandle) => (await c.status()).workers.map((w) => w.pid);

/** Settled: `count` workers, all ready, no reload running. */
async function settled(c: ClusterHandle, count: number): Promise<number[] | undefined> {
  const s = await c.status();
  const ok = !s.manager.reloading && s.workers.length === count;
  return ok && s.workers.every((w) => w.state === 'ready')
    ? s.workers.map((w) => w.pid)
    : undefined;
}

async function once(c: ClusterHandle, event: DisruptionEvent, workers: number): Promise<void> {
  const before = new Set(await pids(c));
  const replaced = async () => {
    const now = await settled(c, workers);
    return now && now.filter((pid) => !before.has(pid)).length;
  };
  switch (event) {
    case 'reload':
      c.proc.kill('SIGHUP');
      await waitUntil(async () => (await replaced()) === workers, 'a reload', 60_000);
      return;
    case 'scale-down':
      c.proc.kill('SIGTTIN');
      await waitUntil(() => settled(c, workers + 1), 'one worker more', 30_000);
      c.proc.kill('SIGTTOU');
      await waitUntil(() => settled(c, workers), 'one worker fewer', 30_000);
      return;
    case 'recycle': {
      const restarts = async () => (await c.status()).workers.reduce((n, w) => n + w.restarts, 0);
      const start = await restarts();
      await waitUntil(async () => (await restarts()) > start, 'a recycle', 60_000);
      await waitUntil(() => settled(c, workers), 'the recycled slot ready', 30_000);
      return;
    }
    case 'kill':
    case 'hang': {
      // hang: stopped, it holds what it accepted and what is queued at it until the manager kills
      // it as hung (WORKER_TIMEOUT_MS, HANG_TIMEOUT_MS here).
      const [victim] = [...before];
      if (victim !== undefined) process.kill(victim, event === 'kill' ? 'SIGKILL' : 'SIGSTOP');
      await waitUntil(async () => (await replaced()) === 1, 'a replacement', 30_000);
      return;
    }
  }
}

export async function runDisruption(options: {
  mode: string;
  event: DisruptionEvent;
  rounds: number;
  workers: number;
}): Promise<DisruptionReport> {
  const { mode, event, rounds, workers } = options;
  const cluster = await startCluster({
    env: {
      WORKERS: String(workers),
      LISTEN_MODE: mode,
      LOG_LEVEL: 'warn',
      // A worker killed by the event is replaced at once, not after a back-off.
      WORKER_MIN_UPTIME_MS: '0',
      ...(event === 'hang' && { WORKER_TIMEOUT_MS: String(HANG_TIMEOUT_MS) }),
      ...(event === 'recycle' && {
        WORKER_MAX_REQUESTS: String(RECYCLE_AFTER),
        WORKER_MAX_REQUESTS_JITTER: '0',
      }),
    },
  });
  const started = Date.now();
  const keepAlive = startTraffic(`${cluster.apiUrl}/`, LOOPS, 300_000);
  const fresh = startTraffic(`${cluster.apiUrl}/`, LOOPS, 300_000, { newConnections: true });
  try {
    await waitUntil(() => keepAlive.result.ok > 200 && fresh.result.ok > 200, 'load', 20_000);
    for (let round = 0; round < rounds; round += 1) {
      await once(cluster, event, workers);
      // Load on the new workers for a moment before the next round.
      const [a, b] = [keepAlive.result.ok, fresh.result.ok];
      await waitUntil(
        () => keepAlive.result.ok > a + 100 && fresh.result.ok > b + 100,
        'load after the event',
        20_000,
      );
    }
  } finally {
    await Promise.all([keepAlive.stop(), fresh.stop()]);
    await cluster.stop();
  }
  let tcpMigrateReq: string | null = null;
  try {
    tcpMigrateReq = fs.readFileSync(TCP_MIGRATE_REQ_PATH, 'utf8').trim();
  } catch {
    // Reported as null.
  }
  return {
    mode,
    event,
    rounds,
    workers,
    tcpMigrateReq,
    keepAlive: outcome(keepAlive.result),
    newConnections: outcome(fresh.result),
    durationMs: Date.now() - started,
  };
}

const SELF = 'scripts/listen-mode/disruption.ts';

/** runDisruption in a network namespace of its own with tcp_migrate_req=`migrateReq`. */
export async function runDisruptionInNetns(
  migrateReq: 0 | 1,
  options: { mode: string; event: DisruptionEvent; rounds: number; workers?: number },
): Promise<DisruptionReport> {
  const args = [
    '--mode',
    options.mode,
    '--event',
    options.event,
    '--rounds',
    String(options.rounds),
  ];
  if (options.workers !== undefined) args.push('--workers', String(options.workers));
  const run = await runInNetns(migrateReq, tsxCommand(SELF, args), 150_000);
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.code !== 0 || !line.startsWith('{')) {
    throw new Error(`${SELF} ${args.join(' ')} exited ${run.code}:\n${run.stderr.slice(-3000)}`);
  }
  return JSON.parse(line) as DisruptionReport;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string', default: 'reuseport' },
      event: { type: 'string', default: 'reload' },
      rounds: { type: 'string', default: '3' },
      workers: { type: 'string', default: '2' },
    },
  });
  const event = values.event as DisruptionEvent;
  if (!EVENTS.includes(event)) throw new Error(`--event must be one of ${EVENTS.join(', ')}`);
  const report = await runDisruption({
    mode: values.mode,
    event,
    rounds: Number(values.rounds),
    workers: Number(values.workers),
  });
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0);
}
