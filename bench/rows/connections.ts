// Rows 4b and 4c: does a scrape slow the API? On Linux the cluster's primary accepts every API
// connection and hands it to a worker, so anything heavy on the primary's main thread stalls
// every client that opens a connection. Both fixtures (ours and the stock clusterMetrics()
// primary) run at once, 2 workers each, +1,000 synthetic histogram label sets per worker, idle
// and churn (bench/fixtures/synthetic.ts). Per round and side, interleaved (ABBA):
//   quiet    wrk -t1 -c16 -H 'Connection: close' GET /api/hello, nobody scrapes;
//   scraped  the same while the bench scrapes /metrics every 200 ms (a scrape that takes longer
//            is followed by the next at once: never two at a time).
//   control  (ours only) the same while the bench fetches, at the same pace, a static body as
//            large as ours' /metrics from a trivial server (bench/servers/static-body-server.ts):
//            what moving those bytes costs these 2 shared cores, with no metrics work anywhere.
// 4b: scraped / quiet throughput, per side (goal for ours >= 0.9x), and control / quiet (the
// floor no implementation can beat here). 4c: the primary's main-thread event-loop delay p99
// during each run (perf_hooks in the fixture, reported on SIGUSR2).
import { performance } from 'node:perf_hooks';
import { EVENT_LOOP_SIGNAL, parseEventLoopLine, type EventLoopReport } from '../fixtures/phases.js';
import { SYNTHETIC_CHURN_ENV, SYNTHETIC_ENV } from '../fixtures/synthetic.js';
import type { Child } from '../lib/procs.js';
import { sleep } from '../lib/procs.js';
import {
  OURS_FIXTURE_ARGS,
  startCluster,
  startServer,
  startStockCluster,
  stopAll,
  type Server,
  type Service,
} from '../lib/service.js';
import { interleavedOrder, max, median, pairedRatio, rotatedOrder } from '../lib/stats.js';
import { fmtBytes, fmtInt, fmtMs, fmtRatio, fmtRps, judge, type TableRow } from '../lib/table.js';
import type { BenchContext, RowOutcome } from '../lib/types.js';
import { assertWrk, runWrkClose, type WrkResult } from '../lib/wrk.js';
import type { SyntheticMode } from './scrape.js';

export const CONNECTIONS_GOAL = 0.9;
export const EVENT_LOOP_GOAL_MS = 10;
export const SCRAPE_PERIOD_MS = 200;
const WORKERS = 2;
const LABEL_SETS = 1000;
const WRK_CONNECTIONS = 16;

type Side = 'ours' | 'stock';
type Condition = 'quiet' | 'scraped' | 'control';

interface Run {
  wrk: WrkResult;
  eventLoop: EventLoopReport;
  /** Scraped runs: latency of every scrape during the run, and the failed ones. */
  scrapesMs: number[];
  scrapeFailures: number;
}

export interface ConnectionCase {
  mode: SyntheticMode;
  runs: Record<Side, Record<Condition, Run[]>>;
  /** Per side: median over rounds of scraped / quiet throughput. */
  ratio: Record<Side, number>;
  /** Ours: median over rounds of control / quiet throughput (the static body's). */
  controlRatio: number;
  /** Bytes of ours' /metrics body after the warm-up: the control's body size. */
  bodyBytes: number;
}

/** Asks the fixture's primary for its event-loop report (and resets it). */
function eventLoopProbe(child: Child): () => Promise<EventLoopReport> {
  const waiting: ((report: EventLoopReport) => void)[] = [];
  child.onLine((line) => {
    const report = parseEventLoopLine(line);
    if (report) waiting.shift()?.(report);
  });
  return () =>
    new Promise<EventLoopReport>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(deliver), 1);
        reject(new Error(`${child.label}: no event-loop report within 10 s`));
      }, 10_000);
      const deliver = (report: EventLoopReport) => {
        clearTimeout(timer);
        resolve(report);
      };
      waiting.push(deliver);
      process.kill(child.pid, EVENT_LOOP_SIGNAL);
    });
}

/** Scrapes `url` every `periodMs` (start to start; never two at once) until stopped. */
function scrapeEvery(url: string, periodMs: number) {
  let stopped = false;
  const latencies: number[] = [];
  let failures = 0;
  const loop = (async () => {
    for (let next = performance.now(); !stopped;) {
      const start = performance.now();
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
        await response.arrayBuffer();
        if (response.ok) latencies.push(performance.now() - start);
        else failures += 1;
      } catch {
        failures += 1;
      }
      next += periodMs;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      else next = performance.now();
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { latencies, failures };
    },
  };
}

