// Rows 8-8c: ours vs PM2 in cluster mode, running the same application. Ours is dist/main.js at
// its defaults with 2 workers; PM2 (a pinned dev dependency, bench/lib/pm2.ts) runs
// bench/servers/pm2-app.mjs with `instances: 2, exec_mode: cluster` (PM2's round-robin through
// node:cluster): the worker's own request path built from dist/, so both serve identical code.
// Both up at once, sides alternating (ABBA):
//   8  keep-alive throughput: autocannon, 16 connections, GET /api/hello (as row 7b); ratio =
//      median of per-round ours / PM2; p99 per side
//   8b SIGKILL of the oldest worker -> a new pid answers GET / (row 5's probe); ours / PM2
//   8c failed requests during a reload under row 6's keep-alive load: ours SIGHUP vs `pm2 reload`
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runLoad, type LoadResult } from '../lib/load.js';
import { APP_NAME, startPm2, type Pm2Cluster } from '../lib/pm2.js';
import { ROOT, sleep } from '../lib/procs.js';
import { startCluster, stopAll, type Cluster } from '../lib/service.js';
import { interleavedOrder, median, pairedRatio, summarize } from '../lib/stats.js';
import { fmtInt, fmtMs, fmtRatio, fmtRps, type TableRow } from '../lib/table.js';
import type { BenchContext, RowOutcome } from '../lib/types.js';
import { killAndWait, livePids, MIN_UPTIME_MS, PROBE_INTERVAL_MS } from './kill.js';
import { CONNECTIONS, reloadUnderLoad, type ReloadRun } from './reload.js';

const WORKERS = 2;
/** src/config.ts's default SHUTDOWN_TIMEOUT_MS: the drain both sides' workers get. */
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** PM2's kill_timeout: our manager's backstop for a draining worker (supervisor.ts: +2 s). */
const PM2_KILL_TIMEOUT_MS = SHUTDOWN_TIMEOUT_MS + 2_000;
/** PM2's default min_uptime (1 s) plus a margin: the victim is a stable instance there too. */
const PM2_MIN_UPTIME_MS = 1_000 + 500;

type SideName = 'ours' | 'pm2';
const SIDES = { a: 'ours', b: 'pm2' } as const;

interface Side {
  keepAlive: LoadResult[];
  killServingMs: number[];
  reloads: ReloadRun[];
}

