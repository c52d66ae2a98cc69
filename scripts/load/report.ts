// The human-readable report of a LoadResult: per-phase table, totals, thresholds, verdict.
import type { LoadResult } from './run.js';

const ms = (n: number) => n.toFixed(1);

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  '),
  );
}

export function formatResult(result: LoadResult): string {
  const lines: string[] = [];
  const rate = result.rate > 0 ? `${result.rate} rps target` : 'unthrottled';
  lines.push(
    `scenario ${result.scenario} against ${result.url}: ${result.durationSec.toFixed(1)} s, ` +
      `${result.connections} connection${result.connections === 1 ? '' : 's'}, ${rate}`,
    '',
  );
  lines.push(
    ...table([
      [
        'phase',
        'secs',
        'conns',
        'rate',
        'requests',
        'rps',
        'p50',
        'p90',
        'p99',
        'max',
        'non2xx',
        'errors',
      ],
      ...result.phases.map((p) => [
        p.label,
        p.durationSec.toFixed(1),
        String(p.connections),
        p.rate > 0 ? String(p.rate) : '-',
        String(p.requests),
        p.rps.toFixed(0),
        ms(p.latencyMs.p50),
        ms(p.latencyMs.p90),
        ms(p.latencyMs.p99),
        ms(p.latencyMs.max),
        String(p.non2xx),
        String(p.errors),
      ]),
    ]),
    '',
  );
  const codes = Object.entries(result.statusCodes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code}: ${n}`)
    .join(', ');
  lines.push(
    `requests:   ${result.requests} (${result.responses} responses${codes === '' ? '' : `; ${codes}`})`,
    `non-2xx:    ${result.non2xx}`,
    `errors:     ${result.errors} (timeouts: ${result.timeouts}, lost: ${result.lostRequests})` +
      (result.errorSamples.length > 0 ? ` e.g. ${result.errorSamples.join(', ')}` : ''),
    ...(result.discarded > 0
      ? [
          `discarded:  ${result.discarded} (written after a "Connection: close" answer; not counted)`,
        ]
      : []),
    `error rate: ${(result.errorRate * 100).toFixed(3)} %`,
    `latency ms: p50 ${ms(result.latencyMs.p50)}  p90 ${ms(result.latencyMs.p90)}  ` +
      `p99 ${ms(result.latencyMs.p99)}  max ${ms(result.latencyMs.max)}`,
    `rps:        ${result.rps.toFixed(1)}`,
  );
  if (result.reload !== undefined) {
    const at =
      result.reload.triggeredAtSec === null
        ? 'never sent'
        : `at ${result.reload.triggeredAtSec.toFixed(1)} s`;
    lines.push(`reload:     POST /reload ${at}: ${result.reload.message}`);
  }
  if (result.memory !== undefined) {
    const mb = (b: number | null) => (b === null ? 'n/a' : `${(b / 1048576).toFixed(1)} MB`);
    lines.push(
      `memory:     largest worker RSS ${mb(result.memory.startMaxRssBytes)} -> ` +
        `${mb(result.memory.endMaxRssBytes)}; worker restarts during the run: ${result.memory.restarts}`,
    );
  }
  if (result.responses === 0 && result.errors > 0) {
    lines.push(`hint:       no HTTP response at all: is the service listening on ${result.url}?`);
  }
  lines.push('', 'thresholds:');
  for (const t of result.thresholds)
    lines.push(`  ${t.ok ? 'PASS' : 'FAIL'} ${t.name}: ${t.detail}`);
  lines.push('', result.aborted ? 'ABORTED' : result.ok ? 'PASSED' : 'FAILED');
  return `${lines.join('\n')}\n`;
}
