// What every row of the bench hands back to bench/run.ts.
import type { BenchOptions } from './options.js';
import type { TableRow } from './table.js';

export interface BenchContext {
  options: BenchOptions;
  /** Progress on stderr (the table goes to stdout). */
  log(message: string): void;
  /** True when taskset can pin servers to one core. */
  canPin: boolean;
}

export interface RowOutcome {
  rows: TableRow[];
  notes: string[];
  /** Raw measurements, written to latest.json. */
  data: Record<string, unknown>;
}
