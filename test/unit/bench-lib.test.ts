// The benchmark's pure helpers (bench/lib): statistics, the table, the SVG chart, the options.
// Fast and in-process: the bench itself (`npm run bench`) is never run here.
import { describe, expect, it } from 'vitest';
import { parseOptions, UsageError } from '../../bench/lib/options.js';
import { parseJlist } from '../../bench/lib/pm2.js';
import { parseWrk } from '../../bench/lib/wrk.js';
import {
  interleavedOrder,
  max,
  median,
  min,
  pairedRatio,
  percentile,
  rotatedOrder,
  summarize,
} from '../../bench/lib/stats.js';
import {
  buildLineChart,
  escapeXml,
  niceStep,
  niceTicks,
  spreadLabels,
} from '../../bench/lib/svg.js';
import {
  escapeCell,
  fmtMs,
  fmtPercent,
  fmtRatio,
  formatTable,
  judge,
  type TableRow,
} from '../../bench/lib/table.js';
import {
  blank,
  changedShare,
  countSamples,
  isPartialScrape,
  scrapeChart,
  syntheticCounts,
  type ScrapeCase,
} from '../../bench/rows/scrape.js';
import {
  blankPhases,
  parsePhasesLine,
  parseWorkerLine,
  PHASES_PREFIX,
  WORKER_PREFIX,
} from '../../bench/fixtures/phases.js';
import { SYNTHETIC_METRIC } from '../../bench/fixtures/synthetic.js';

describe('bench statistics', () => {
  it('median of odd and even samples, unsorted input', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('percentile interpolates between closest ranks', () => {
    const values = Array.from({ length: 101 }, (_, i) => i); // 0..100
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 0)).toBe(0);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([10, 20], 50)).toBe(15);
    expect(percentile([1, 2, 3, 4], 99)).toBeCloseTo(3.97, 10);
  });

  it('empty or failed samples give NaN, not a crash; NaN values are ignored', () => {
    expect(median([])).toBeNaN();
    expect(min([])).toBeNaN();
    expect(max([])).toBeNaN();
    expect(median([NaN, 5, NaN])).toBe(5);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('summarize reports n, median, p99, min and max', () => {
    const s = summarize([5, 1, 9, 3]);
    expect(s).toMatchObject({ n: 4, median: 4, min: 1, max: 9 });
    expect(s.p99).toBeCloseTo(8.88, 10);
  });

  it('paired ratios are per round, and their median resists one outlier round', () => {
    const a = [100, 100, 100, 100, 100];
    const b = [190, 185, 188, 20, 191];
    const r = pairedRatio(a, b);
    expect(r.ratios).toEqual([1.9, 1.85, 1.88, 0.2, 1.91]);
    expect(r.median).toBe(1.88);
    expect(() => pairedRatio([1], [1, 2])).toThrow(RangeError);
  });

  it('interleaving alternates which side goes first; rotation visits every start', () => {
    expect([0, 1, 2, 3].map((r) => interleavedOrder(r, 'A', 'B').join(''))).toEqual([
      'AB',
      'BA',
      'AB',
      'BA',
    ]);
    expect([0, 1, 2, 3].map((r) => rotatedOrder(r, ['a', 'b', 'c']).join(''))).toEqual([
      'abc',
      'bca',
      'cab',
      'abc',
    ]);
    expect(rotatedOrder(3, [])).toEqual([]);
  });
});

