// Row 4: scrape latency of our manager's /metrics vs the stock prom-client clusterMetrics() path,
// for each worker count and synthetic series level, idle (label sets observed once) and churn
// (every label set re-observed every 50 ms, so each scrape finds all of them changed). For every
// case both clusters are up at once and scraped in alternation (ABBA), sequentially, after a
// warm-up; both fixtures run under the same loader (tsx) and serve the same content: the same
// worker registries (default metrics, the http metrics, the synthetic histogram and its churn
// timer) and the manager's own families (stock: stock-primary-metrics.ts), but a few.
import { performance } from 'node:perf_hooks';
import {
  parsePhasesLine,
  parseWorkerLine,
  type ScrapePhases,
  type WorkerPhases,
} from '../fixtures/phases.js';
import {
  SYNTHETIC_CHURN_ENV,
  SYNTHETIC_CHURN_INTERVAL_MS,
  SYNTHETIC_ENV,
  SYNTHETIC_METRIC,
} from '../fixtures/synthetic.js';
import { getOnce } from '../lib/load.js';
import {
  OURS_FIXTURE_ARGS,
  startCluster,
  startStockCluster,
  stopAll,
  type Service,
} from '../lib/service.js';
import { interleavedOrder, max, median, min, summarize, type Summary } from '../lib/stats.js';
import { buildLineChart, type ChartSeries } from '../lib/svg.js';
import { fmtInt, fmtMs, fmtRatio, judge, type TableRow } from '../lib/table.js';
import type { BenchContext, RowOutcome } from '../lib/types.js';
import { scrapeBreakdown, type Breakdown, type PathCost } from './scrape-breakdown.js';

/** Ours must at least match the stock path (the issue: "aim well past" it). */
export const SCRAPE_GOAL = 1.0;

/**
 * Churn cases pause this long before every scrape (both sides), so that between two scrapes of
 * one cluster every worker's churn timer has fired at least once even when that cluster is
 * scraped twice in a row (ABBA). The bench checks it on every scrape (`changedShare`).
 */
export const CHURN_PAUSE_MS = SYNTHETIC_CHURN_INTERVAL_MS + 25;

export type SyntheticMode = 'idle' | 'churn';

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
  /** Medians of the workers' own timings (encode, send) over the measured replies. */
  workerPhases: Omit<WorkerPhases, 'side'> | null;
  /**
   * Per measured scrape after the first: the share of synthetic label sets whose merged _count
   * differs from the previous scrape of the same cluster (churn: 1; idle: 0).
   */
  changedShare: number[];
}

export interface ScrapeCase {
  workers: number;
  labelSets: number;
  mode: SyntheticMode;
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

/** The synthetic histogram's `_count` per label set, from an exposition body. */
export function syntheticCounts(body: string): Map<string, number> {
  const prefix = `${SYNTHETIC_METRIC}_count{`;
  const counts = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const space = line.lastIndexOf(' ');
    counts.set(line.slice(prefix.length, space), Number(line.slice(space + 1)));
  }
  return counts;
}

/** Share of the label sets of `before` whose count is different (or gone) in `after`. */
export function changedShare(before: Map<string, number>, after: Map<string, number>): number {
  if (before.size === 0) return 0;
  let changed = 0;
  for (const [key, count] of before) if (after.get(key) !== count) changed += 1;
  return changed / before.size;
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
    parseMs: m('parseMs'),
    recordMs: m('recordMs'),
    renderMs: m('renderMs'),
    aggregateMs: m('aggregateMs'),
    textMs: m('textMs'),
    familiesRendered: m('familiesRendered'),
    familiesChanged: m('familiesChanged'),
    familiesSame: m('familiesSame'),
    changedChars: m('changedChars'),
    replies: m('replies'),
    syntheticChanged: m('syntheticChanged'),
    bytes: m('bytes'),
  };
}

