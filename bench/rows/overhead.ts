// Rows 2 and 3: what the metrics middleware costs, and how far the service is from a bare
// node:http hello. Four single-process servers, all pinned to the same core (the bench's load
// generator pinned to the other one), GET /api/hello?name=bench:
//   real  the service's Koa app with createHttpMetrics(new Registry())
//   noop  the same app, metric stand-ins that do nothing (the cost of prom-client's calls)
//   none  the same app without the metrics middleware (the cost of the whole middleware)
//   bare  node:http answering the same JSON (the ceiling)
//   gauge-collect  diagnostics (a note, not a row): real histogram, in-flight count kept in a
//         plain number that the Gauge reads in collect()
//
// Rows 2/2b load real, noop and none AT THE SAME TIME, each with its own connections: the three
// share one core, so whatever else the machine does in that moment hits all three alike, and
// each one's share of the requests is inversely proportional to its CPU cost per request. On a
// busy 2-core box this is far steadier than running them one after another (a test suite
// starting elsewhere moves sequential runs by 20-40%). Row 3 (bare serves ~3x more requests
// than the app, too many for a shared generator to keep up with while sharing) runs real and
// bare one after the other, ABBA, instead.
import os from 'node:os';
import { cpuSecondsOf, pinSelf, selfAffinity } from '../lib/procs.js';
import { runLoad, type LoadResult } from '../lib/load.js';
import { startServer, stopAll, type Server } from '../lib/service.js';
import { interleavedOrder, median, pairedRatio, percentile } from '../lib/stats.js';
import { fmtPercent, fmtRatio, fmtRps, judge } from '../lib/table.js';
import type { BenchContext, RowOutcome } from '../lib/types.js';

export const OVERHEAD_GOAL = 0.03;
const PATH = '/api/hello?name=bench';
const VARIANTS = ['real', 'noop', 'none', 'gauge-collect', 'bare'] as const;
type Variant = (typeof VARIANTS)[number];
const SHARED = ['real', 'noop', 'none', 'gauge-collect'] as const;

interface Run {
  load: LoadResult;
  /** Server CPU seconds during the run. */
  cpuS: number;
}

async function measure(server: Server, connections: number, durationS: number): Promise<Run> {
  const before = cpuSecondsOf(server.child.pid);
  const load = await runLoad(`${server.url}${PATH}`, { connections, durationS });
  return { load, cpuS: cpuSecondsOf(server.child.pid) - before };
}

