// `npm run bench`: one command, one table of ratios measured side by side in one run.
//   1 cluster scaling on CPU-bound work        4 scrape latency vs stock clusterMetrics()
//   2 overhead (2b-e: whole, exemplar, OTLP)   5 SIGKILL -> replacement serving
//   3 the service vs bare node:http            6 failed requests during a rolling reload
//   3b per-request cost vs plain Koa, split    4b-4c new connections, manager event loop, scraped
//   5b where a replacement worker's boot goes  7 LISTEN_MODE shared vs reuseport (7b-7d)
//   8 ours vs PM2 cluster mode: keep-alive throughput, SIGKILL (8b), reload (8c)
// Writes bench/results/latest.{md,json} and scrape-latency.svg (quick: bench/results/quick/).
// See bench/README.md. Exit 0 even when a goal is missed (unless --strict); 1 when a row could
// not be measured; 2 on bad usage.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as prettier from 'prettier';
import { parseOptions, UsageError, type RowName } from './lib/options.js';
import { canPin, installCleanupHandlers, killAllChildren, ROOT } from './lib/procs.js';
import { machineFacts, renderMarkdown } from './lib/report.js';
import { formatTable, type TableRow } from './lib/table.js';
import type { BenchContext, RowOutcome } from './lib/types.js';
import { ablationRows } from './rows/ablation.js';
import { connectionRows } from './rows/connections.js';
import { killRow } from './rows/kill.js';
import { listenModeRows } from './rows/listen-modes.js';
import { overheadRows } from './rows/overhead.js';
import { pm2Rows } from './rows/pm2.js';
import { reloadRow } from './rows/reload.js';
import { requestCostRow } from './rows/request-cost.js';
import { scalingRow } from './rows/scaling.js';
import { scrapeRows } from './rows/scrape.js';

const CHART_FILE = 'scrape-latency.svg';

interface RowSpec {
  name: RowName;
  /** The table line shown when the row could not be measured. */
  id: string;
  what: string;
  run(ctx: BenchContext): Promise<RowOutcome & { chart?: string }>;
}

const ROWS: RowSpec[] = [
  { name: 'scaling', id: '1 scaling', what: 'cluster scaling, CPU-bound', run: scalingRow },
  {
    name: 'overhead',
    id: '2-3 overhead',
    what: 'instrumentation overhead, ceiling',
    run: overheadRows,
  },
  {
    name: 'request',
    id: '3b request cost',
    what: 'per-request cost vs plain Koa',
    run: requestCostRow,
  },
  { name: 'scrape', id: '4 scrape', what: 'scrape latency vs stock', run: scrapeRows },
  {
    name: 'connections',
    id: '4b-4c connections',
    what: 'new connections and event loop while scraped',
    run: connectionRows,
  },
  { name: 'kill', id: '5 SIGKILL', what: 'SIGKILL -> replacement serving', run: killRow },
  { name: 'reload', id: '6 reload', what: 'failed requests during reload', run: reloadRow },
  {
    name: 'listen',
    id: '7 listen modes',
    what: 'LISTEN_MODE shared vs reuseport',
    run: listenModeRows,
  },
  {
    name: 'pm2',
    id: '8 vs PM2',
    what: 'ours vs PM2 cluster mode, same app',
    run: pm2Rows,
  },
  {
    name: 'ablation',
    id: '9 ablation',
    what: 'what each optimisation layer of the scrape buys',
    run: ablationRows,
  },
];

/** Writes a result file as the repository's prettier would, so `npm run lint` stays clean. */
async function writeFormatted(file: string, text: string): Promise<void> {
  let out = text;
  try {
    const config = (await prettier.resolveConfig(file)) ?? {};
    out = await prettier.format(text, { ...config, filepath: file });
  } catch {
    // Unformatted but correct beats nothing.
  }
  await writeFile(file, out);
}

