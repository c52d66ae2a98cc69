// Row 6: failed requests during a rolling reload. The real cluster (dist/main.js, 2 workers)
// under 16 keep-alive fetch loops of GET /; SIGHUP to the manager; the reload is over once
// /status shows every slot ready with a new pid and reloading false; load continues a moment on
// the new workers, then stops.
import { performance } from 'node:perf_hooks';
import { startTraffic } from '../lib/load.js';
import { waitUntil } from '../lib/procs.js';
import { startCluster, stopAll, type Cluster } from '../lib/service.js';
import { fmtInt, fmtMs } from '../lib/table.js';
import type { BenchContext, RowOutcome } from '../lib/types.js';

const WORKERS = 2;
const CONNECTIONS = 16;

export async function reloadRow(ctx: BenchContext): Promise<RowOutcome> {
  let cluster: Cluster | undefined;
  let stopTraffic: (() => Promise<unknown>) | undefined;
  try {
    cluster = await startCluster({ label: 'cluster (reload)', workers: WORKERS });
    const c = cluster;
    const before = await c.status();
    const oldPids = new Set(before.workers.map((w) => w.pid));
    const traffic = startTraffic(`${c.apiUrl}/`, CONNECTIONS, 120_000);
    stopTraffic = traffic.stop;
    await waitUntil(() => traffic.result.ok > 500, 'traffic to flow', 15_000, 20);
    const sentBefore = traffic.result.sent;
    const start = performance.now();
    c.child.proc.kill('SIGHUP');
    await waitUntil(
      async () => {
        const s = await c.status();
        return (
          !s.manager.reloading &&
          s.workers.length === WORKERS &&
          s.workers.every((w) => w.state === 'ready' && !oldPids.has(w.pid))
        );
      },
      'every worker to be replaced',
      60_000,
      20,
    );
    const reloadMs = performance.now() - start;
    const sentDuring = traffic.result.sent - sentBefore;
    const okAtReload = traffic.result.ok;
    await waitUntil(
      () => traffic.result.ok > okAtReload + 500,
      'traffic on new workers',
      15_000,
      20,
    );
    const result = await traffic.stop();
    stopTraffic = undefined;
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
      data: { ...result, reloadMs, sentDuringReload: sentDuring },
    };
  } finally {
    await stopTraffic?.();
    await stopAll([cluster]);
  }
}