describe('bench table', () => {
  const rows: TableRow[] = [
    {
      id: '1 scaling',
      what: 'WORKERS=2 vs 1',
      measured: '390 req/s vs 200 req/s',
      ratio: fmtRatio(1.95),
      goal: '>= 1.8x',
      status: judge(1.95, { atLeast: 1.8 }),
    },
    {
      id: '6 reload',
      what: 'a | pipe\nand a newline',
      measured: '0 failed',
      ratio: 'n/a',
      goal: '0 failed',
      status: 'pass',
    },
  ];

  it('renders an aligned markdown table with a header, a rule and one line per row', () => {
    const table = formatTable(rows);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\| # +\| what +\| measured +\| ratio +\| goal +\| result +\|$/);
    expect(lines[1]).toMatch(/^\| -+ \| -+ \| -+ \| -+ \| -+ \| -+ \|$/);
    expect(lines[2]).toContain('| 1.95x ');
    expect(lines[2]).toContain('| pass ');
    // Every line has the same length: columns are padded.
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    // A pipe or newline inside a cell cannot break the table.
    expect(lines[3]).toContain('a \\| pipe and a newline');
    expect(lines[3]?.split(/(?<!\\)\|/)).toHaveLength(8);
  });

  it('formats numbers and judges goals', () => {
    expect(fmtRatio(1.8349)).toBe('1.83x');
    expect(fmtRatio(NaN)).toBe('n/a');
    expect(fmtMs(1234.5)).toBe('1235 ms');
    expect(fmtMs(12.345)).toBe('12.3 ms');
    expect(fmtMs(1.2345)).toBe('1.23 ms');
    expect(fmtPercent(0.0213)).toBe('+2.1%');
    expect(fmtPercent(-0.004)).toBe('-0.4%');
    expect(escapeCell('a|b')).toBe('a\\|b');
    expect(judge(1.79, { atLeast: 1.8 })).toBe('FAIL');
    expect(judge(0.03, { atMost: 0.03 })).toBe('pass');
    expect(judge(0.031, { atMost: 0.03 })).toBe('FAIL');
    expect(judge(NaN, { atMost: 0.03 })).toBe('ERROR');
  });
});

describe('bench SVG chart', () => {
  it('nice ticks start at 0 and cover the maximum on a 1/2/5 step', () => {
    expect(niceStep(100, 5)).toBe(20);
    expect(niceStep(7, 5)).toBe(2);
    expect(niceTicks(93, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const ticks = niceTicks(15_225, 6);
    expect(ticks[0]).toBe(0);
    expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(15_225);
  });

  it('builds a well-formed SVG with one polyline per series and a marker per point', () => {
    const svg = buildLineChart(
      [
        {
          name: 'ours <2 workers>',
          color: '#1f77b4',
          points: [
            { x: 200, y: 6 },
            { x: 15_000, y: 220 },
          ],
        },
        {
          name: 'stock & co',
          color: '#d62728',
          dashed: true,
          points: [
            { x: 70, y: 4 },
            { x: 15_100, y: 190 },
            { x: 7_000, y: 90 },
          ],
        },
      ],
      { title: 'scrape latency', xLabel: 'samples', yLabel: 'ms', pointLabel: (p) => `${p.y} ms` },
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(5);
    expect(svg).toContain('stroke-dasharray');
    // Text is escaped, so the document stays XML.
    expect(svg).toContain('ours &lt;2 workers&gt;');
    expect(svg).toContain('stock &amp; co');
    expect(svg).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;)/);
    expect(svg).toContain('>220 ms<');
    // Every opened element is closed (self-closing or paired).
    const opened = (svg.match(/<(?!\/)[a-z]+[^>]*[^/]>/g) ?? []).length;
    const closed = (svg.match(/<\/[a-z]+>/g) ?? []).length;
    expect(opened).toBe(closed);
    // Points are sorted by x within a polyline, and all coordinates are finite numbers.
    const stock = /data-name="stock &amp; co"[^>]*points="([^"]+)"/.exec(svg)?.[1] ?? '';
    const xs = stock.split(' ').map((pair) => Number(pair.split(',')[0]));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(stock.split(/[ ,]/).every((n) => Number.isFinite(Number(n)))).toBe(true);
  });

  it('can label only the last point of each series, moved apart where they would overlap', () => {
    const svg = buildLineChart(
      [
        {
          name: 'a',
          color: '#000001',
          points: [
            { x: 1, y: 1 },
            { x: 100, y: 50 },
          ],
        },
        {
          name: 'b',
          color: '#000002',
          points: [
            { x: 1, y: 1 },
            { x: 100, y: 50.5 },
          ],
        },
      ],
      { title: 't', xLabel: 'x', yLabel: 'y', pointLabel: (p) => `${p.y} ms`, labelPoints: 'last' },
    );
    const labels = [...svg.matchAll(/<text x="[^"]+" y="([^"]+)" font-size="10"[^>]*>([^<]*)</g)];
    expect(labels.map((m) => m[2])).toEqual(expect.arrayContaining(['50 ms', '50.5 ms']));
    expect(labels).toHaveLength(2);
    const [y1, y2] = labels.map((m) => Number(m[1]));
    expect(Math.abs((y1 ?? 0) - (y2 ?? 0))).toBeGreaterThanOrEqual(12);
    // Far apart in x: left alone.
    const spread = spreadLabels([
      { x: 0, y: 10, text: 'a', color: 'c' },
      { x: 500, y: 11, text: 'b', color: 'c' },
    ]);
    expect(spread.map((l) => l.y)).toEqual([10, 11]);
  });

  it('escapes XML metacharacters', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;',
    );
  });

  it('the scrape chart has ours and stock for each worker count, at their series counts', () => {
    const side = (series: number, medianMs: number) => ({
      ...blank(),
      latenciesMs: [medianMs],
      summary: summarize([medianMs]),
      series,
    });
    const cases: ScrapeCase[] = [2, 4].flatMap((workers) =>
      (
        [
          [0, 'idle'],
          [1000, 'idle'],
          [1000, 'churn'],
        ] as const
      ).map(([labelSets, mode]) => ({
        workers,
        labelSets,
        mode,
        ours: side(200 + labelSets * 15, 5 + labelSets / (mode === 'idle' ? 50 : 5)),
        stock: side(70 + labelSets * 15, 4 + labelSets / 4),
        ratio: 1,
      })),
    );
    const svg = scrapeChart(cases);
    // ours and stock, idle and churn, per worker count; churn lines start at the own-series case.
    expect(svg.match(/<polyline /g)).toHaveLength(8);
    expect(svg.match(/<circle /g)).toHaveLength(16);
    expect(svg).toContain('4 workers');
    expect(svg).toContain('stock clusterMetrics(), churn, 2 workers');
    // Without churn cases, no churn lines.
    const idleOnly = scrapeChart(cases.filter((c) => c.mode === 'idle'));
    expect(idleOnly.match(/<polyline /g)).toHaveLength(4);
    expect(idleOnly).not.toContain('churn,');
  });
});

