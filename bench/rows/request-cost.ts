// Row 3b: where a request's cost goes, compared with a plain Koa + @koa/router app. The servers of
// bench/servers/split-server.ts (plain, routes, ids, headers, envelope, service: each one layer of
// the service's contract more than the last) run AT THE SAME TIME pinned to one core, each loaded
// on its own 16 connections with GET /api/hello: sharing the core, each one's throughput is
// inversely proportional to its CPU cost per request (the method of rows 2/2b). Fresh processes
// every round, started in rotated order, warmed up together, measured together; ratios per round
// against `plain`, medians over rounds.
import os from 'node:os';
import { runLoad, type LoadResult } from '../lib/load.js';
import { cpuSecondsOf, pinSelf, selfAffinity } from '../lib/procs.js';
import { startServer, stopAll, type Server } from '../lib/service.js';
import { median, pairedRatio, percentile, rotatedOrder } from '../lib/stats.js';
import { fmtPercent, fmtRatio, fmtRps, judge } from '../lib/table.js';
import type { BenchContext, RowOutcome } from '../lib/types.js';
import { bundleSplitServer } from '../servers/split-bundle.js';
import { SPLIT_VARIANTS, type SplitVariant } from '../servers/split-variants.js';

export const REQUEST_COST_GOAL = 0.9;
const PATH = '/api/hello?name=bench';

interface Run {
  load: LoadResult;
  /** Server CPU time (user + system) per answered request during the run. */
  cpuUsPerRequest: number;
}
type Variant = SplitVariant;

const STEP_LABEL: Record<Variant, string> = {
  plain: 'plain Koa + @koa/router',
  routes: 'routes (validation, error handler, fallback)',
  ids: 'request ids',
  headers: 'security headers',
  envelope: 'metrics + access-log check (createApp)',
  service: "the worker's HTTP server wrapper",
};