async function measureMode(ctx: BenchContext, mode: SyntheticMode): Promise<ConnectionCase> {
  const { options } = ctx;
  const env: Record<string, string> = { [SYNTHETIC_ENV]: String(LABEL_SETS) };
  if (mode === 'churn') env[SYNTHETIC_CHURN_ENV] = '1';
  let ours: Service | undefined;
  let stock: Service | undefined;
  let control: Server | undefined;
  try {
    ours = await startCluster({
      label: `ours connections ${mode}`,
      workers: WORKERS,
      args: OURS_FIXTURE_ARGS,
      env,
    });
    stock = await startStockCluster({ label: `stock connections ${mode}`, workers: WORKERS, env });
    const sides: Record<Side, Service> = { ours, stock };
    const probes = { ours: eventLoopProbe(ours.child), stock: eventLoopProbe(stock.child) };
    const apiUrl = (side: Side) => `${sides[side].apiUrl}/api/hello?name=bench`;
    const runs: ConnectionCase['runs'] = {
      ours: { quiet: [], scraped: [], control: [] },
      stock: { quiet: [], scraped: [], control: [] },
    };
    // Warm-up: the JIT, and ours' first (full) collection, on both sides.
    for (const side of ['ours', 'stock'] as const) {
      const scraper = scrapeEvery(`${sides[side].managerUrl}/metrics`, SCRAPE_PERIOD_MS);
      await runWrkClose(apiUrl(side), { connections: WRK_CONNECTIONS, durationS: 2 });
      await scraper.stop();
    }
    const metricsBody = await fetch(`${ours.managerUrl}/metrics`);
    const bodyBytes = (await metricsBody.arrayBuffer()).byteLength;
    control = await startServer(
      `static body ${mode}`,
      'bench/servers/static-body-server.ts',
      { BODY_BYTES: String(bodyBytes) },
      '/',
    );
    const scrapeUrl = (side: Side, condition: Condition) =>
      condition === 'control' ? `${control!.url}/` : `${sides[side].managerUrl}/metrics`;
    const conditions = (side: Side, round: number): Condition[] =>
      side === 'ours'
        ? rotatedOrder(round, ['quiet', 'scraped', 'control'] as const)
        : interleavedOrder(round, 'quiet' as const, 'scraped' as const);
    for (let round = 0; round < options.connectionRounds; round += 1) {
      for (const side of interleavedOrder(round, 'ours' as const, 'stock' as const)) {
        for (const condition of conditions(side, round)) {
          await probes[side](); // starts the event-loop window
          const scraper =
            condition === 'quiet'
              ? null
              : scrapeEvery(scrapeUrl(side, condition), SCRAPE_PERIOD_MS);
          const wrk = await runWrkClose(apiUrl(side), {
            connections: WRK_CONNECTIONS,
            durationS: options.connectionRunS,
          });
          const scrapes = (await scraper?.stop()) ?? { latencies: [], failures: 0 };
          const eventLoop = await probes[side]();
          runs[side][condition].push({
            wrk,
            eventLoop,
            scrapesMs: scrapes.latencies,
            scrapeFailures: scrapes.failures,
          });
          ctx.log(
            `connections ${mode} round ${round + 1} ${side} ${condition}: ${fmtRps(wrk.rps)}, ` +
              `main-thread event-loop p99 ${fmtMs(eventLoop.p99Ms)}` +
              (scraper
                ? `, ${scrapes.latencies.length} scrapes (median ${fmtMs(median(scrapes.latencies))})`
                : ''),
          );
        }
      }
    }
    const rps = (list: Run[]) => list.map((r) => r.wrk.rps);
    const ratio = {
      ours: pairedRatio(rps(runs.ours.quiet), rps(runs.ours.scraped)).median,
      stock: pairedRatio(rps(runs.stock.quiet), rps(runs.stock.scraped)).median,
    };
    const controlRatio = pairedRatio(rps(runs.ours.quiet), rps(runs.ours.control)).median;
    return { mode, runs, ratio, controlRatio, bodyBytes };
  } finally {
    await stopAll([ours, stock, control]);
  }
}

const failuresOf = (runs: readonly Run[]) =>
  runs.reduce((sum, r) => sum + r.wrk.non2xx + r.wrk.socketErrors + r.scrapeFailures, 0);

