// Rows 2 and 3: what the metrics middleware costs, and how far the service is from a bare
// node:http hello. Single-process servers pinned to the same core (the bench's load generator
// pinned to the other one), GET /api/hello?name=bench:
//   real  the service's Koa app with createHttpMetrics(new Registry())
//   noop  the same app, metric stand-ins that do nothing (the cost of prom-client's calls)
//   none  the same app created without HTTP metrics (the whole instrumentation's cost: timer,
//         labels and metric calls; the app adds no middleware layer for them)
//   twin  a second noop server: the A/A control, i.e. the noise floor of the method
//   unsampled  real, its requests' traceparent unsampled (flags 00): no exemplar kept (row 2c);
//         every other variant gets the same traceparent sampled (01): an exemplar per request
//   bare  node:http answering the same JSON (the ceiling)
// Rows 2d-2e, rounds of their own: real (no tracer) vs the worker's tracer start with
// OTEL_EXPORTER_OTLP_ENDPOINT unset (otlp-unset) and set to a loopback receiver that answers 200
// (otlp-on, servers/otlp-receiver.ts, pinned with the load generator), every request sampled.
// (BENCH_OVERHEAD_DIAG=1 adds the diagnostic variants of servers/app-server.ts to rows 2/2b.)
//
// Rows 2/2b load real, noop, none and twin AT THE SAME TIME, each on its own
// connections: sharing one core, each one's throughput is inversely proportional to its CPU cost
// per request, and whatever else the machine does in that moment hits all of them alike (run one
// after the other, the same server moved by 20-40% between runs on this machine). Identical
// processes still differ by several percent (JIT and memory layout luck, fixed for a process's
// life), so every round starts FRESH processes, in rotated order, and the twin shows how much of
// a difference is noise. Row 3 (bare serves ~3x more requests than the app, too many for a
// shared generator) loads real and bare alone, one after the other, ABBA.
import os from 'node:os';
import { cpuSecondsOf, pinSelf, selfAffinity } from '../lib/procs.js';
import { runLoad, type LoadResult } from '../lib/load.js';
import { getJson, startServer, stopAll, type Server } from '../lib/service.js';
import { interleavedOrder, median, pairedRatio, percentile, rotatedOrder } from '../lib/stats.js';
import { fmtInt, fmtPercent, fmtRatio, fmtRps, judge } from '../lib/table.js';
import type { BenchContext, RowOutcome } from '../lib/types.js';

export const OVERHEAD_GOAL = 0.03;
const PATH = '/api/hello?name=bench';
const BASE = ['real', 'noop', 'none', 'twin', 'unsampled'] as const;
/** BENCH_OVERHEAD_DIAG=1 adds these (see servers/app-server.ts): notes only. */
const DIAG = ['gauge-collect', 'histogram-only', 'gauge-only'] as const;
const OTLP = ['plain', 'otlp-unset', 'otlp-on'] as const;
type Shared = (typeof BASE)[number] | (typeof DIAG)[number];
/** BENCH_METRICS of app-server.ts for each shared variant. */
const APP_VARIANT: Record<Shared, string> = {
  real: 'real',
  noop: 'noop',
  none: 'none',
  twin: 'noop',
  unsampled: 'real',
  'gauge-collect': 'gauge-collect',
  'histogram-only': 'histogram-only',
  'gauge-only': 'gauge-only',
};
/** W3C traceparent of a traced caller, sampled (an exemplar per request) and not (flags 00). */
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const UNSAMPLED = `${TRACEPARENT.slice(0, -2)}00`;

interface Run {
  load: LoadResult;
  /** Server CPU seconds during the run. */
  cpuS: number;
}

async function measure(
  server: Server,
  connections: number,
  durationS: number,
  traceparent = TRACEPARENT,
): Promise<Run> {
  const before = cpuSecondsOf(server.child.pid);
  const headers = { traceparent };
  const load = await runLoad(`${server.url}${PATH}`, { connections, durationS, headers });
  return { load, cpuS: cpuSecondsOf(server.child.pid) - before };
}