export async function requestCostRow(ctx: BenchContext): Promise<RowOutcome> {
  const { options } = ctx;
  const cpuCount = os.cpus().length;
  const pin = ctx.canPin && cpuCount >= 2;
  const serverCpu = pin ? String(cpuCount - 1) : undefined;
  const originalAffinity = pin ? selfAffinity() : undefined;
  const runs = Object.fromEntries(SPLIT_VARIANTS.map((v) => [v, [] as Run[]])) as Record<
    Variant,
    Run[]
  >;
  let servers: Server[] = [];
  const bundle = await bundleSplitServer();
  try {
    if (pin && originalAffinity !== undefined) pinSelf(`0-${cpuCount - 2}`);
    for (let round = 0; round < options.requestCostRounds; round += 1) {
      const byVariant = new Map<Variant, Server>();
      for (const v of rotatedOrder(round, SPLIT_VARIANTS)) {
        const server = await startServer(
          `split-server (${v})`,
          bundle.path,
          { BENCH_SPLIT: v },
          PATH,
          serverCpu,
        );
        servers.push(server);
        byVariant.set(v, server);
      }
      const all = SPLIT_VARIANTS.map((v) => byVariant.get(v) as Server);
      const load = (durationS: number) =>
        Promise.all(
          all.map((s) =>
            runLoad(`${s.url}${PATH}`, { connections: options.connections, durationS }),
          ),
        );
      await load(options.overheadWarmupS);
      const cpuBefore = all.map((s) => cpuSecondsOf(s.child.pid));
      const loads = await load(options.overheadRunS);
      const results = loads.map((l, i) => ({
        load: l,
        cpuUsPerRequest:
          ((cpuSecondsOf((all[i] as Server).child.pid) - (cpuBefore[i] as number)) * 1e6) /
          Math.max(1, l.ok + l.non2xx),
      }));
      SPLIT_VARIANTS.forEach((v, i) => runs[v].push(results[i] as Run));
      await stopAll(all);
      servers = [];
      ctx.log(
        `request cost: round ${round + 1}: ` +
          SPLIT_VARIANTS.map((v, i) => {
            const r = results[i] as Run;
            return `${v} ${fmtRps(r.load.rps)} (${r.cpuUsPerRequest.toFixed(0)} us/req)`;
          }).join(', '),
      );
    }
  } finally {
    await stopAll(servers);
    if (pin && originalAffinity !== undefined) pinSelf(originalAffinity);
    bundle.remove();
  }
  const rps = (v: Variant) => runs[v].map((r) => r.load.rps);
  const cpu = (v: Variant) => runs[v].map((r) => r.cpuUsPerRequest);
  // Throughput at equal CPU: plain's CPU per request / the variant's (per round, then median).
  // CPU time, not the shared throughput, is the measure here: six servers at once can outrun
  // the load generator, and then every server's throughput is the generator's, not its own.
  const vsPlain = (v: Variant) => pairedRatio(cpu(v), cpu('plain')).median;
  const throughputVsPlain = (v: Variant) => pairedRatio(rps('plain'), rps(v)).median;
  const failures = SPLIT_VARIANTS.flatMap((v) => runs[v]).reduce(
    (sum, r) => sum + r.load.non2xx + r.load.errors + r.load.timeouts,
    0,
  );
  // The split: each layer's cost = the drop of the ratio to plain from the previous variant.
  const steps: string[] = [];
  for (let i = 1; i < SPLIT_VARIANTS.length; i += 1) {
    const v = SPLIT_VARIANTS[i] as Variant;
    const previous = SPLIT_VARIANTS[i - 1] as Variant;
    steps.push(`${STEP_LABEL[v]} ${fmtPercent(vsPlain(previous) - vsPlain(v))}`);
  }
  const ratio = vsPlain('service');
  // The spread over rounds: on a shared core one round can land far from the median.
  const serviceRatios = pairedRatio(cpu('service'), cpu('plain')).ratios;
  const spread = `rounds' quartiles ${fmtRatio(percentile(serviceRatios, 25), 3)}..${fmtRatio(percentile(serviceRatios, 75), 3)}`;
  return {
    rows: [
      {
        id: '3b request cost',
        what:
          'the service (every contract feature) vs plain Koa + @koa/router, GET /api/hello, ' +
          'one process each, sharing one core',
        measured:
          `CPU per request ${median(cpu('service')).toFixed(1)} us vs ${median(cpu('plain')).toFixed(1)} us (${spread}); ` +
          `split (share of plain's throughput each layer costs): ${steps.join(', ')}`,
        ratio: fmtRatio(ratio, 3),
        goal: `>= ${REQUEST_COST_GOAL}x plain Koa`,
        status: failures > 0 ? 'FAIL' : judge(ratio, { atLeast: REQUEST_COST_GOAL }),
      },
    ],
    notes: [
      `Row 3b: ${options.requestCostRounds} rounds; each starts fresh servers of ` +
        'bench/servers/split-server.ts (plain, routes, ids, headers, envelope, service: one layer ' +
        'more each; bundled by esbuild like the worker, not run under tsx) in rotated order, ' +
        `warms them up together for ${options.overheadWarmupS}s and ` +
        `loads them together for ${options.overheadRunS}s, ${options.connections} connections ` +
        `each${pin ? `, all pinned to CPU ${serverCpu}` : ', not pinned'}. Ratio to plain = ` +
        "median of per-round ratios of CPU time per request (from /proc), plain's over the " +
        "variant's: the throughput each would reach on a core of its own. Ratios: " +
        SPLIT_VARIANTS.map((v) => `${v} ${fmtRatio(vsPlain(v), 3)}`).join(', ') +
        '; by shared throughput (capped by the load generator when it cannot keep six servers ' +
        'busy): ' +
        SPLIT_VARIANTS.map((v) => `${v} ${fmtRatio(throughputVsPlain(v), 3)}`).join(', ') +
        ` (medians ${SPLIT_VARIANTS.map((v) => fmtRps(median(rps(v)))).join(', ')}). ` +
        'CPU time has clock-tick resolution (10 ms): a few percent is noise.' +
        (failures > 0 ? ` ${failures} non-2xx/errors/timeouts.` : ''),
    ],
    data: { runs },
  };
}
