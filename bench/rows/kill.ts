// Row 5: from a worker's SIGKILL to its replacement serving. The real cluster (dist/main.js, 2
// workers, WORKER_MIN_UPTIME_MS=0 so a restart is not delayed by back-off). Each kill: SIGKILL
// the worker of one slot, poll /status every 10 ms until that slot has a ready worker with a new
// pid, then send requests on fresh connections until one is answered by the new pid.
import { performance } from 'node:perf_hooks';
import { getOnce } from '../lib/load.js';
import { sleep, waitUntil } from '../lib/procs.js';
import { startCluster, stopAll, type Cluster } from '../lib/service.js';
import { summarize } from '../lib/stats.js';
import { fmtMs } from '../lib/table.js';
import type { BenchContext, RowOutcome } from '../lib/types.js';

const WORKERS = 2;
/** Requests sent to find the new pid (round-robin over 2 workers: it takes ~2). */
const MAX_PROBES = 200;

export interface KillSample {
  slot: number;
  oldPid: number;
  newPid: number;
  /** SIGKILL -> /status shows the replacement ready. */
  readyMs: number;
  /** SIGKILL -> a response from the replacement's pid. */
  servingMs: number;
  probes: number;
}

async function pidOf(url: string): Promise<number | undefined> {
  try {
    const response = await getOnce(url, 2_000);
    const pid = (JSON.parse(response.body) as { pid?: unknown }).pid;
    return response.status === 200 && typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function killRow(ctx: BenchContext): Promise<RowOutcome> {
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster({ label: 'cluster (kill)', workers: WORKERS });
    const c = cluster;
    const samples: KillSample[] = [];
    for (let k = 0; k < ctx.options.kills; k += 1) {
      const before = await c.waitForReady(WORKERS, 30_000);
      const victim = before.workers.find((w) => w.slot === k % WORKERS) ?? before.workers[0];
      if (!victim) throw new Error('no worker to kill');
      const start = performance.now();
      process.kill(victim.pid, 'SIGKILL');
      const replacement = await waitUntil(
        async () =>
          (await c.status()).workers.find(
            (w) => w.slot === victim.slot && w.pid !== victim.pid && w.state === 'ready',
          ),
        `a ready replacement in slot ${victim.slot}`,
        30_000,
        10,
      );
      const readyMs = performance.now() - start;
      let probes = 0;
      let servingMs = NaN;
      const deadline = Date.now() + 10_000;
      while (probes < MAX_PROBES && Date.now() < deadline) {
        probes += 1;
        if ((await pidOf(`${c.apiUrl}/`)) === replacement.pid) {
          servingMs = performance.now() - start;
          break;
        }
      }
      if (Number.isNaN(servingMs)) {
        throw new Error(`the replacement pid ${replacement.pid} never answered (${probes} probes)`);
      }
      samples.push({
        slot: victim.slot,
        oldPid: victim.pid,
        newPid: replacement.pid,
        readyMs,
        servingMs,
        probes,
      });
      ctx.log(`kill ${k + 1}: slot ${victim.slot} serving again after ${fmtMs(servingMs)}`);
      await sleep(300);
    }
    const serving = summarize(samples.map((s) => s.servingMs));
    const ready = summarize(samples.map((s) => s.readyMs));
    return {
      rows: [
        {
          id: '5 SIGKILL',
          what: `worker SIGKILL -> replacement serving (${samples.length} kills, 2 workers)`,
          measured:
            `median ${fmtMs(serving.median)} (min ${fmtMs(serving.min)}, max ${fmtMs(serving.max)}); ` +
            `ready in /status ${fmtMs(ready.median)}`,
          ratio: 'n/a',
          goal: 'none (reported)',
          status: 'info',
        },
      ],
      notes: [
        'Row 5: /status polled every 10 ms; "serving" = first response from the new pid on a fresh ' +
          'connection. Boot time is dominated by loading the worker (Koa, prom-client, pino) on a ' +
          'busy 2-core machine.',
      ],
      data: { samples, serving, ready },
    };
  } finally {
    await stopAll([cluster]);
  }
}
