// The bench's one table: markdown that also reads well in a terminal (columns padded).
// Pure functions: unit-tested in test/unit/bench-lib.test.ts.

/** pass/FAIL against a goal; info: no goal (a ceiling or a context number); ERROR: not measured. */
export type RowStatus = 'pass' | 'FAIL' | 'info' | 'ERROR';

export interface TableRow {
  /** Row number and short name, e.g. `1 scaling`. */
  id: string;
  what: string;
  measured: string;
  ratio: string;
  goal: string;
  status: RowStatus;
}

export const TABLE_HEADER = ['#', 'what', 'measured', 'ratio', 'goal', 'result'] as const;

/** A cell cannot hold a newline or an unescaped pipe in a markdown table. */
export function escapeCell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

export function formatTable(rows: readonly TableRow[]): string {
  const cells = [
    [...TABLE_HEADER],
    ...rows.map((r) => [r.id, r.what, r.measured, r.ratio, r.goal, r.status].map(escapeCell)),
  ];
  const widths = TABLE_HEADER.map((_, col) =>
    Math.max(3, ...cells.map((line) => (line[col] ?? '').length)),
  );
  const render = (line: readonly string[]) =>
    `| ${line.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join(' | ')} |`;
  const rule = `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`;
  const [header, ...body] = cells;
  return [render(header ?? []), rule, ...body.map(render)].join('\n');
}

export function fmtRatio(x: number, digits = 2): string {
  return Number.isFinite(x) ? `${x.toFixed(digits)}x` : 'n/a';
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** A signed percentage, e.g. `+1.8%` (cost) or `-0.4%` (faster than the baseline: noise). */
export function fmtPercent(fraction: number, digits = 1): string {
  if (!Number.isFinite(fraction)) return 'n/a';
  const value = fraction * 100;
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}%`;
}

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

/** Decimal units, as network figures are given: `1.52 MB`, `33.2 kB`. */
export function fmtBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(2)} MB`;
  return `${(bytes / 1e3).toFixed(1)} kB`;
}

export function fmtRps(rps: number): string {
  return `${fmtInt(rps)} req/s`;
}

/** pass/FAIL for a measured value against a bound. */
export function judge(value: number, goal: { atLeast?: number; atMost?: number }): RowStatus {
  if (!Number.isFinite(value)) return 'ERROR';
  if (goal.atLeast !== undefined && value < goal.atLeast) return 'FAIL';
  if (goal.atMost !== undefined && value > goal.atMost) return 'FAIL';
  return 'pass';
}
