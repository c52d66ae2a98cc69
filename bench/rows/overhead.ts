// Rows 2 and 3: what the metrics middleware costs, and how far the service is from a bare
// node:http hello. Four single-process servers, all up at once, each pinned to the same core (the
// bench's load generator pinned to the other one), loaded in rotating order every round with
// GET /api/hello?name=bench:
//   real  the service's Koa app with createHttpMetrics(new Registry())
//   noop  the same app, metric stand-ins that do nothing (the cost of prom-client's calls)
//   none  the same app without the metrics middleware (the cost of the whole middleware)
//   bare  node:http answering the same JSON (the ceiling)
import os from 'node:os';
import { pinSelf, selfAffinity } from '../lib/procs.js';
import { runLoad, type LoadResult } from '../lib/load.js';
import { startServer, stopAll, type Server } from '../lib/service.js';
import { median, pairedRatio, rotatedOrder } from '../lib/stats.js';
import { fmtPercent, fmtRatio, fmtRps, judge } from '../lib/table.js';
import type { BenchContext, RowOutcome } from '../lib/types.js';

export const OVERHEAD_GOAL = 0.03;
const PATH = '/api/hello?name=bench';
const VARIANTS = ['real', 'noop', 'none', 'bare'] as const;
type Variant = (typeof VARIANTS)[number];

export async function overheadRows(ctx: BenchContext): Promise<RowOutcome> {
  const { options } = ctx;
  const cpuCount = os.cpus().length;
  const pin = ctx.canPin && cpuCount >= 2;
  const serverCpu = pin ? String(cpuCount - 1) : undefined;
  const servers = new Map<Variant, Server>();
  let pinnedSelf = false;
  const originalAffinity = pin ? selfAffinity() : undefined;
  try {
    for (const variant of VARIANTS) {
      const server =
        variant === 'bare'
          ? await startServer('bare-server', 'bench/servers/bare-server.ts', {}, PATH, serverCpu)
          : await startServer(
              `app-server (${variant})`,
              'bench/servers/app-server.ts',
              { BENCH_METRICS: variant },
              PATH,
              serverCpu,
            );
      servers.set(variant, server);
    }
    if (pin && originalAffinity !== undefined) pinnedSelf = pinSelf(`0-${cpuCount - 2}`);
    const load = { connections: options.connections, durationS: options.durationS };
    ctx.log(`overhead: warm-up ${options.warmupS}s each`);
    for (const server of servers.values()) {
      await runLoad(`${server.url}${PATH}`, { ...load, durationS: options.warmupS });
    }
    const runs: Record<Variant, LoadResult[]> = { real: [], noop: [], none: [], bare: [] };
    for (let round = 0; round < options.overheadRounds; round += 1) {
      for (const variant of rotatedOrder(round, VARIANTS)) {
        const server = servers.get(variant) as Server;
        const result = await runLoad(`${server.url}${PATH}`, load);
        runs[variant].push(result);
        ctx.log(`overhead: round ${round + 1} ${variant}: ${fmtRps(result.rps)}`);
      }
    }
    const rps = (v: Variant) => runs[v].map((r) => r.rps);
    const vsNoop = pairedRatio(rps('noop'), rps('real'));
    const vsNone = pairedRatio(rps('none'), rps('real'));
    const vsBare = pairedRatio(rps('bare'), rps('real'));
    const costNoop = 1 - vsNoop.median;
    const costNone = 1 - vsNone.median;
    const failures = Object.values(runs)
      .flat()
      .reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0);
    const med = (v: Variant) => fmtRps(median(rps(v)));
    const notes = [
      `Rows 2-3: ${options.overheadRounds} rounds of ${options.durationS}s per server, ` +
        `${options.connections} connections, GET ${PATH}, servers started in one run and loaded ` +
        'in rotating order; ratios are medians of per-round ratios. ' +
        (pin
          ? `Servers pinned to CPU ${serverCpu} (taskset), the load generator to the other core${pinnedSelf ? '' : ' (pinning the bench itself failed)'}.`
          : 'Not pinned (taskset unavailable or 1 CPU): servers and load generator share the cores.'),
      'Row 2 compares the same app with real metrics vs metric stand-ins whose methods do nothing ' +
        "(prom-client's cost); row 2b removes the middleware from the chain (the whole middleware's " +
        'cost: labels, timers, closure). Default process metrics (collectDefaultMetrics) are not ' +
        'part of either: they cost nothing per request.',
    ];
    if (failures > 0) notes.push(`Rows 2-3: ${failures} non-2xx/errors/timeouts during the runs.`);
    const status = (cost: number) =>
      failures > 0 ? ('FAIL' as const) : judge(cost, { atMost: OVERHEAD_GOAL });
    return {
      rows: [
        {
          id: '2 overhead',
          what: 'metrics middleware, prom-client calls: real vs no-op metrics (GET /api/hello)',
          measured: `${med('real')} vs ${med('noop')}: cost ${fmtPercent(costNoop)}`,
          ratio: fmtRatio(vsNoop.median, 3),
          goal: `cost <= ${OVERHEAD_GOAL * 100}%`,
          status: status(costNoop),
        },
        {
          id: '2b overhead',
          what: 'whole metrics middleware: with vs removed from the chain',
          measured: `${med('real')} vs ${med('none')}: cost ${fmtPercent(costNone)}`,
          ratio: fmtRatio(vsNone.median, 3),
          goal: `cost <= ${OVERHEAD_GOAL * 100}%`,
          status: status(costNone),
        },
        {
          id: '3 ceiling',
          what: 'the service (one process, with metrics) vs bare node:http hello, same core',
          measured: `${med('real')} vs ${med('bare')}`,
          ratio: fmtRatio(vsBare.median),
          goal: 'none (ceiling)',
          status: failures > 0 ? 'FAIL' : 'info',
        },
      ],
      notes,
      data: {
        path: PATH,
        pinned: pin,
        serverCpu,
        rps: Object.fromEntries(VARIANTS.map((v) => [v, rps(v)])),
        realVsNoop: vsNoop,
        realVsNone: vsNone,
        realVsBare: vsBare,
        costNoop,
        costNone,
        failures,
      },
    };
  } finally {
    if (pinnedSelf && originalAffinity !== undefined) pinSelf(originalAffinity);
    await stopAll([...servers.values()]);
  }
}
