// Row 7: LISTEN_MODE=shared (node:cluster round-robin through the manager) vs reuseport (every
// worker on the port itself), the real cluster (dist/main.js), 2 workers each, both up at once.
// Per round, sides in ABBA order:
//   7  new connections  wrk -t1 -c16 -H 'Connection: close' GET /api/hello
//   7b keep-alive       autocannon, 16 connections, GET /api/hello
// Ratios: median of per-round reuseport / shared throughput; p99 latency per side (median over
// rounds). Then, per side:
//   7c the manager SIGSTOPped for 1 s: new connections answered while it is stopped
//   7d failed requests during a rolling reload under keep-alive and new-connection load
//      (scripts/listen-mode/disruption.ts), with this host's net.ipv4.tcp_migrate_req.
import type { ListenMode } from '../../src/listen-mode.js';
import { runDisruption, type DisruptionReport } from '../../scripts/listen-mode/disruption.js';
import {
  describeStopped,
  requestsWhileStopped,
  type StoppedAttempt,
} from '../../scripts/listen-mode/manager-stopped.js';
import { runLoad, type LoadResult } from '../lib/load.js';
import { startCluster, stopAll, type Cluster } from '../lib/service.js';
import { interleavedOrder, median, pairedRatio } from '../lib/stats.js';
import { fmtMs, fmtRatio, fmtRps, type TableRow } from '../lib/table.js';
import type { BenchContext, RowOutcome } from '../lib/types.js';
import { assertWrk, runWrkClose, type WrkResult } from '../lib/wrk.js';

const WORKERS = 2;
const CONNECTIONS = 16;
const STOP_MS = 1_000;
const RELOADS = 2;
const MODES: readonly ListenMode[] = ['shared', 'reuseport'];

interface Side {
  close: WrkResult[];
  keepAlive: LoadResult[];
  stopped: StoppedAttempt[];
  reload?: DisruptionReport;
}

const describeSide = (rps: number[], p99: number[]) =>
  `${fmtRps(median(rps))} req/s, p99 ${fmtMs(median(p99))}`;

export async function listenModeRows(ctx: BenchContext): Promise<RowOutcome> {
  await assertWrk();
  const clusters: Partial<Record<ListenMode, Cluster>> = {};
  const sides: Record<ListenMode, Side> = {
    shared: { close: [], keepAlive: [], stopped: [] },
    reuseport: { close: [], keepAlive: [], stopped: [] },
  };
  const rounds = ctx.options.listenRounds;
  const runS = ctx.options.connectionRunS;
  try {
    for (const mode of MODES) {
      clusters[mode] = await startCluster({
        label: `cluster (${mode})`,
        workers: WORKERS,
        env: { LISTEN_MODE: mode },
      });
    }
    const url = (mode: ListenMode) => `${clusters[mode]!.apiUrl}/api/hello`;
    for (const mode of MODES) {
      await runWrkClose(url(mode), { connections: CONNECTIONS, durationS: ctx.options.warmupS });
    }
    for (let round = 0; round < rounds; round += 1) {
      for (const mode of interleavedOrder(round, 'shared', 'reuseport') as ListenMode[]) {
        const close = await runWrkClose(url(mode), { connections: CONNECTIONS, durationS: runS });
        sides[mode].close.push(close);
        ctx.log(`round ${round + 1} ${mode}: Connection: close ${fmtRps(close.rps)} req/s`);
      }
      for (const mode of interleavedOrder(round, 'reuseport', 'shared') as ListenMode[]) {
        const load = await runLoad(url(mode), { connections: CONNECTIONS, durationS: runS });
        sides[mode].keepAlive.push(load);
        ctx.log(`round ${round + 1} ${mode}: keep-alive ${fmtRps(load.rps)} req/s`);
      }
    }
    for (const mode of MODES) {
      const cluster = clusters[mode]!;
      sides[mode].stopped = await requestsWhileStopped(url(mode), cluster.child.pid, STOP_MS);
      // Resumed and settled before anything else runs.
      await cluster.waitForReady(WORKERS);
      ctx.log(`${mode}, manager stopped ${STOP_MS} ms: ${describeStopped(sides[mode].stopped)}`);
    }
  } finally {
    await stopAll(Object.values(clusters));
  }
  for (const mode of MODES) {
    sides[mode].reload = await runDisruption({
      mode,
      event: 'reload',
      rounds: RELOADS,
      workers: WORKERS,
    });
    ctx.log(`${mode}: ${JSON.stringify(sides[mode].reload)}`);
  }
  return { rows: rowsOf(sides), notes: notesOf(sides), data: { ...sides } };
}

