// Row 6: failed requests during a rolling reload. The real cluster (dist/main.js, 2 workers)
// under 16 keep-alive fetch loops of GET /; SIGHUP to the manager; the reload is over once
// /status shows every slot ready with a new pid and reloading false; load continues a moment on
// the new workers, then stops. Row 8c runs the same load against PM2's reload (rows/pm2.ts).
import { performance } from 'node:perf_hooks';
import type { TrafficResult } from '../../scripts/lib/traffic.js';
import { startTraffic } from '../lib/load.js';
import { waitUntil } from '../lib/procs.js';
import { startCluster, stopAll, type Cluster } from '../lib/service.js';
import { fmtInt, fmtMs } from '../lib/table.js';
import type { BenchContext, RowOutcome } from '../lib/types.js';

const WORKERS = 2;
export const CONNECTIONS = 16;

/** One reload under keep-alive load: what the load saw, and how long the reload took. */
export interface ReloadRun extends TrafficResult {
  reloadMs: number;
  sentDuringReload: number;
}

/**
 * CONNECTIONS keep-alive fetch loops on `url`; once 500 were answered, `reload()` starts the
 * reload and `finished()` is polled until it says every worker was replaced; the load goes on
 * until 500 more were answered (by the new workers), then stops. Rows 6 and 8c.
 */
export async function reloadUnderLoad(
  url: string,
  reload: () => void,
  finished: () => Promise<boolean>,
): Promise<ReloadRun> {
  const traffic = startTraffic(url, CONNECTIONS, 120_000);
  try {
    await waitUntil(() => traffic.result.ok > 500, 'traffic to flow', 15_000, 20);
    const sentBefore = traffic.result.sent;
    const start = performance.now();
    reload();
    await waitUntil(finished, 'every worker to be replaced', 60_000, 20);
    const reloadMs = performance.now() - start;
    const sentDuringReload = traffic.result.sent - sentBefore;
    const okAtReload = traffic.result.ok;
    await waitUntil(
      () => traffic.result.ok > okAtReload + 500,
      'traffic on new workers',
      15_000,
      20,
    );
    return { ...(await traffic.stop()), reloadMs, sentDuringReload };
  } finally {
    await traffic.stop();
  }
}

export async function reloadRow(ctx: BenchContext): Promise<RowOutcome> {
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster({ label: 'cluster (reload)', workers: WORKERS });
    const c = cluster;
    const before = await c.status();
    const oldPids = new Set(before.workers.map((w) => w.pid));
    const result = await reloadUnderLoad(
      `${c.apiUrl}/`,
      () => c.child.proc.kill('SIGHUP'),
      async () => {
        const s = await c.status();
        return (
          !s.manager.reloading &&
          s.workers.length === WORKERS &&
          s.workers.every((w) => w.state === 'ready' && !oldPids.has(w.pid))
        );
      },
    );
    const { reloadMs, sentDuringReload: sentDuring } = result;
    ctx.log(`reload: ${result.sent} sent, ${result.failed} failed, reload took ${fmtMs(reloadMs)}`);
    const notes = [
      `Row 6: ${CONNECTIONS} keep-alive fetch loops (undici, honours Connection: close), GET /; ` +
        `SIGHUP after 500 answered; ${fmtInt(sentDuring)} requests were sent while the reload ran.`,
    ];
    if (result.errors.length > 0) notes.push(`Row 6 errors: ${result.errors.join('; ')}`);
    return {
      rows: [
        {
          id: '6 reload',
          what: `failed requests during a rolling reload (SIGHUP, ${WORKERS} workers, ${CONNECTIONS} keep-alive clients)`,
          measured: `${fmtInt(result.sent)} sent, ${fmtInt(result.failed)} failed; reload took ${fmtMs(reloadMs)}`,
          ratio: `${((result.failed / Math.max(1, result.sent)) * 100).toFixed(2)}% failed`,
          goal: '0 failed',
          status: result.failed === 0 ? 'pass' : 'FAIL',
        },
      ],
      notes,
      data: { ...result },
    };
  } finally {
    await stopAll([cluster]);
  }
}
