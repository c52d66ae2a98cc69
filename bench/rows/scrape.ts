// Row 4: scrape latency of our manager's /metrics vs the stock prom-client clusterMetrics() path,
// for each worker count and synthetic series level. For every case both clusters are up at once
// and scraped in alternation (ABBA), sequentially, after a warm-up; both fixtures run under the
// same loader (tsx) with the same worker registries (default metrics, the http histogram, the
// synthetic histogram).
import { performance } from 'node:perf_hooks';
import { parsePhasesLine, type ScrapePhases } from '../fixtures/phases.js';
import { SYNTHETIC_ENV } from '../fixtures/synthetic.js';
import { getOnce } from '../lib/load.js';
import { startCluster, startStockCluster, stopAll, type Service } from '../lib/service.js';
import { interleavedOrder, median, summarize, type Summary } from '../lib/stats.js';
import { buildLineChart, type ChartSeries } from '../lib/svg.js';
import { fmtInt, fmtMs, fmtRatio, judge, type TableRow } from '../lib/table.js';
import type { BenchContext, RowOutcome } from '../lib/types.js';
import { scrapeBreakdown, type Breakdown } from './scrape-breakdown.js';

/** Ours must at least match the stock path (the issue: "aim well past" it). */
export const SCRAPE_GOAL = 1.0;

export interface SideResult {
  latenciesMs: number[];
  summary: Summary;
  /** Samples (non-comment lines) in the last body. */
  series: number;
  bytes: number;
  failures: number;
  /** Ours only: scrapes where some slot reported cluster_worker_scrape_success 0. */
  partial: number;
  /** Medians of the fixture's own phase timings over the measured scrapes. */
  phases: Omit<ScrapePhases, 'side'> | null;
}

export interface ScrapeCase {
  workers: number;
  labelSets: number;
  ours: SideResult;
  stock: SideResult;
  /** stock median / ours median: above 1, ours is faster. */
  ratio: number;
}

export function countSamples(body: string): number {
  let n = 0;
  for (const line of body.split('\n')) if (line !== '' && !line.startsWith('#')) n += 1;
  return n;
}

export function isPartialScrape(body: string): boolean {
  return /^cluster_worker_scrape_success\{[^}]*\} 0$/m.test(body);
}

async function scrapeOnce(url: string): Promise<{ ms: number; body: string } | null> {
  const start = performance.now();
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(30_000) });
    const body = await response.text();
    const ms = performance.now() - start;
    return response.status === 200 ? { ms, body } : null;
  } catch {
    return null;
  }
}

function medianPhases(all: ScrapePhases[]): SideResult['phases'] {
  if (all.length === 0) return null;
  const m = (key: keyof Omit<ScrapePhases, 'side'>) => median(all.map((p) => p[key]));
  return {
    totalMs: m('totalMs'),
    collectMs: m('collectMs'),
    recordMs: m('recordMs'),
    mergeMs: m('mergeMs'),
    renderMs: m('renderMs'),
    bytes: m('bytes'),
  };
}

