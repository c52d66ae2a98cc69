// handleSummary for every script: writes `<SUMMARY_DIR>/<scenario>-summary.json` (k6's full
// summary data) and `<scenario>-summary.txt` (the text below, also printed to stdout).
//
// A local writer instead of jslib's textSummary: jslib is a remote https import with no types,
// and the text here leads with what the SLOs are about (thresholds, failures, p99).
import { SUMMARY_DIR } from './config.ts';

/** The parts of k6's summary data this writer reads (the JSON file keeps all of it). */
export interface SummaryMetric {
  type: 'counter' | 'gauge' | 'rate' | 'trend';
  contains: 'default' | 'time' | 'data';
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface SummaryCheck {
  name: string;
  passes: number;
  fails: number;
}

export interface SummaryGroup {
  name: string;
  path: string;
  groups: SummaryGroup[];
  checks: SummaryCheck[];
}

export interface SummaryData {
  metrics: Record<string, SummaryMetric>;
  root_group: SummaryGroup;
  state: { testRunDurationMs: number };
}

function formatValue(metric: SummaryMetric, key: string, value: number): string {
  if (metric.type === 'rate' && key === 'rate') return `${(value * 100).toFixed(3)}%`;
  if (key === 'count' || key === 'passes' || key === 'fails') return String(value);
  if (metric.contains === 'time') {
    return value >= 1000 ? `${(value / 1000).toFixed(2)}s` : `${value.toFixed(2)}ms`;
  }
  if (metric.contains === 'data') return `${(value / 1024).toFixed(1)}kB`;
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

function formatValues(metric: SummaryMetric): string {
  const order =
    metric.type === 'trend'
      ? Object.keys(metric.values)
      : metric.type === 'rate'
        ? ['rate', 'passes', 'fails']
        : metric.type === 'counter'
          ? ['count', 'rate']
          : ['value', 'min', 'max'];
  return order
    .filter((key) => metric.values[key] !== undefined)
    .map((key) => {
      const value = metric.values[key] ?? 0;
      if (metric.type === 'counter' && key === 'rate') return `${value.toFixed(2)}/s`;
      return `${key}=${formatValue(metric, key, value)}`;
    })
    .join(' ');
}

function collectChecks(group: SummaryGroup, out: SummaryCheck[] = []): SummaryCheck[] {
  out.push(...group.checks);
  for (const child of group.groups) collectChecks(child, out);
  return out;
}

/** The text summary: verdict, thresholds, checks, then every metric. */
export function textSummary(scenario: string, data: SummaryData): string {
  const lines: string[] = [];
  const names = Object.keys(data.metrics).sort();
  const failed: string[] = [];
  const thresholdLines: string[] = [];
  for (const name of names) {
    const metric = data.metrics[name];
    if (metric?.thresholds === undefined) continue;
    for (const [expr, result] of Object.entries(metric.thresholds)) {
      if (!result.ok) failed.push(`${name} ${expr}`);
      thresholdLines.push(
        `  ${result.ok ? 'PASS' : 'FAIL'} ${name} ${expr}   (${formatValues(metric)})`,
      );
    }
  }
  const seconds = (data.state.testRunDurationMs / 1000).toFixed(1);
  lines.push(
    `k6 scenario "${scenario}": ${failed.length === 0 ? 'PASSED' : 'FAILED'} in ${seconds}s`,
  );
  lines.push('', 'thresholds:', ...(thresholdLines.length > 0 ? thresholdLines : ['  (none)']));

  const checks = collectChecks(data.root_group);
  if (checks.length > 0) {
    lines.push('', 'checks:');
    for (const c of checks) {
      lines.push(
        `  ${c.fails === 0 ? 'ok  ' : 'FAIL'} ${c.name}: ${c.passes} passed, ${c.fails} failed`,
      );
    }
  }

  lines.push('', 'metrics:');
  const width = Math.max(...names.map((n) => n.length), 10);
  for (const name of names) {
    const metric = data.metrics[name];
    if (metric !== undefined) lines.push(`  ${name.padEnd(width)}  ${formatValues(metric)}`);
  }
  if (failed.length > 0) lines.push('', `failed thresholds: ${failed.join('; ')}`);
  return `${lines.join('\n')}\n`;
}

/** `export const handleSummary = summaryHandler('load');` in each script. */
export function summaryHandler(scenario: string): (data: SummaryData) => Record<string, string> {
  return (data) => {
    const text = textSummary(scenario, data);
    return {
      stdout: text,
      [`${SUMMARY_DIR}/${scenario}-summary.json`]: JSON.stringify(data, null, 2),
      [`${SUMMARY_DIR}/${scenario}-summary.txt`]: text,
    };
  };
}