async function main(): Promise<number> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (!existsSync(path.join(ROOT, 'dist/main.js'))) {
    process.stderr.write(
      'dist/main.js is missing: run `npm run build` first (npm run bench does)\n',
    );
    return 1;
  }
  const started = Date.now();
  const facts = machineFacts();
  const ctx: BenchContext = {
    options,
    canPin: await canPin(),
    log: (message) =>
      process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`),
  };
  ctx.log(
    `${options.quick ? 'quick' : 'full'} run, ${options.durationS}s per throughput run, ` +
      `${facts.cores} cores (${facts.cpuModel}), node ${facts.node}, load average ${facts.loadAverageAtStart.join(' ')}`,
  );

  const rows: TableRow[] = [];
  const notes: string[] = [];
  const data: Record<string, unknown> = {};
  let chart: string | undefined;
  let errors = 0;
  for (const spec of ROWS) {
    if (options.only && !options.only.has(spec.name)) continue;
    ctx.log(`--- ${spec.id}: ${spec.what}`);
    try {
      const outcome = await spec.run(ctx);
      rows.push(...outcome.rows);
      notes.push(...outcome.notes);
      data[spec.name] = outcome.data;
      if (outcome.chart) chart = outcome.chart;
    } catch (error) {
      errors += 1;
      const message = error instanceof Error ? error.message : String(error);
      ctx.log(`${spec.id} FAILED TO RUN: ${message}`);
      rows.push({
        id: spec.id,
        what: spec.what,
        measured: 'not measured',
        ratio: 'n/a',
        goal: 'n/a',
        status: 'ERROR',
      });
      notes.push(`${spec.id}: not measured: ${message.split('\n')[0]}`);
      data[spec.name] = { error: message };
    }
  }
  facts.loadAverageAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const elapsedS = (Date.now() - started) / 1000;

  const table = formatTable(rows);
  process.stdout.write(`\n${table}\n\n`);
  process.stdout.write(
    `machine: ${facts.cpuModel}, ${facts.cores} cores, node ${facts.node}, ${facts.date}; ` +
      `the load generator shares these cores with the service.\n`,
  );
  for (const note of notes) process.stdout.write(`- ${note}\n`);

  if (options.only === null) {
    const dir = path.join(ROOT, options.resultsDir);
    await mkdir(dir, { recursive: true });
    const mode = options.quick ? 'quick smoke run' : 'full run';
    await writeFormatted(
      path.join(dir, 'latest.md'),
      renderMarkdown({
        facts,
        mode,
        durationS: options.durationS,
        rows,
        notes,
        elapsedS,
        ...(chart ? { chartFile: CHART_FILE } : {}),
      }),
    );
    await writeFormatted(
      path.join(dir, 'latest.json'),
      `${JSON.stringify({ mode, options: { ...options, only: null }, facts, elapsedS, rows, notes, data }, null, 2)}\n`,
    );
    if (chart) await writeFile(path.join(dir, CHART_FILE), chart);
    process.stdout.write(
      `\nwritten: ${options.resultsDir}/latest.md, latest.json${chart ? `, ${CHART_FILE}` : ''}\n`,
    );
  } else {
    process.stdout.write('\n(--only: partial run, no results written)\n');
  }

  const missed = rows.filter((r) => r.status === 'FAIL');
  if (missed.length > 0) {
    process.stdout.write(
      `\nGOAL MISSED: ${missed.map((r) => r.id).join(', ')}${options.strict ? '' : ' (exit 0: pass --strict to fail on this)'}\n`,
    );
  }
  if (errors > 0) return 1;
  return options.strict && missed.length > 0 ? 1 : 0;
}

installCleanupHandlers();
// A hard cap on the whole run, whatever hangs: kill every child and give up.
const watchdog = setTimeout(() => {
  process.stderr.write('bench: watchdog expired (30 min), killing children\n');
  killAllChildren();
  process.exit(1);
}, 30 * 60_000);
watchdog.unref();
const code = await main();
killAllChildren();
process.exit(code);
