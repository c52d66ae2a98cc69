// The written results: machine facts, the table, the notes (markdown), and everything raw (JSON).
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { ROOT } from './procs.js';
import { formatTable, type TableRow } from './table.js';

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  availableParallelism: number;
  totalMemoryGiB: number;
  node: string;
  platform: string;
  date: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
  commit: string | null;
}

export function machineFacts(): MachineFacts {
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    availableParallelism: os.availableParallelism(),
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    commit: commit.status === 0 ? commit.stdout.trim() : null,
  };
}

export function renderMarkdown(options: {
  facts: MachineFacts;
  mode: string;
  durationS: number;
  rows: readonly TableRow[];
  notes: readonly string[];
  chartFile?: string;
  elapsedS: number;
}): string {
  const f = options.facts;
  const lines = [
    '# Benchmark results',
    '',
    `\`npm run bench\` (${options.mode}, ${options.durationS}s per throughput run, ` +
      `${Math.round(options.elapsedS)}s in all). Every ratio compares things measured side by side ` +
      'in this one run, interleaved, medians taken: absolute numbers on a shared 2-core machine are ' +
      'noise, ratios much less so.',
    '',
    '| machine | |',
    '| --- | --- |',
    `| CPU | ${f.cpuModel} |`,
    `| cores | ${f.cores} (available parallelism ${f.availableParallelism}) |`,
    `| memory | ${f.totalMemoryGiB} GiB |`,
    `| node | ${f.node} |`,
    `| OS | ${f.platform} |`,
    `| date | ${f.date} |`,
    `| load average (1/5/15 min) | start ${f.loadAverageAtStart.join(' / ')}; end ${(f.loadAverageAtEnd ?? []).join(' / ')} |`,
    `| commit | ${f.commit ?? 'unknown'} (plus the working tree) |`,
    '',
    formatTable(options.rows),
    '',
    'The load generator runs on the same 2 cores as the service: throughput rows measure the pair, ' +
      'and cluster scaling in particular cannot reach 2.0x when the generator needs CPU too.',
    '',
    '## Notes',
    '',
    ...options.notes.map((n) => `- ${n}`),
    '',
  ];
  if (options.chartFile) {
    lines.push(`![scrape latency vs series count](${options.chartFile})`, '');
  }
  return lines.join('\n');
}