describe('bench scrape helpers', () => {
  it('counts samples, not comments or blank lines', () => {
    const body = '# HELP a x\n# TYPE a counter\na_total 1\nb{x="1"} 2\n\n';
    expect(countSamples(body)).toBe(2);
  });

  it('recognises a partial scrape of ours', () => {
    expect(isPartialScrape('cluster_worker_scrape_success{slot="0"} 1\n')).toBe(false);
    expect(isPartialScrape('x 1\ncluster_worker_scrape_success{slot="1"} 0\n')).toBe(true);
  });

  it('parses the fixtures phase lines and ignores everything else', () => {
    const line = `${PHASES_PREFIX}${JSON.stringify({ ...blankPhases('ours'), totalMs: 3 })}`;
    expect(parsePhasesLine(line)?.totalMs).toBe(3);
    expect(parsePhasesLine('{"level":"warn"}')).toBeUndefined();
    expect(parsePhasesLine(`${PHASES_PREFIX}{broken`)).toBeUndefined();
    const worker = `${WORKER_PREFIX}{"side":"stock","encodeMs":2,"snapshotMs":2,"sendMs":1}`;
    expect(parseWorkerLine(worker)?.sendMs).toBe(1);
    expect(parseWorkerLine(line)).toBeUndefined();
    expect(parsePhasesLine(worker)).toBeUndefined();
  });

  it('reads the synthetic counts from a body and tells which label sets changed', () => {
    const body = (a: number, b: number) =>
      `# TYPE ${SYNTHETIC_METRIC} histogram\n` +
      `${SYNTHETIC_METRIC}_bucket{le="+Inf",route="/s/0",status_code="200"} ${a}\n` +
      `${SYNTHETIC_METRIC}_count{route="/s/0",status_code="200"} ${a}\n` +
      `${SYNTHETIC_METRIC}_count{route="/s/0",status_code="201"} ${b}\n` +
      `${SYNTHETIC_METRIC}_sum{route="/s/0",status_code="201"} 0.5\n`;
    const first = syntheticCounts(body(2, 2));
    expect([...first.values()]).toEqual([2, 2]);
    expect(changedShare(first, syntheticCounts(body(2, 2)))).toBe(0);
    expect(changedShare(first, syntheticCounts(body(3, 2)))).toBe(0.5);
    expect(changedShare(first, syntheticCounts(body(4, 4)))).toBe(1);
    expect(changedShare(new Map(), first)).toBe(0);
  });
});