function rowsOf(sides: Record<ListenMode, Side>): TableRow[] {
  const { shared, reuseport } = sides;
  const rps = (side: Side, kind: 'close' | 'keepAlive') => side[kind].map((r) => r.rps);
  const p99 = (side: Side, kind: 'close' | 'keepAlive') => side[kind].map((r) => r.latencyP99Ms);
  const row = (kind: 'close' | 'keepAlive', id: string, what: string): TableRow => ({
    id,
    what,
    measured:
      `shared ${describeSide(rps(shared, kind), p99(shared, kind))}; ` +
      `reuseport ${describeSide(rps(reuseport, kind), p99(reuseport, kind))}`,
    ratio: fmtRatio(pairedRatio(rps(shared, kind), rps(reuseport, kind)).median),
    goal: 'none (decides LISTEN_MODE)',
    status: 'info',
  });
  const stopped = (side: Side) => {
    const answered = side.stopped.filter((a) => a.answeredWhileStopped).length;
    return `${answered}/${side.stopped.length} answered, max ${fmtMs(Math.max(...side.stopped.map((a) => a.latencyMs)))}`;
  };
  const reload = (side: Side) => {
    const r = side.reload!;
    return `keep-alive ${r.keepAlive.failed}/${r.keepAlive.sent}, new conns ${r.newConnections.failed}/${r.newConnections.sent} failed`;
  };
  return [
    row(
      'close',
      '7 listen: new conns',
      `new-connection throughput, reuseport / shared (${WORKERS} workers, wrk -c${CONNECTIONS} Connection: close)`,
    ),
    row(
      'keepAlive',
      '7b listen: keep-alive',
      `keep-alive throughput, reuseport / shared (${WORKERS} workers, autocannon -c${CONNECTIONS})`,
    ),
    {
      id: '7c listen: manager stopped',
      what: `new connections while the manager is SIGSTOPped ${STOP_MS} ms`,
      measured: `shared ${stopped(shared)}; reuseport ${stopped(reuseport)}`,
      ratio: 'n/a',
      goal: 'none',
      status: 'info',
    },
    {
      id: '7d listen: reload',
      what: `failed requests, ${RELOADS} reloads under keep-alive + new-connection load, tcp_migrate_req=${reuseport.reload?.tcpMigrateReq ?? '?'}`,
      measured: `shared ${reload(shared)}; reuseport ${reload(reuseport)}`,
      ratio: 'n/a',
      goal: '0 failed',
      status: [shared, reuseport].every(
        (s) => s.reload!.keepAlive.failed + s.reload!.newConnections.failed === 0,
      )
        ? 'pass'
        : 'FAIL',
    },
  ];
}

function notesOf(sides: Record<ListenMode, Side>): string[] {
  const notes: string[] = [];
  for (const mode of MODES) {
    const side = sides[mode];
    const errors = side.close.reduce((n, r) => n + r.socketErrors + r.non2xx, 0);
    notes.push(
      `Row 7 ${mode}: per-round Connection: close ${side.close.map((r) => fmtRps(r.rps)).join(' / ')} req/s ` +
        `(${errors} socket errors or non-2xx), keep-alive ${side.keepAlive.map((r) => fmtRps(r.rps)).join(' / ')} req/s; ` +
        `manager stopped: ${describeStopped(side.stopped)}.`,
    );
    const r = side.reload;
    if (r && r.keepAlive.errors.length + r.newConnections.errors.length > 0) {
      notes.push(
        `Row 7d ${mode} errors: ${[...r.keepAlive.errors, ...r.newConnections.errors].join('; ')}`,
      );
    }
  }
  notes.push(
    'Row 7d: with LISTEN_MODE=reuseport a draining worker closes its listener, and the kernel ' +
      'resets the connections already queued at it unless net.ipv4.tcp_migrate_req=1 moves them ' +
      'to another worker (docs/reference.md, LISTEN_MODE).',
  );
  return notes;
}