export async function pm2Rows(ctx: BenchContext): Promise<RowOutcome> {
  const sides: Record<SideName, Side> = {
    ours: { keepAlive: [], killServingMs: [], reloads: [] },
    pm2: { keepAlive: [], killServingMs: [], reloads: [] },
  };
  let ours: Cluster | undefined;
  let pm2: Pm2Cluster | undefined;
  try {
    ours = await startCluster({ label: 'ours (vs PM2)', workers: WORKERS, atDefaults: true });
    pm2 = await startPm2({
      label: 'PM2 cluster mode',
      workers: WORKERS,
      script: 'bench/servers/pm2-app.mjs',
      killTimeoutMs: PM2_KILL_TIMEOUT_MS,
    });
    const o = ours;
    const p = pm2;
    const url = (side: SideName) => (side === 'ours' ? o.apiUrl : p.apiUrl);

    // 8: keep-alive throughput.
    const load = { connections: CONNECTIONS, durationS: ctx.options.durationS };
    for (const side of [SIDES.a, SIDES.b]) {
      await runLoad(`${url(side)}/api/hello`, { ...load, durationS: ctx.options.warmupS });
    }
    for (let round = 0; round < ctx.options.pm2Rounds; round += 1) {
      for (const side of interleavedOrder<SideName>(round, SIDES.a, SIDES.b)) {
        const result = await runLoad(`${url(side)}/api/hello`, load);
        sides[side].keepAlive.push(result);
        ctx.log(
          `round ${round + 1} ${side}: ${fmtRps(result.rps)}, p99 ${fmtMs(result.latencyP99Ms)}`,
        );
      }
    }

    // 8b: SIGKILL -> a replacement serving.
    const oursKill = async () => {
      const status = await o.waitForReady(WORKERS, 30_000);
      const oldest = [...status.workers].sort(
        (x, y) => Date.parse(x.readyAt ?? '') - Date.parse(y.readyAt ?? ''),
      )[0];
      if (!oldest?.readyAt) throw new Error('ours: no ready worker to kill');
      const age = Date.now() - Date.parse(oldest.readyAt);
      if (age < MIN_UPTIME_MS) await sleep(MIN_UPTIME_MS - age);
      const before = new Set(status.workers.map((w) => w.pid));
      return killAndWait(o.apiUrl, before, oldest.pid);
    };
    const pm2Kill = async () => {
      const procs = await p.waitOnline(WORKERS);
      await livePids(`${p.apiUrl}/`, WORKERS);
      const oldest = [...procs].sort((x, y) => x.startedAt - y.startedAt)[0];
      if (!oldest) throw new Error('PM2: no online instance to kill');
      const age = Date.now() - oldest.startedAt;
      if (age < PM2_MIN_UPTIME_MS) await sleep(PM2_MIN_UPTIME_MS - age);
      return killAndWait(p.apiUrl, new Set(procs.map((x) => x.pid)), oldest.pid);
    };
    for (let k = 0; k < ctx.options.kills; k += 1) {
      for (const side of interleavedOrder<SideName>(k, SIDES.a, SIDES.b)) {
        const result = side === 'ours' ? await oursKill() : await pm2Kill();
        sides[side].killServingMs.push(result.servingMs);
        ctx.log(`kill ${k + 1} ${side}: serving again after ${fmtMs(result.servingMs)}`);
        await sleep(300);
      }
    }

    // 8c: failed requests during a reload.
    const oursReload = async () => {
      const before = await o.waitForReady(WORKERS, 30_000);
      const oldPids = new Set(before.workers.map((w) => w.pid));
      return reloadUnderLoad(
        `${o.apiUrl}/`,
        () => o.child.proc.kill('SIGHUP'),
        async () => {
          const s = await o.status();
          return (
            !s.manager.reloading &&
            s.workers.length === WORKERS &&
            s.workers.every((w) => w.state === 'ready' && !oldPids.has(w.pid))
          );
        },
      );
    };
    const pm2Reload = async () => {
      const before = await p.waitOnline(WORKERS);
      await livePids(`${p.apiUrl}/`, WORKERS);
      const oldPids = new Set(before.map((x) => x.pid));
      // `pm2 reload` returns once every instance was replaced (each new one listening, then the
      // old one stopped): polled as a flag, so no CLI runs while the reload does.
      let command: { done: boolean; error?: Error } = { done: false };
      const run = await reloadUnderLoad(
        `${p.apiUrl}/`,
        () =>
          void p.cli(['reload', APP_NAME], 60_000).then(
            () => (command = { done: true }),
            (error: Error) => (command = { done: true, error }),
          ),
        async () => {
          if (command.error) throw command.error;
          if (!command.done) return false;
          const procs = await p.list();
          return (
            procs.length === WORKERS &&
            procs.every((x) => x.status === 'online' && !oldPids.has(x.pid))
          );
        },
      );
      if (command.error) throw command.error;
      return run;
    };
    for (let r = 0; r < ctx.options.pm2Reloads; r += 1) {
      for (const side of interleavedOrder<SideName>(r, SIDES.a, SIDES.b)) {
        const run = side === 'ours' ? await oursReload() : await pm2Reload();
        sides[side].reloads.push(run);
        ctx.log(
          `reload ${r + 1} ${side}: ${run.sent} sent, ${run.failed} failed, took ${fmtMs(run.reloadMs)}`,
        );
      }
    }
  } finally {
    await stopAll([ours, pm2]);
  }
  return { rows: rowsOf(sides, ctx), notes: notesOf(sides), data: { ...sides } };
}