/** Cost of `a` relative to `b` from per-round ratios a/b of throughput: median and quartiles. */
function throughputCost(ratios: readonly number[]): { cost: number; q1: number; q3: number } {
  // Cost = 1 - ratio, so the ratio's upper quartile is the cost's lower one.
  return {
    cost: 1 - median(ratios),
    q1: 1 - percentile(ratios, 75),
    q3: 1 - percentile(ratios, 25),
  };
}

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
    const server = (v: Variant) => servers.get(v) as Server;
    const { connections, overheadRunS: runS } = options;
    ctx.log(`overhead: warm-up ${options.warmupS}s each`);
    for (const v of VARIANTS) await measure(server(v), connections, options.warmupS);

    // Rows 2/2b: real, noop and none loaded together, several rounds.
    const shared: Record<(typeof SHARED)[number], Run[]> = {
      real: [],
      noop: [],
      none: [],
      'gauge-collect': [],
    };
    for (let round = 0; round < options.overheadRounds; round += 1) {
      const runs = await Promise.all(SHARED.map((v) => measure(server(v), connections, runS)));
      SHARED.forEach((v, i) => shared[v].push(runs[i] as Run));
      ctx.log(
        `overhead: round ${round + 1} (together): ` +
          SHARED.map((v, i) => `${v} ${fmtRps((runs[i] as Run).load.rps)}`).join(', '),
      );
    }
    // Row 3: real vs bare, one after the other.
    const alone: Record<'real' | 'bare', Run[]> = { real: [], bare: [] };
    for (let round = 0; round < options.ceilingRounds; round += 1) {
      for (const v of interleavedOrder(round, 'real' as const, 'bare' as const)) {
        const run = await measure(server(v), connections, runS);
        alone[v].push(run);
        ctx.log(`overhead: ceiling round ${round + 1} ${v} (alone): ${fmtRps(run.load.rps)}`);
      }
    }

    const rps = (runs: Run[]) => runs.map((r) => r.load.rps);
    const cpuUs = (runs: Run[]) =>
      runs.map((r) => (r.cpuS * 1e6) / Math.max(1, r.load.ok + r.load.non2xx));
    const vsNoop = pairedRatio(rps(shared.noop), rps(shared.real));
    const vsNone = pairedRatio(rps(shared.none), rps(shared.real));
    const vsBare = pairedRatio(rps(alone.bare), rps(alone.real));
    const costNoop = throughputCost(vsNoop.ratios);
    const costNone = throughputCost(vsNone.ratios);
    const collectVsNoop = pairedRatio(rps(shared.noop), rps(shared['gauge-collect']));
    const costCollect = throughputCost(collectVsNoop.ratios);
    const cpuCostNoop = pairedRatio(cpuUs(shared.noop), cpuUs(shared.real)).median - 1;
    const cpuCostNone = pairedRatio(cpuUs(shared.none), cpuUs(shared.real)).median - 1;
    const cpuBare = pairedRatio(cpuUs(alone.real), cpuUs(alone.bare)).median;
    const failures = [...Object.values(shared), ...Object.values(alone)]
      .flat()
      .reduce((sum, r) => sum + r.load.non2xx + r.load.errors + r.load.timeouts, 0);
    const med = (runs: Run[]) => fmtRps(median(rps(runs)));
    const us = (runs: Run[]) => `${median(cpuUs(runs)).toFixed(1)} us`;
    const spread = (c: { q1: number; q3: number }) =>
      `quartiles ${fmtPercent(c.q1)}..${fmtPercent(c.q3)}`;

    const notes = [
      `Rows 2-2b: ${options.overheadRounds} rounds of ${runS}s; in each, the real, no-op and ` +
        `no-middleware servers are loaded at the same time (${connections} connections each) ` +
        '(and a diagnostic fourth, below) while sharing one core: their throughput ratio is their ' +
        'CPU cost ratio, and noise from the rest of the machine hits all alike. Cost = 1 - median of per-round ' +
        `throughput ratios (${spread(costNoop)} for no-op, ${spread(costNone)} for none). ` +
        "The server's CPU time per request (from /proc) is the cross-check.",
      `Row 3: ${options.ceilingRounds} rounds of ${runS}s, real and bare each loaded alone ` +
        `(ABBA order), ${connections} connections; ratio = median of per-round ratios. By CPU ` +
        `time per request the service costs ${cpuBare.toFixed(1)}x the bare server.`,
      `Rows 2-3, server CPU per request (median): real ${us(shared.real)}, no-op ${us(shared.noop)}, ` +
        `none ${us(shared.none)}, gauge-collect ${us(shared['gauge-collect'])} (sharing a core); ` +
        `real ${us(alone.real)}, bare ${us(alone.bare)} (alone).`,
      'Row 2 diagnostics, measured in the same rounds: the same app with the real histogram but ' +
        'the in-flight count kept in a plain number that a Gauge reads in collect() at scrape time ' +
        `costs ${fmtPercent(costCollect.cost)} vs no-op (${spread(costCollect)}). ` +
        'bench/README.md explains why (the real histogram alone and the real gauge alone each cost ' +
        'about nothing; together they do).',
      pin
        ? `Rows 2-3: servers pinned to CPU ${serverCpu} (taskset), the load generator to the ` +
          `other core${pinnedSelf ? '' : ' (pinning the bench itself failed)'}.`
        : 'Rows 2-3: not pinned (taskset unavailable or 1 CPU): servers and generator share the cores.',
      'Row 2 compares the same app with real metrics vs metric stand-ins whose methods do nothing ' +
        "(prom-client's cost); row 2b removes the middleware from the chain (the whole " +
        "middleware's cost: labels, timer, closure). Default process metrics " +
        '(collectDefaultMetrics) are in neither: they cost nothing per request.',
    ];
    if (failures > 0) notes.push(`Rows 2-3: ${failures} non-2xx/errors/timeouts during the runs.`);
    const status = (cost: number) =>
      failures > 0 ? ('FAIL' as const) : judge(cost, { atMost: OVERHEAD_GOAL });
    return {
      rows: [
        {
          id: '2 overhead',
          what: 'metrics middleware, prom-client calls: real vs no-op metrics (GET /api/hello, sharing a core)',
          measured:
            `${med(shared.real)} vs ${med(shared.noop)}: cost ${fmtPercent(costNoop.cost)} ` +
            `(CPU/request ${fmtPercent(cpuCostNoop)})`,
          ratio: fmtRatio(vsNoop.median, 3),
          goal: `cost <= ${OVERHEAD_GOAL * 100}%`,
          status: status(costNoop.cost),
        },
        {
          id: '2b overhead',
          what: 'whole metrics middleware: with vs removed from the chain (sharing a core)',
          measured:
            `${med(shared.real)} vs ${med(shared.none)}: cost ${fmtPercent(costNone.cost)} ` +
            `(CPU/request ${fmtPercent(cpuCostNone)})`,
          ratio: fmtRatio(vsNone.median, 3),
          goal: `cost <= ${OVERHEAD_GOAL * 100}%`,
          status: status(costNone.cost),
        },
        {
          id: '3 ceiling',
          what: 'the service (one process, with metrics) vs bare node:http hello, same core',
          measured: `${med(alone.real)} vs ${med(alone.bare)}`,
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
        runS,
        shared: Object.fromEntries(
          SHARED.map((v) => [v, { rps: rps(shared[v]), cpuMicrosPerRequest: cpuUs(shared[v]) }]),
        ),
        alone: Object.fromEntries(
          (['real', 'bare'] as const).map((v) => [
            v,
            { rps: rps(alone[v]), cpuMicrosPerRequest: cpuUs(alone[v]) },
          ]),
        ),
        realVsNoop: vsNoop,
        realVsNone: vsNone,
        realVsBare: vsBare,
        costNoop,
        costNone,
        gaugeCollectVsNoop: collectVsNoop,
        costGaugeCollect: costCollect,
        cpuCostNoop,
        cpuCostNone,
        cpuRealOverBare: cpuBare,
        failures,
      },
    };
  } finally {
    if (pinnedSelf && originalAffinity !== undefined) pinSelf(originalAffinity);
    await stopAll([...servers.values()]);
  }
}