function medianWorkerPhases(all: WorkerPhases[]): SideResult['workerPhases'] {
  if (all.length === 0) return null;
  const m = (key: keyof Omit<WorkerPhases, 'side'>) => median(all.map((p) => p[key]));
  return { encodeMs: m('encodeMs'), snapshotMs: m('snapshotMs'), sendMs: m('sendMs') };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function caseLabel(c: { labelSets: number; mode: SyntheticMode }): string {
  if (c.labelSets === 0) return "service's own series";
  return (
    `+${fmtInt(c.labelSets)} histogram label sets/worker, ` +
    (c.mode === 'idle'
      ? 'idle (observed once)'
      : `churn (all re-observed every ${SYNTHETIC_CHURN_INTERVAL_MS} ms)`)
  );
}

async function measureCase(
  ctx: BenchContext,
  workers: number,
  labelSets: number,
  mode: SyntheticMode,
): Promise<ScrapeCase> {
  const { options } = ctx;
  const env: Record<string, string> = { [SYNTHETIC_ENV]: String(labelSets) };
  if (mode === 'churn') env[SYNTHETIC_CHURN_ENV] = '1';
  const name = `W=${workers} sets=${labelSets} ${mode}`;
  let ours: Service | undefined;
  let stock: Service | undefined;
  try {
    ours = await startCluster({
      label: `ours ${name}`,
      workers,
      args: OURS_FIXTURE_ARGS,
      // Long enough that no scrape goes partial (a partial scrape would flatter us).
      env: { ...env, METRICS_COLLECT_TIMEOUT_MS: '20000' },
    });
    stock = await startStockCluster({ label: `stock ${name}`, workers, env });
    const sides = { ours, stock };
    const phases: Record<'ours' | 'stock', ScrapePhases[]> = { ours: [], stock: [] };
    const workerPhases: Record<'ours' | 'stock', WorkerPhases[]> = { ours: [], stock: [] };
    for (const side of ['ours', 'stock'] as const) {
      sides[side].child.onLine((line) => {
        const p = parsePhasesLine(line);
        if (p) phases[side].push(p);
        const w = parseWorkerLine(line);
        if (w) workerPhases[side].push(w);
      });
      // A little API traffic on fresh connections, so every worker has http series.
      for (let i = 0; i < 8 * workers; i += 1) await getOnce(`${sides[side].apiUrl}/`);
    }
    const results: Record<'ours' | 'stock', SideResult> = {
      ours: blank(),
      stock: blank(),
    };
    const previous: Record<'ours' | 'stock', Map<string, number> | null> = {
      ours: null,
      stock: null,
    };
    const total = options.warmupScrapes + options.scrapes;
    for (let i = 0; i < total; i += 1) {
      if (i === options.warmupScrapes) {
        for (const side of ['ours', 'stock'] as const) {
          phases[side].length = 0;
          workerPhases[side].length = 0;
        }
      }
      for (const side of interleavedOrder(i, 'ours' as const, 'stock' as const)) {
        const result = results[side];
        if (mode === 'churn') await sleep(CHURN_PAUSE_MS);
        const scrape = await scrapeOnce(sides[side].managerUrl);
        const measured = i >= options.warmupScrapes;
        // The last warm-up body is the baseline of the first measured scrape's change check.
        if (!measured && i < options.warmupScrapes - 1) continue;
        if (!scrape) {
          if (measured) result.failures += 1;
          previous[side] = null;
          continue;
        }
        // Outside the timed part: did the synthetic label sets change since the last scrape?
        if (labelSets > 0) {
          const counts = syntheticCounts(scrape.body);
          const before = previous[side];
          if (before && measured) result.changedShare.push(changedShare(before, counts));
          previous[side] = counts;
        }
        if (!measured) continue;
        result.latenciesMs.push(scrape.ms);
        result.series = countSamples(scrape.body);
        result.bytes = Buffer.byteLength(scrape.body);
        if (side === 'ours' && isPartialScrape(scrape.body)) result.partial += 1;
      }
    }
    // The fixtures print their phase line before answering; give stdout a moment to arrive.
    await sleep(100);
    for (const side of ['ours', 'stock'] as const) {
      results[side].summary = summarize(results[side].latenciesMs);
      results[side].phases = medianPhases(phases[side]);
      results[side].workerPhases = medianWorkerPhases(workerPhases[side]);
    }
    const ratio = results.stock.summary.median / results.ours.summary.median;
    ctx.log(
      `scrape: ${name}: ours ${fmtMs(results.ours.summary.median)} ` +
        `(${fmtInt(results.ours.series)} samples), stock ${fmtMs(results.stock.summary.median)} ` +
        `(${fmtInt(results.stock.series)} samples): ${fmtRatio(ratio)}`,
    );
    return { workers, labelSets, mode, ours: results.ours, stock: results.stock, ratio };
  } finally {
    await stopAll([ours, stock]);
  }
}

/** A side with nothing measured yet. */
export function blank(): SideResult {
  return {
    latenciesMs: [],
    summary: summarize([]),
    series: 0,
    bytes: 0,
    failures: 0,
    partial: 0,
    phases: null,
    workerPhases: null,
    changedShare: [],
  };
}

/**
 * Median latency against series count: ours and stock, idle (solid markers' lines) and churn,
 * per worker count (4 workers dashed). The churn lines start at the own-series point: with no
 * synthetic label sets there is nothing to churn, idle and churn are the same case.
 */
export function scrapeChart(cases: readonly ScrapeCase[]): string {
  const workerCounts = [...new Set(cases.map((c) => c.workers))].sort((a, b) => a - b);
  const colors = {
    ours: { idle: '#1f77b4', churn: '#17becf' },
    stock: { idle: '#d62728', churn: '#ff7f0e' },
  };
  const series: ChartSeries[] = [];
  for (const [i, workers] of workerCounts.entries()) {
    for (const mode of ['idle', 'churn'] as const) {
      const points = cases.filter(
        (c) => c.workers === workers && (c.mode === mode || c.labelSets === 0),
      );
      if (mode === 'churn' && !points.some((c) => c.mode === 'churn')) continue;
      for (const side of ['ours', 'stock'] as const) {
        series.push({
          name:
            `${side === 'ours' ? 'ours (manager /metrics)' : 'stock clusterMetrics()'}, ` +
            `${mode}, ${workers} workers`,
          color: colors[side][mode],
          dashed: i > 0,
          labelBelow: side === 'stock',
          points: points.map((c) => ({ x: c[side].series, y: c[side].summary.median })),
        });
      }
    }
  }
  return buildLineChart(series, {
    title: 'Cluster /metrics scrape latency (median) vs series count',
    subtitle:
      'ours vs prom-client clusterMetrics(), side by side in one run; idle: label sets observed ' +
      `once; churn: all re-observed every ${SYNTHETIC_CHURN_INTERVAL_MS} ms`,
    xLabel: 'samples in the scraped output (all workers merged)',
    yLabel: 'scrape latency, median (ms)',
    width: 860,
    height: 520,
    pointLabel: (p) => fmtMs(p.y),
    labelPoints: 'last',
  });
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

function phaseText(c: ScrapeCase, side: 'ours' | 'stock'): string {
  const p = c[side].phases;
  const w = c[side].workerPhases;
  if (!p) return 'no phase timings';
  const worker = w
    ? side === 'ours'
      ? `worker MetricsEncoder.encode ${fmtMs(w.encodeMs)} (reading the registry ${fmtMs(w.snapshotMs)} of it) + send ${fmtMs(w.sendMs)} per reply; `
      : `worker getMetricsAsJSON ${fmtMs(w.snapshotMs)} + send ${fmtMs(w.sendMs)} per reply; `
    : '';
  if (side === 'stock') {
    return (
      `${worker}collect/IPC ${fmtMs(p.collectMs)}, aggregate() ${fmtMs(p.aggregateMs)}, ` +
      `registry.metrics() ${fmtMs(p.textMs)} (total on the primary ${fmtMs(p.totalMs)})`
    );
  }
  const perReply = (n: number) => (p.replies > 0 ? n / p.replies : NaN);
  return (
    `${worker}on the metrics thread: collect ${fmtMs(p.collectMs)} (incl. JSON.parse of the link ` +
    `lines ${fmtMs(p.parseMs)} and ledger.recordReply ${fmtMs(p.recordMs)}; ` +
    `per reply ${fmtInt(perReply(p.familiesChanged))} families as JSON, ` +
    `${fmtInt(perReply(p.familiesSame))} by name, ${fmtInt(perReply(p.changedChars) / 1000)} kB of JSON), ` +
    `ledger.render ${fmtMs(p.renderMs)} (${fmtInt(p.familiesRendered)} families merged and rendered again ` +
    `by the ledger's own merge and renderer; prom-client's aggregate() ${fmtMs(p.aggregateMs)} + ` +
    `registry.metrics() ${fmtMs(p.textMs)} of it, for families left to prom-client) ` +
    `(total on the metrics thread ${fmtMs(p.totalMs)})`
  );
}

function kB(bytes: number): string {
  return `${(bytes / 1e3).toFixed(bytes < 1e4 ? 1 : 0)} kB`;
}

function costText(c: PathCost, side: 'ours' | 'stock'): string {
  const worker =
    side === 'ours'
      ? `worker MetricsEncoder.encode ${fmtMs(c.encodeMs)} + IPC stringify ${fmtMs(c.sendStringifyMs)} ` +
        `(${kB(c.bytesPerWorker)}, ${fmtInt(c.familiesSent)} of ${fmtInt(c.families)} families as JSON)`
      : `worker getMetricsAsJSON ${fmtMs(c.encodeMs)} + IPC stringify ${fmtMs(c.sendStringifyMs)} ` +
        `(${kB(c.bytesPerWorker)})`;
  const manager =
    side === 'ours'
      ? `JSON.parse ${fmtMs(c.parseMs)} + ledger.recordReply ${fmtMs(c.recordMs)} + ` +
        `ledger.render ${fmtMs(c.renderMs)}`
      : `JSON.parse ${fmtMs(c.parseMs)} + aggregate() and registry.metrics() ${fmtMs(c.renderMs)}`;
  return `${worker}; manager ${manager} = ${fmtMs(c.managerMs)}`;
}

function breakdownNotes(b: Breakdown): string[] {
  const head =
    `In-process replay (${b.workers} registries x ${fmtInt(b.labelSets)} synthetic label sets in ` +
    `the bench process, no IPC, medians of ${b.iterations}; worker figures per worker, manager ` +
    `figures for all workers together)`;
  return [
    `${head}: stock: ${costText(b.stock, 'stock')} (aggregate() ${fmtMs(b.stock.aggregateMs)}, ` +
      `registry.metrics() ${fmtMs(b.stock.textMs)}).`,
    `Replay, ours cold (the first scrape: fresh encoders and ledger, everything sent, merged ` +
      `and rendered): ${costText(b.cold, 'ours')}.`,
    `Replay, ours warm and idle (the synthetic series unchanged since the last scrape; default ` +
      `metrics changed): ${costText(b.idle, 'ours')}. ledger.render called again with the very ` +
      `same inputs (nothing recorded in between): ${fmtMs(b.unchangedRenderMs)}.`,
    `Replay, ours warm with churn (every synthetic label set changed since the last scrape): ` +
      `${costText(b.churn, 'ours')}.`,
  ];
}

export async function scrapeRows(ctx: BenchContext): Promise<RowOutcome & { chart: string }> {
  const { options } = ctx;
  const cases: ScrapeCase[] = [];
  for (const workers of options.workerCounts) {
    for (const labelSets of options.syntheticLevels) {
      cases.push(await measureCase(ctx, workers, labelSets, 'idle'));
      // With no synthetic series there is nothing to churn.
      if (labelSets > 0) cases.push(await measureCase(ctx, workers, labelSets, 'churn'));
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
        `scrape latency, ${c.workers} workers, ${caseLabel(c)}` +
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
      '(above 1: ours is faster). "Samples" counts the non-comment lines of the body. Both sides ' +
      "serve the manager's own families (stock's primary: prom-client's default metrics under " +
      'cluster_manager_ and the cluster_* families it can know); ours alone has the per-slot ' +
      'heartbeat gauges (5 per worker), cluster_manager_stalls_total and _scrape_success, stock ' +
      "alone prom-client's 6 nodejs_active_*_total gauges; GC kinds seen differ run to run. " +
      'Idle: the synthetic label sets are observed once, so only the default and http metrics change ' +
      `between scrapes. Churn: every worker (both fixtures) re-observes every label set every ` +
      `${SYNTHETIC_CHURN_INTERVAL_MS} ms, and every scrape (both sides) waits ${CHURN_PAUSE_MS} ms ` +
      'first, so each scrape finds all of them changed: our worst case.',
  ];
  const churnCheck: string[] = [];
  for (const c of cases) {
    if (c.ours.partial > 0 || c.ours.failures > 0 || c.stock.failures > 0) {
      notes.push(
        `Row 4 (W=${c.workers}, sets=${c.labelSets}, ${c.mode}): ${c.ours.partial} partial and ` +
          `${c.ours.failures} failed scrapes ours, ${c.stock.failures} failed stock.`,
      );
    }
    if (c.labelSets > 0) {
      const synthetic = c.ours.phases
        ? `, synthetic family re-sent in ${c.ours.phases.syntheticChanged}/${c.ours.phases.replies} replies (median scrape)`
        : '';
      // Churn: the fewest changed (should be 100%); idle: the most (should be 0%).
      const pick = c.mode === 'churn' ? min : max;
      churnCheck.push(
        `W=${c.workers} ${fmtInt(c.labelSets)} ${c.mode}: ours ${pct(pick(c.ours.changedShare))}` +
          `${synthetic}, stock ${pct(pick(c.stock.changedShare))}`,
      );
    }
  }
  if (churnCheck.length > 0) {
    notes.push(
      'Row 4 check, share of synthetic label sets whose merged count changed between consecutive ' +
        'scrapes of the same cluster (churn: the lowest over the measured scrapes, should be 100%; ' +
        `idle: the highest, should be 0%): ${churnCheck.join('; ')}.`,
    );
  }
  const maxWorkers = Math.max(...options.workerCounts);
  let breakdown: Breakdown | undefined;
  for (const mode of ['idle', 'churn'] as const) {
    const c = cases.find(
      (x) => x.workers === maxWorkers && x.labelSets === heavy && x.mode === mode,
    );
    if (!c) continue;
    notes.push(
      `Where the scrape time goes (W=${c.workers}, +${fmtInt(heavy)} label sets, ${mode}, medians ` +
        `timed inside the fixtures): ours: ${phaseText(c, 'ours')}; stock: ${phaseText(c, 'stock')}.`,
    );
  }
  if (heavy > 0) {
    breakdown = await scrapeBreakdown(maxWorkers, heavy, options.quick ? 3 : 10);
    notes.push(...breakdownNotes(breakdown));
  }
  return { rows, notes, data: { cases, breakdown }, chart: scrapeChart(cases) };
}