async function measureCase(
  ctx: BenchContext,
  workers: number,
  labelSets: number,
): Promise<ScrapeCase> {
  const { options } = ctx;
  const env = { [SYNTHETIC_ENV]: String(labelSets) };
  let ours: Service | undefined;
  let stock: Service | undefined;
  try {
    ours = await startCluster({
      label: `ours W=${workers} sets=${labelSets}`,
      workers,
      args: ['--import', 'tsx', 'bench/fixtures/ours-main.ts'],
      // Long enough that no scrape goes partial (a partial scrape would flatter us).
      env: { ...env, METRICS_COLLECT_TIMEOUT_MS: '20000' },
    });
    stock = await startStockCluster({
      label: `stock W=${workers} sets=${labelSets}`,
      workers,
      env,
    });
    const sides = { ours, stock };
    const phases: Record<'ours' | 'stock', ScrapePhases[]> = { ours: [], stock: [] };
    for (const side of ['ours', 'stock'] as const) {
      sides[side].child.onLine((line) => {
        const p = parsePhasesLine(line);
        if (p) phases[side].push(p);
      });
      // A little API traffic on fresh connections, so every worker has http series.
      for (let i = 0; i < 8 * workers; i += 1) await getOnce(`${sides[side].apiUrl}/`);
    }
    const results: Record<'ours' | 'stock', SideResult> = {
      ours: blank(),
      stock: blank(),
    };
    const total = options.warmupScrapes + options.scrapes;
    for (let i = 0; i < total; i += 1) {
      if (i === options.warmupScrapes) {
        phases.ours.length = 0;
        phases.stock.length = 0;
      }
      for (const side of interleavedOrder(i, 'ours' as const, 'stock' as const)) {
        const result = results[side];
        const scrape = await scrapeOnce(sides[side].managerUrl);
        if (i < options.warmupScrapes) continue;
        if (!scrape) {
          result.failures += 1;
          continue;
        }
        result.latenciesMs.push(scrape.ms);
        result.series = countSamples(scrape.body);
        result.bytes = Buffer.byteLength(scrape.body);
        if (side === 'ours' && isPartialScrape(scrape.body)) result.partial += 1;
      }
    }
    // The fixtures print their phase line before answering; give stdout a moment to arrive.
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const side of ['ours', 'stock'] as const) {
      results[side].summary = summarize(results[side].latenciesMs);
      results[side].phases = medianPhases(phases[side]);
    }
    const ratio = results.stock.summary.median / results.ours.summary.median;
    ctx.log(
      `scrape: W=${workers} sets=${labelSets}: ours ${fmtMs(results.ours.summary.median)} ` +
        `(${fmtInt(results.ours.series)} samples), stock ${fmtMs(results.stock.summary.median)} ` +
        `(${fmtInt(results.stock.series)} samples): ${fmtRatio(ratio)}`,
    );
    return { workers, labelSets, ours: results.ours, stock: results.stock, ratio };
  } finally {
    await stopAll([ours, stock]);
  }
}

function blank(): SideResult {
  return {
    latenciesMs: [],
    summary: summarize([]),
    series: 0,
    bytes: 0,
    failures: 0,
    partial: 0,
    phases: null,
  };
}

export function scrapeChart(cases: readonly ScrapeCase[]): string {
  const workerCounts = [...new Set(cases.map((c) => c.workers))].sort((a, b) => a - b);
  const colors = { ours: '#1f77b4', stock: '#d62728' };
  const series: ChartSeries[] = [];
  workerCounts.forEach((workers, i) => {
    for (const side of ['ours', 'stock'] as const) {
      series.push({
        name: `${side === 'ours' ? 'ours (manager /metrics)' : 'stock clusterMetrics()'}, ${workers} workers`,
        color: colors[side],
        dashed: i > 0,
        labelBelow: side === 'stock',
        points: cases
          .filter((c) => c.workers === workers)
          .map((c) => ({ x: c[side].series, y: c[side].summary.median })),
      });
    }
  });
  return buildLineChart(series, {
    title: 'Cluster /metrics scrape latency (median) vs series count',
    subtitle:
      'ours vs prom-client AggregatorRegistry.clusterMetrics(), measured side by side in one run',
    xLabel: 'samples in the scraped output (all workers merged)',
    yLabel: 'scrape latency, median (ms)',
    pointLabel: (p) => fmtMs(p.y),
  });
}

function phaseText(p: SideResult['phases'], side: 'ours' | 'stock'): string {
  if (!p) return 'no phase timings';
  const collect =
    side === 'ours'
      ? `collect ${fmtMs(p.collectMs)} (incl. ledger.record ${fmtMs(p.recordMs)})`
      : `collect/IPC ${fmtMs(p.collectMs)}`;
  return `${collect}, ${side === 'ours' ? 'ledger.merge' : 'aggregate()'} ${fmtMs(p.mergeMs)}, render ${fmtMs(p.renderMs)} (total on the ${side === 'ours' ? 'manager' : 'primary'} ${fmtMs(p.totalMs)})`;
}

