// Row 7: LISTEN_MODE=shared (node:cluster round-robin through the manager) vs reuseport (every
// worker on the port itself), the real cluster (dist/main.js), 2 workers each, both up at once.
// Per round, sides in ABBA order:
//   7  new connections  wrk -t1 -c16 -H 'Connection: close' GET /api/hello
//   7b keep-alive       autocannon, 16 connections, GET /api/hello
// Ratios: median of per-round reuseport / shared throughput; p99 latency per side (median over
// rounds). Then, per side:
//   7c the manager SIGSTOPped for 1 s: new connections answered while it is stopped
//   7d-7e failed requests during rolling reloads under keep-alive and new-connection load
//      (scripts/listen-mode/disruption.ts), each run in a network namespace of its own with
//      net.ipv4.tcp_migrate_req set: shared at 0, reuseport at 1 and at 0. Where no namespace
//      can be made, at this host's value.
import type { ListenMode } from '../../src/listen-mode.js';
import { canMakeNetns } from '../../scripts/lib/netns.js';
import {
  runDisruption,
  runDisruptionInNetns,
  type DisruptionReport,
} from '../../scripts/listen-mode/disruption.js';
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
  /** By tcp_migrate_req value ('host' when no namespace could be made). */
  reloads: Record<string, DisruptionReport>;
}

const describeSide = (rps: number[], p99: number[]) =>
  `${fmtRps(median(rps))}, p99 ${fmtMs(median(p99))}`;

export async function listenModeRows(ctx: BenchContext): Promise<RowOutcome> {
  await assertWrk();
  const clusters: Partial<Record<ListenMode, Cluster>> = {};
  const sides: Record<ListenMode, Side> = {
    shared: { close: [], keepAlive: [], stopped: [], reloads: {} },
    reuseport: { close: [], keepAlive: [], stopped: [], reloads: {} },
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
        ctx.log(`round ${round + 1} ${mode}: Connection: close ${fmtRps(close.rps)}`);
      }
      for (const mode of interleavedOrder(round, 'reuseport', 'shared') as ListenMode[]) {
        const load = await runLoad(url(mode), { connections: CONNECTIONS, durationS: runS });
        sides[mode].keepAlive.push(load);
        ctx.log(`round ${round + 1} ${mode}: keep-alive ${fmtRps(load.rps)}`);
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
  const netns = canMakeNetns();
  const runs: Array<[ListenMode, 0 | 1]> = [
    ['shared', 0],
    ['reuseport', 1],
    ['reuseport', 0],
  ];
  for (const [mode, migrateReq] of netns.ok ? runs : runs.slice(0, 2)) {
    const options = { mode, event: 'reload' as const, rounds: RELOADS, workers: WORKERS };
    const report = netns.ok
      ? await runDisruptionInNetns(migrateReq, options)
      : await runDisruption(options);
    sides[mode].reloads[netns.ok ? String(migrateReq) : 'host'] = report;
    ctx.log(`${mode}, tcp_migrate_req=${report.tcpMigrateReq}: ${JSON.stringify(report)}`);
  }
  const notes = netns.ok
    ? []
    : [`Rows 7d-7e: no network namespace (${netns.why}): reloads at this host's tcp_migrate_req.`];
  return { rows: rowsOf(sides), notes: [...notes, ...notesOf(sides)], data: { ...sides } };
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
  const failed = (r: DisruptionReport) => r.keepAlive.failed + r.newConnections.failed;
  const reloads = (side: Side) =>
    Object.values(side.reloads)
      .map(
        (r) =>
          `tcp_migrate_req=${r.tcpMigrateReq}: keep-alive ${r.keepAlive.failed}/${r.keepAlive.sent}, ` +
          `new connections ${r.newConnections.failed}/${r.newConnections.sent} failed`,
      )
      .join('; ');
  /** Judged at tcp_migrate_req=1 where measured (the setting reuseport asks for), else all. */
  const judged = (side: Side) => {
    const one = side.reloads['1'];
    return one ? [one] : Object.values(side.reloads);
  };
  const reloadRow = (mode: ListenMode, id: string): TableRow => ({
    id,
    what: `failed requests, ${RELOADS} reloads, ${mode}, under keep-alive + new-connection load`,
    measured: reloads(sides[mode]),
    ratio: 'n/a',
    goal: mode === 'shared' ? '0 failed' : '0 failed at tcp_migrate_req=1',
    status: judged(sides[mode]).every((r) => failed(r) === 0) ? 'pass' : 'FAIL',
  });
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
    reloadRow('shared', '7d listen: reload, shared'),
    reloadRow('reuseport', '7e listen: reload, reuseport'),
  ];
}

function notesOf(sides: Record<ListenMode, Side>): string[] {
  const notes: string[] = [];
  for (const mode of MODES) {
    const side = sides[mode];
    const errors = side.close.reduce((n, r) => n + r.socketErrors + r.non2xx, 0);
    notes.push(
      `Row 7 ${mode}: per-round Connection: close ${side.close.map((r) => fmtRps(r.rps)).join(' / ')} ` +
        `(${errors} socket errors or non-2xx), keep-alive ${side.keepAlive.map((r) => fmtRps(r.rps)).join(' / ')}; ` +
        `manager stopped: ${describeStopped(side.stopped)}.`,
    );
    for (const r of Object.values(side.reloads)) {
      const errors = [...r.keepAlive.errors, ...r.newConnections.errors];
      if (errors.length > 0) {
        notes.push(`Rows 7d-7e ${mode}, tcp_migrate_req=${r.tcpMigrateReq}: ${errors.join('; ')}`);
      }
    }
  }
  notes.push(
    'Rows 7d-7e: with LISTEN_MODE=reuseport a draining worker closes its listener, and the kernel ' +
      'resets the connections already queued at it unless net.ipv4.tcp_migrate_req=1 moves them ' +
      'to another worker (docs/reference.md, LISTEN_MODE).',
  );
  return notes;
}