function rowsOf(sides: Record<SideName, Side>, ctx: BenchContext): TableRow[] {
  const { ours, pm2 } = sides;
  const rps = (side: Side) => side.keepAlive.map((r) => r.rps);
  const p99 = (side: Side) => median(side.keepAlive.map((r) => r.latencyP99Ms));
  const kill = (side: Side) => summarize(side.killServingMs);
  const oursKill = kill(ours);
  const pm2Kill = kill(pm2);
  const total = (side: Side) => ({
    sent: side.reloads.reduce((n, r) => n + r.sent, 0),
    failed: side.reloads.reduce((n, r) => n + r.failed, 0),
    reloadMs: median(side.reloads.map((r) => r.reloadMs)),
  });
  const oursReload = total(ours);
  const pm2Reload = total(pm2);
  const failedPct = (t: { sent: number; failed: number }) =>
    `${((t.failed / Math.max(1, t.sent)) * 100).toFixed(2)}%`;
  const reloadText = (t: ReturnType<typeof total>) =>
    `${fmtInt(t.sent)} sent, ${fmtInt(t.failed)} failed, reload median ${fmtMs(t.reloadMs)}`;
  return [
    {
      id: '8 vs PM2: keep-alive',
      what:
        `GET /api/hello keep-alive throughput, ours / PM2 cluster mode, same app ` +
        `(${WORKERS} workers each, autocannon -c${CONNECTIONS}, ${ctx.options.pm2Rounds} round${ctx.options.pm2Rounds === 1 ? '' : 's'})`,
      measured:
        `ours ${fmtRps(median(rps(ours)))}, p99 ${fmtMs(p99(ours))}; ` +
        `PM2 ${fmtRps(median(rps(pm2)))}, p99 ${fmtMs(p99(pm2))}`,
      ratio: fmtRatio(pairedRatio(rps(pm2), rps(ours)).median),
      goal: 'none (reported)',
      status: 'info',
    },
    {
      id: '8b vs PM2: SIGKILL',
      what: `worker SIGKILL -> replacement serving, ours / PM2 (${ctx.options.kills} kills per side)`,
      measured:
        `ours median ${fmtMs(oursKill.median)} (${fmtMs(oursKill.min)}..${fmtMs(oursKill.max)}); ` +
        `PM2 ${fmtMs(pm2Kill.median)} (${fmtMs(pm2Kill.min)}..${fmtMs(pm2Kill.max)})`,
      ratio: fmtRatio(oursKill.median / pm2Kill.median),
      goal: 'none (reported)',
      status: 'info',
    },
    {
      id: '8c vs PM2: reload',
      what:
        `failed requests during a reload under ${CONNECTIONS} keep-alive clients: ours SIGHUP vs ` +
        `\`pm2 reload\` (${ctx.options.pm2Reloads} per side)`,
      measured: `ours ${reloadText(oursReload)}; PM2 ${reloadText(pm2Reload)}`,
      ratio: `ours ${failedPct(oursReload)}, PM2 ${failedPct(pm2Reload)} failed`,
      goal: '0 failed (ours)',
      status: oursReload.failed === 0 ? 'pass' : 'FAIL',
    },
  ];
}

function notesOf(sides: Record<SideName, Side>): string[] {
  const version = (
    JSON.parse(readFileSync(path.join(ROOT, 'node_modules/pm2/package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const notes = [
    `Rows 8-8c: PM2 ${version} (node_modules/.bin/pm2, PM2_HOME in a temporary directory, removed ` +
      `with its daemon at the end) runs bench/servers/pm2-app.mjs in cluster mode, ${WORKERS} ` +
      "instances: the worker's request path (createApp, the load shedder, the HTTP server wrapper, " +
      'the same metric registry) from dist/, without what only our manager needs (metrics link, ' +
      `heartbeat, ready message); it drains on PM2's SIGINT with the worker's drain, and PM2's ` +
      `kill_timeout is ${fmtMs(PM2_KILL_TIMEOUT_MS)}. Ours: dist/main.js at its defaults. Both up at ` +
      'once, same Node, sides in ABBA order.',
    `Row 8b: the oldest worker is killed (ours once ready for more than WORKER_MIN_UPTIME_MS, PM2's ` +
      `once up longer than its min_uptime), then GET / on a fresh connection every ${PROBE_INTERVAL_MS} ms ` +
      'until a new pid answers, as in row 5.',
    "Row 8c: row 6's load (keep-alive fetch loops of GET /); the reload's time for PM2 includes " +
      'starting the pm2 CLI (it ends when `pm2 reload` returns, every instance replaced).',
    `Row 8 per round: ours ${sides.ours.keepAlive.map((r) => fmtRps(r.rps)).join(' / ')}; ` +
      `PM2 ${sides.pm2.keepAlive.map((r) => fmtRps(r.rps)).join(' / ')}.`,
    `Row 8b kills: ours ${sides.ours.killServingMs.map(fmtMs).join(', ')}; ` +
      `PM2 ${sides.pm2.killServingMs.map(fmtMs).join(', ')}.`,
  ];
  for (const [name, side] of Object.entries(sides)) {
    const errors = side.reloads.flatMap((r) => r.errors);
    const per = side.reloads.map((r) => `${r.failed}/${r.sent} failed in ${fmtMs(r.reloadMs)}`);
    notes.push(
      `Row 8c ${name} per reload: ${per.join('; ')}` +
        (errors.length > 0 ? `; errors: ${errors.slice(0, 5).join('; ')}` : '.'),
    );
  }
  return notes;
}