describe('bench options', () => {
  it('defaults to the full run; --quick shortens it; BENCH_DURATION_S overrides the run length', () => {
    const full = parseOptions([], {});
    expect(full.quick).toBe(false);
    expect(full.durationS).toBe(5);
    expect(full.scrapes).toBe(30);
    expect(full.resultsDir).toBe('bench/results');
    const quick = parseOptions(['--quick', '--strict'], { BENCH_DURATION_S: '2' });
    expect(quick.quick).toBe(true);
    expect(quick.strict).toBe(true);
    expect(quick.durationS).toBe(2);
    expect(quick.resultsDir).toBe('bench/results/quick');
    expect([...(parseOptions(['--only=scrape,kill'], {}).only ?? [])]).toEqual(['scrape', 'kill']);
    expect([...(parseOptions(['--only=listen'], {}).only ?? [])]).toEqual(['listen']);
    expect([full.listenRounds, quick.listenRounds]).toEqual([3, 1]);
    expect([...(parseOptions(['--only=pm2'], {}).only ?? [])]).toEqual(['pm2']);
    expect([full.pm2Rounds, quick.pm2Rounds, full.pm2Reloads, quick.pm2Reloads]).toEqual([
      3, 1, 2, 1,
    ]);
  });

  it('rejects unknown arguments, rows and bad durations', () => {
    expect(() => parseOptions(['--fast'], {})).toThrow(UsageError);
    expect(() => parseOptions(['--only=nope'], {})).toThrow(/unknown row/);
    expect(() => parseOptions([], { BENCH_DURATION_S: 'abc' })).toThrow(/BENCH_DURATION_S/);
    expect(() => parseOptions([], { BENCH_DURATION_S: '0.1' })).toThrow(/BENCH_DURATION_S/);
  });
});

describe('wrk report parsing', () => {
  const report = [
    'Running 6s test @ http://127.0.0.1:8080/api/hello',
    '  1 threads and 16 connections',
    '  Latency Distribution',
    '     50%    4.10ms',
    '     99%    1.20s',
    '  14000 requests in 6.01s, 3.10MB read',
    '  Socket errors: connect 0, read 3, write 0, timeout 2',
    '  Non-2xx or 3xx responses: 7',
    'Requests/sec:   2329.45',
    'Transfer/sec:    528.17KB',
  ].join('\n');

  it('reads throughput, errors and the p99 latency in ms', () => {
    expect(parseWrk(report)).toEqual({
      rps: 2329.45,
      requests: 14000,
      non2xx: 7,
      socketErrors: 5,
      latencyP99Ms: 1200,
    });
  });

  it('fails loudly on output without a throughput line', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(
      /Requests\/sec/,
    );
  });
});

describe('pm2 jlist', () => {
  it("reads the bench app's instances, skipping other apps and anything printed before the JSON", () => {
    const entry = (
      name: string,
      pid: number,
      status: string,
      uptime: number,
      restarts: number,
    ) => ({
      name,
      pid,
      pm2_env: { status, pm_uptime: uptime, restart_time: restarts, env: { PORT: '1' } },
    });
    const stdout =
      '[PM2] Spawning PM2 daemon\n' +
      JSON.stringify([
        entry('bench-app', 11, 'online', 1000, 0),
        entry('other', 12, 'online', 1001, 0),
        entry('bench-app', 13, 'launching', 1002, 2),
      ]);
    expect(parseJlist(stdout)).toEqual([
      { pid: 11, status: 'online', startedAt: 1000, restarts: 0 },
      { pid: 13, status: 'launching', startedAt: 1002, restarts: 2 },
    ]);
    expect(parseJlist('[]')).toEqual([]);
    expect(() => parseJlist('[PM2] error: no daemon')).toThrow();
  });
});