const pct = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

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
  const running = new Set<Server>();
  let pinnedSelf = false;
  const originalAffinity = pin ? selfAffinity() : undefined;
  const start = async (
    label: string,
    script: string,
    env: Record<string, string>,
    cpus = serverCpu,
    probe = PATH,
  ) => {
    const server = await startServer(label, script, env, probe, cpus);
    running.add(server);
    return server;
  };
  const stop = async (servers: Server[]) => {
    await stopAll(servers);
    for (const s of servers) running.delete(s);
  };
  try {
    if (pin && originalAffinity !== undefined) pinnedSelf = pinSelf(`0-${cpuCount - 2}`);
    const { connections, overheadRunS: runS, overheadWarmupS: warmS } = options;

    // Rows 2-2e: fresh servers every round, started in rotated order, warmed up and measured
    // together. `onRound` sees each round's servers before and after (with its runs) the
    // measured run.
    const together = async <V extends string>(
      variants: readonly V[],
      envOf: (v: V) => Record<string, string>,
      onRound?: (servers: Map<V, Server>, runs?: Map<V, Run>) => Promise<void>,
    ) => {
      const out = Object.fromEntries(variants.map((v) => [v, [] as Run[]])) as Record<V, Run[]>;
      for (let round = 0; round < options.overheadRounds; round += 1) {
        const servers = new Map<V, Server>();
        for (const v of rotatedOrder(round, variants)) {
          servers.set(v, await start(`app-server (${v})`, 'bench/servers/app-server.ts', envOf(v)));
        }
        const header = (v: V) => (v === 'unsampled' ? UNSAMPLED : TRACEPARENT);
        const go = (s: number) =>
          Promise.all(
            variants.map((v) => measure(servers.get(v) as Server, connections, s, header(v))),
          );
        await go(warmS);
        await onRound?.(servers);
        const runs = await go(runS);
        const byVariant = new Map(variants.map((v, i) => [v, runs[i] as Run]));
        variants.forEach((v) => out[v].push(byVariant.get(v) as Run));
        await onRound?.(servers, byVariant);
        await stop([...servers.values()]);
        ctx.log(
          `overhead: round ${round + 1} (together): ` +
            variants.map((v) => `${v} ${fmtRps((byVariant.get(v) as Run).load.rps)}`).join(', '),
        );
      }
      return out;
    };
    const SHARED: Shared[] = [...BASE, ...(process.env.BENCH_OVERHEAD_DIAG === '1' ? DIAG : [])];
    const shared = await together(SHARED, (v) => ({ BENCH_METRICS: APP_VARIANT[v] }));

    // Rows 2d-2e: the receiver runs with the load generator, off the servers' core.
    const receiver = await start(
      'otlp-receiver',
      'bench/servers/otlp-receiver.ts',
      {},
      pin ? `0-${cpuCount - 2}` : undefined,
      '/stats',
    );
    const received = () =>
      getJson<{ posts: number; bytes: number; spans: number }>(`${receiver.url}/stats`);
    const exported = { spans: 0, bytes: 0, requests: 0 };
    const otelModules: Record<'otlp-unset' | 'otlp-on', number[]> = {
      'otlp-unset': [],
      'otlp-on': [],
    };
    let mark = { posts: 0, bytes: 0, spans: 0 };
    const otlp = await together(
      OTLP,
      (v): Record<string, string> => ({
        BENCH_METRICS: 'real',
        ...(v !== 'plain' && { BENCH_TRACING: 'worker' }),
        ...(v === 'otlp-on' && { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }),
      }),
      async (servers, runs) => {
        const now = await received();
        const on = runs?.get('otlp-on');
        if (on) {
          // Spans that reached the receiver while the measured run lasted vs requests it served.
          exported.spans += now.spans - mark.spans;
          exported.bytes += now.bytes - mark.bytes;
          exported.requests += on.load.ok;
          for (const v of ['otlp-unset', 'otlp-on'] as const) {
            const line = /opentelemetry modules: (\d+)/.exec(servers.get(v)?.child.output() ?? '');
            otelModules[v].push(line ? Number(line[1]) : Number.NaN);
          }
        }
        mark = now;
      },
    );
    await stop([receiver]);

    // Row 3: real vs bare, each alone, ABBA.
    const ceiling = {
      real: await start('app-server (real)', 'bench/servers/app-server.ts', {
        BENCH_METRICS: 'real',
      }),
      bare: await start('bare-server', 'bench/servers/bare-server.ts', {}),
    };
    for (const v of ['real', 'bare'] as const)
      await measure(ceiling[v], connections, options.warmupS);
    const alone: Record<'real' | 'bare', Run[]> = { real: [], bare: [] };
    for (let round = 0; round < options.ceilingRounds; round += 1) {
      for (const v of interleavedOrder(round, 'real' as const, 'bare' as const)) {
        const run = await measure(ceiling[v], connections, runS);
        alone[v].push(run);
        ctx.log(`overhead: ceiling round ${round + 1} ${v} (alone): ${fmtRps(run.load.rps)}`);
      }
    }
    await stop([ceiling.real, ceiling.bare]);

    const rps = (runs: Run[]) => runs.map((r) => r.load.rps);
    const cpuUs = (runs: Run[]) =>
      runs.map((r) => (r.cpuS * 1e6) / Math.max(1, r.load.ok + r.load.non2xx));
    const vsNoop = pairedRatio(rps(shared.noop), rps(shared.real));
    const vsNone = pairedRatio(rps(shared.none), rps(shared.real));
    const vsBare = pairedRatio(rps(alone.bare), rps(alone.real));
    const costNoop = throughputCost(vsNoop.ratios);
    const costNone = throughputCost(vsNone.ratios);
    const twinVsNoop = pairedRatio(rps(shared.noop), rps(shared.twin));
    const costTwin = throughputCost(twinVsNoop.ratios);
    const cpuCostNoop = pairedRatio(cpuUs(shared.noop), cpuUs(shared.real)).median - 1;
    const cpuCostNone = pairedRatio(cpuUs(shared.none), cpuUs(shared.real)).median - 1;
    const cpuBare = pairedRatio(cpuUs(alone.bare), cpuUs(alone.real)).median;
    // Rows 2b (unsampled) and 2c-2e: a paired comparison each, cost and CPU cross-check.
    const compare = (base: Run[], candidate: Run[]) => {
      const ratio = pairedRatio(rps(base), rps(candidate));
      const cpuCost = pairedRatio(cpuUs(base), cpuUs(candidate)).median - 1;
      return { ratio, cost: throughputCost(ratio.ratios), cpuCost };
    };
    const noExemplar = compare(shared.none, shared.unsampled);
    const exemplar = compare(shared.unsampled, shared.real);
    const otlpUnset = compare(otlp.plain, otlp['otlp-unset']);
    const otlpOn = compare(otlp.plain, otlp['otlp-on']);
    const modulesUnset = Math.max(...otelModules['otlp-unset']);
    const modulesOn = Math.min(...otelModules['otlp-on']);
    const spansPerRequest = exported.spans / Math.max(1, exported.requests);
    const failures = [...Object.values(shared), ...Object.values(otlp), ...Object.values(alone)]
      .flat()
      .reduce((sum, r) => sum + r.load.non2xx + r.load.errors + r.load.timeouts, 0);
    const med = (runs: Run[]) => fmtRps(median(rps(runs)));
    const us = (runs: Run[]) => `${median(cpuUs(runs)).toFixed(1)} us`;
    const spread = (c: { q1: number; q3: number }) =>
      `quartiles ${fmtPercent(c.q1)}..${fmtPercent(c.q3)}`;

    const cmp = (c: ReturnType<typeof compare>, candidate: Run[], base: Run[]) =>
      `${med(candidate)} vs ${med(base)}: cost ${fmtPercent(c.cost.cost)} ` +
      `(CPU/request ${fmtPercent(c.cpuCost)})`;
    const notes = [
      'Rows 2-2e: every request carries a W3C traceparent with the sampled flag (an exemplar ' +
        'kept per request, as for a request that starts a trace here) except `unsampled`, whose ' +
        `flags are 00 (no exemplar kept). Row 2b without exemplars: ${spread(noExemplar.cost)}; ` +
        `row 2c: ${spread(exemplar.cost)}.`,
      `Rows 2d-2e: ${plural(options.overheadRounds, 'round')} of their own, fresh servers as for ` +
        "2-2b: `plain` (the app without a tracer) vs the worker's startRequestTracing() with " +
        'OTEL_EXPORTER_OTLP_ENDPOINT unset (`otlp-unset`) and set to a loopback OTLP/HTTP receiver ' +
        'that decodes each export and answers 200 (`otlp-on`, bench/servers/otlp-receiver.ts, ' +
        "pinned with the load generator), the SDK's batch processor at its defaults. 2d: " +
        `${spread(otlpUnset.cost)}, @opentelemetry modules resolved by the tracer's start: ` +
        `${modulesUnset} unset, ${modulesOn} on. 2e: ${spread(otlpOn.cost)}; the receiver got ` +
        `${fmtInt(exported.spans)} spans (${Math.round(exported.bytes / Math.max(1, exported.spans))} B each ` +
        `on the wire) during the measured runs, in which otlp-on served ${fmtInt(exported.requests)} ` +
        `requests (${pct(spansPerRequest)} exported: spans queued in the warm-up arrive during ` +
        'the measured run; spans the batch processor drops never do).',
      `Rows 2-2b: ${plural(options.overheadRounds, 'round')}; each starts fresh real, no-op, ` +
        'no-middleware, twin (a second no-op) and unsampled servers in rotated order, warms ' +
        `them up together for ${warmS}s, then loads them together for ${runS}s ` +
        `(${connections} connections each) while they share one core: their throughput ratio is ` +
        'their CPU cost ratio, and noise from the rest of the machine hits all alike. Cost = 1 - ' +
        `median of per-round throughput ratios (${spread(costNoop)} for no-op, ${spread(costNone)} ` +
        `for none). The A/A control (twin vs no-op, identical code) came out at ` +
        `${fmtPercent(costTwin.cost)} (${spread(costTwin)}): differences of that size are noise. ` +
        "The server's CPU time per request (from /proc) is the cross-check.",
      `Row 3: ${plural(options.ceilingRounds, 'round')} of ${runS}s, real and bare each loaded alone ` +
        `(ABBA order), ${connections} connections; ratio = median of per-round ratios. By CPU ` +
        `time per request the service costs ${cpuBare.toFixed(1)}x the bare server.`,
      `Rows 2-3, server CPU per request (median): real ${us(shared.real)}, no-op ${us(shared.noop)}, ` +
        `none ${us(shared.none)}, twin ${us(shared.twin)}, unsampled ${us(shared.unsampled)} ` +
        `(sharing a core); plain ${us(otlp.plain)}, otlp-unset ${us(otlp['otlp-unset'])}, ` +
        `otlp-on ${us(otlp['otlp-on'])} (sharing a core); ` +
        `real ${us(alone.real)}, bare ${us(alone.bare)} (alone).`,
      pin
        ? `Rows 2-3: servers pinned to CPU ${serverCpu} (taskset), the load generator to the ` +
          `other core${pinnedSelf ? '' : ' (pinning the bench itself failed)'}.`
        : 'Rows 2-3: not pinned (taskset unavailable or 1 CPU): servers and generator share the cores.',
      'Row 2 compares the same app with real metrics vs metric stand-ins whose methods do nothing ' +
        "(prom-client's cost); row 2b removes the middleware from the chain (the whole " +
        "middleware's cost: labels, timer, closure). Default process metrics " +
        '(collectDefaultMetrics) are in neither: they cost nothing per request.',
    ];
    for (const v of SHARED.filter((x) => (DIAG as readonly string[]).includes(x))) {
      const c = throughputCost(pairedRatio(rps(shared.noop), rps(shared[v])).ratios);
      notes.push(
        `Row 2 diagnostics (BENCH_OVERHEAD_DIAG): ${v} costs ${fmtPercent(c.cost)} vs no-op (${spread(c)}).`,
      );
    }
    if (failures > 0) notes.push(`Rows 2-3: ${failures} non-2xx/errors/timeouts during the runs.`);
    const status = (cost: number) =>
      failures > 0 ? ('FAIL' as const) : judge(cost, { atMost: OVERHEAD_GOAL });
    return {
      rows: [
        {
          id: '2 overhead',
          what: 'instrumentation, metric calls only: real vs no-op metrics (GET /api/hello, sharing a core)',
          measured:
            `${med(shared.real)} vs ${med(shared.noop)}: cost ${fmtPercent(costNoop.cost)} ` +
            `(CPU/request ${fmtPercent(cpuCostNoop)})`,
          ratio: fmtRatio(vsNoop.median, 3),
          goal: `cost <= ${OVERHEAD_GOAL * 100}%`,
          status: status(costNoop.cost),
        },
        {
          id: '2b overhead',
          what: 'whole instrumentation, an exemplar per request (sampled traceparent): app with vs without HTTP metrics (sharing a core)',
          measured:
            `${med(shared.real)} vs ${med(shared.none)}: cost ${fmtPercent(costNone.cost)} ` +
            `(CPU/request ${fmtPercent(cpuCostNone)})`,
          ratio: fmtRatio(vsNone.median, 3),
          goal: `cost <= ${OVERHEAD_GOAL * 100}%`,
          status: status(costNone.cost),
        },
        {
          id: '2b no exemplar',
          what: 'the same, requests unsampled (traceparent flags 00: no exemplar kept)',
          measured: cmp(noExemplar, shared.unsampled, shared.none),
          ratio: fmtRatio(noExemplar.ratio.median, 3),
          goal: `cost <= ${OVERHEAD_GOAL * 100}%`,
          status: status(noExemplar.cost.cost),
        },
        {
          id: '2c exemplar',
          what: "the exemplar alone: the same app, sampled vs unsampled requests (part of 2b's cost)",
          measured: cmp(exemplar, shared.real, shared.unsampled),
          ratio: fmtRatio(exemplar.ratio.median, 3),
          goal: 'none (in 2b)',
          status: 'info',
        },
        {
          id: '2d OTLP unset',
          what: "OTLP export off: the worker's tracer start with OTEL_EXPORTER_OTLP_ENDPOINT unset vs no tracer (same build)",
          measured: `${cmp(otlpUnset, otlp['otlp-unset'], otlp.plain)}; SDK modules loaded: ${modulesUnset}`,
          ratio: fmtRatio(otlpUnset.ratio.median, 3),
          goal: 'about 0%, SDK not loaded',
          // The goal is the SDK staying out of the process; the cost is judged against the A/A.
          status: failures > 0 || modulesUnset !== 0 ? 'FAIL' : 'pass',
        },
        {
          id: '2e OTLP on',
          what: 'OTLP export on, every request sampled, to a loopback receiver answering 200, vs no tracer',
          measured: `${cmp(otlpOn, otlp['otlp-on'], otlp.plain)}; ${pct(spansPerRequest)} of requests exported`,
          ratio: fmtRatio(otlpOn.ratio.median, 3),
          goal: 'none (opt-in)',
          status: modulesOn > 0 && exported.spans > 0 ? 'info' : 'FAIL',
        },
        {
          id: '2 A/A',
          what: 'control: no-op vs an identical no-op server, same rounds (the noise floor)',
          measured: `${med(shared.twin)} vs ${med(shared.noop)}: ${fmtPercent(costTwin.cost)}`,
          ratio: fmtRatio(twinVsNoop.median, 3),
          goal: 'about 0%',
          status: 'info',
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
        otlp: Object.fromEntries(
          OTLP.map((v) => [v, { rps: rps(otlp[v]), cpuMicrosPerRequest: cpuUs(otlp[v]) }]),
        ),
        noExemplar,
        exemplar,
        otlpUnset,
        otlpOn,
        otelModules,
        exported,
        realVsBare: vsBare,
        costNoop,
        costNone,
        twinVsNoop,
        costTwin,
        cpuCostNoop,
        cpuCostNone,
        cpuRealOverBare: cpuBare,
        failures,
      },
    };
  } finally {
    if (pinnedSelf && originalAffinity !== undefined) pinSelf(originalAffinity);
    await stopAll([...running]);
  }
}