export async function connectionRows(ctx: BenchContext): Promise<RowOutcome> {
  await assertWrk();
  const cases: ConnectionCase[] = [];
  for (const mode of ['idle', 'churn'] as const) cases.push(await measureMode(ctx, mode));

  const rows: TableRow[] = [];
  const notes: string[] = [];
  const medRps = (runs: readonly Run[]) => fmtRps(median(runs.map((r) => r.wrk.rps)));
  const scrapeCount = (runs: readonly Run[]) => median(runs.map((r) => r.scrapesMs.length));
  for (const c of cases) {
    const ours = c.runs.ours;
    const stock = c.runs.stock;
    const failures = failuresOf([...ours.quiet, ...ours.scraped, ...ours.control]);
    rows.push({
      id: '4b connections',
      what:
        `new-connection throughput while /metrics is scraped every ${SCRAPE_PERIOD_MS} ms vs not ` +
        `(wrk -c${WRK_CONNECTIONS}, Connection: close, GET /api/hello; ${WORKERS} workers, ` +
        `+${fmtInt(LABEL_SETS)} label sets/worker, ${c.mode})`,
      measured:
        `ours ${medRps(ours.quiet)} -> ${medRps(ours.scraped)}; ` +
        `stock ${medRps(stock.quiet)} -> ${medRps(stock.scraped)} (${fmtRatio(c.ratio.stock)})`,
      ratio: fmtRatio(c.ratio.ours, 3),
      goal: `ours scraped/quiet >= ${CONNECTIONS_GOAL}x`,
      status: failures > 0 ? 'FAIL' : judge(c.ratio.ours, { atLeast: CONNECTIONS_GOAL }),
    });
    rows.push({
      id: '4b control',
      what:
        `the same wrk against ours while the bench fetches a static ${fmtBytes(c.bodyBytes)} body ` +
        `(ours' /metrics, ${c.mode}) from a trivial node:http server every ${SCRAPE_PERIOD_MS} ms: ` +
        'what moving the bytes alone costs these cores, the floor under the row above',
      measured: `ours ${medRps(ours.quiet)} -> ${medRps(ours.control)}`,
      ratio: fmtRatio(c.controlRatio, 3),
      goal: 'none (floor)',
      status: 'info',
    });
    const allScrapes = (runs: readonly Run[]) => runs.flatMap((r) => r.scrapesMs);
    notes.push(
      `Row 4b (${c.mode}): scrapes completed per ${ctx.options.connectionRunS}s run (median): ` +
        `ours ${fmtInt(scrapeCount(ours.scraped))} (median ${fmtMs(median(allScrapes(ours.scraped)))}), ` +
        `stock ${fmtInt(scrapeCount(stock.scraped))} (median ${fmtMs(median(allScrapes(stock.scraped)))}); ` +
        `wrk p99 latency scraped: ours ${fmtMs(median(ours.scraped.map((r) => r.wrk.latencyP99Ms)))}, ` +
        `stock ${fmtMs(median(stock.scraped.map((r) => r.wrk.latencyP99Ms)))}; ` +
        `failed requests or scrapes: ours ${failures}, stock ${failuresOf([...stock.quiet, ...stock.scraped])}.`,
    );
  }
  // 4c: the worst p99 over the scraped runs (each run's own p99), per mode.
  const worst = (side: Side, condition: Condition) =>
    max(cases.flatMap((c) => c.runs[side][condition].map((r) => r.eventLoop.p99Ms)));
  const perMode = (side: Side, condition: Condition) =>
    cases
      .map((c) => `${c.mode} ${fmtMs(max(c.runs[side][condition].map((r) => r.eventLoop.p99Ms)))}`)
      .join(', ');
  const oursWorst = worst('ours', 'scraped');
  rows.push({
    id: '4c event loop',
    what:
      "manager main thread's event-loop delay p99 during the scraped runs of 4b (worst run; " +
      'perf_hooks monitor in the fixture, 1 ms resolution)',
    measured:
      `ours ${perMode('ours', 'scraped')} (quiet ${perMode('ours', 'quiet')}); ` +
      `stock ${perMode('stock', 'scraped')}`,
    ratio: 'n/a',
    goal: `ours <= ${EVENT_LOOP_GOAL_MS} ms`,
    status: judge(oursWorst, { atMost: EVENT_LOOP_GOAL_MS }),
  });
  notes.push(
    `Rows 4b-4c: ours (bench/fixtures/ours-main.ts) and stock (bench/fixtures/stock-main.ts) up at ` +
      `once; ${ctx.options.connectionRounds} rounds of ${ctx.options.connectionRunS}s wrk runs per ` +
      'side and condition, sides and conditions in ABBA order; ratio = median of per-round ' +
      "scraped/quiet throughput ratios. The event-loop delay is the primary's main thread " +
      '(the one that accepts and hands off every API connection), measured over each wrk run. ' +
      `Worst quiet-run p99 for stock: ${fmtMs(worst('stock', 'quiet'))}. ` +
      '4b control: a third condition for ours in the same rotation; the static body is as large ' +
      "as ours' /metrics after the warm-up, written by a node:http server of its own (one " +
      'process), fetched by the same loop as the scrapes. Its ratio is what the bench fetching ' +
      'that many bytes every 200 ms costs on these 2 cores (the client and the loopback copy ' +
      'share them with wrk and the workers): a /metrics of that size cannot do better here.',
  );
  return { rows, notes, data: { cases } };
}