function breakdownText(b: Breakdown): string {
  return (
    `In-process replay (${b.workers} registries x ${fmtInt(b.labelSets)} synthetic label sets, ` +
    `${(b.bytesPerWorker / 1e6).toFixed(2)} MB of JSON per worker, medians of ${b.iterations}): ` +
    `getMetricsAsJSON ${fmtMs(b.workerSnapshotMs)} (all workers; in parallel processes on the real cluster), ` +
    `IPC JSON.stringify ${fmtMs(b.ipcStringifyMs)} (workers) + JSON.parse ${fmtMs(b.ipcParseMs)} (manager), ` +
    `ledger.record ${fmtMs(b.ledgerRecordMs)}, ledger.merge ${fmtMs(b.ledgerMergeMs)} ` +
    `(stock aggregate() ${fmtMs(b.stockAggregateMs)}), render ${fmtMs(b.renderMs)} ` +
    `(stock ${fmtMs(b.stockRenderMs)}).`
  );
}

export async function scrapeRows(ctx: BenchContext): Promise<RowOutcome & { chart: string }> {
  const { options } = ctx;
  const cases: ScrapeCase[] = [];
  for (const workers of options.workerCounts) {
    for (const labelSets of options.syntheticLevels) {
      cases.push(await measureCase(ctx, workers, labelSets));
    }
  }
  const heavy = Math.max(...options.syntheticLevels);
  const rows: TableRow[] = [];
  for (const c of cases) {
    if (c.labelSets !== 0 && c.labelSets !== heavy) continue; // the middle level is for the chart
    const failures = c.ours.failures + c.stock.failures + c.ours.partial;
    rows.push({
      id: `4 scrape`,
      what:
        `scrape latency, ${c.workers} workers, ` +
        (c.labelSets === 0
          ? "service's own series"
          : `+${fmtInt(c.labelSets)} histogram label sets/worker`) +
        ` (${fmtInt(c.ours.series)} samples ours, ${fmtInt(c.stock.series)} stock)`,
      measured:
        `ours p50 ${fmtMs(c.ours.summary.median)} p99 ${fmtMs(c.ours.summary.p99)}; ` +
        `stock p50 ${fmtMs(c.stock.summary.median)} p99 ${fmtMs(c.stock.summary.p99)}`,
      ratio: fmtRatio(c.ratio, 3),
      goal: `stock/ours >= ${SCRAPE_GOAL.toFixed(1)}x`,
      status: failures > 0 ? 'FAIL' : judge(c.ratio, { atLeast: SCRAPE_GOAL }),
    });
  }
  const notes = [
    `Row 4: ${options.scrapes} sequential scrapes per side after ${options.warmupScrapes} warm-up, ` +
      'ours and stock alternating, both clusters up at once; ratio = stock median / ours median ' +
      '(above 1: ours is faster). "Samples" counts the non-comment lines of the body; ours includes ' +
      "the manager's own cluster_* and process metrics, which stock does not have.",
  ];
  for (const c of cases) {
    if (c.ours.partial > 0 || c.ours.failures > 0 || c.stock.failures > 0) {
      notes.push(
        `Row 4 (W=${c.workers}, sets=${c.labelSets}): ${c.ours.partial} partial and ` +
          `${c.ours.failures} failed scrapes ours, ${c.stock.failures} failed stock.`,
      );
    }
  }
  const worst = cases.find(
    (c) => c.workers === Math.max(...options.workerCounts) && c.labelSets === heavy,
  );
  let breakdown: Breakdown | undefined;
  if (worst) {
    notes.push(
      `Where the scrape time goes (W=${worst.workers}, +${fmtInt(heavy)} label sets, medians timed ` +
        `inside the fixtures): ours: ${phaseText(worst.ours.phases, 'ours')}; ` +
        `stock: ${phaseText(worst.stock.phases, 'stock')}.`,
    );
    breakdown = await scrapeBreakdown(worst.workers, heavy, options.quick ? 3 : 10);
    notes.push(breakdownText(breakdown));
  }
  return { rows, notes, data: { cases, breakdown }, chart: scrapeChart(cases) };
}
