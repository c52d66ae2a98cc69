// Command line and environment -> the bench's settings. Pure: unit-tested.

export const ROW_NAMES = [
  'scaling',
  'overhead',
  'request',
  'scrape',
  'connections',
  'kill',
  'reload',
  'listen',
  'pm2',
  'ablation',
] as const;
export type RowName = (typeof ROW_NAMES)[number];

export interface BenchOptions {
  quick: boolean;
  /** Exit 1 when a goal is missed (by default only a bench error exits non-zero). */
  strict: boolean;
  /** Rows to run; every row when null. A partial run prints its table but writes no results. */
  only: ReadonlySet<RowName> | null;
  /** Seconds of load per throughput run (rows 1-3). */
  durationS: number;
  /** Seconds per run of rows 2-3 (shorter runs, more rounds: pairs closer in time). */
  overheadRunS: number;
  /** Seconds of shared warm-up of each round's fresh servers in rows 2/2b. */
  overheadWarmupS: number;
  /** Seconds of warm-up load per server before its first measured run. */
  warmupS: number;
  /** A/B rounds for cluster scaling (row 1) and for instrumentation overhead (rows 2-3). */
  scalingRounds: number;
  overheadRounds: number;
  /** Rounds of the ceiling comparison (row 3: real vs bare, one after the other). */
  ceilingRounds: number;
  /** Connections of every throughput run. */
  connections: number;
  /** Measured scrapes per cluster (after `warmupScrapes`), row 4. */
  scrapes: number;
  warmupScrapes: number;
  /** Synthetic histogram label sets per worker, row 4 (0 = the service's own series). */
  syntheticLevels: number[];
  workerCounts: number[];
  /** Rounds of row 3b (per-request cost split vs plain Koa). */
  requestCostRounds: number;
  /** Rows 4b-4c: seconds per wrk run, and rounds (each: both sides, quiet and scraped). */
  connectionRunS: number;
  connectionRounds: number;
  /** Row 7: rounds of shared vs reuseport (each: both sides, new connections and keep-alive). */
  listenRounds: number;
  /** Row 8: rounds of ours vs PM2 keep-alive throughput (each: both sides). */
  pm2Rounds: number;
  /** Row 8c: reloads per side, ours SIGHUP vs `pm2 reload`. */
  pm2Reloads: number;
  /** SIGKILLs in row 5, and per side in row 8b. */
  kills: number;
  /** Where results go, relative to the repository root. */
  resultsDir: string;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `usage: npm run bench [-- [--quick] [--strict] [--only=${ROW_NAMES.join(',')}]]

  --quick    a ~1 minute smoke run (short runs, few rounds); results in bench/results/quick/
  --strict   exit 1 when a goal is missed (default: print FAIL, exit 0)
  --only=..  run some rows only (prints the table, writes no results)

  BENCH_DURATION_S     seconds per throughput run (default 5, quick 1.5)
  BENCH_OVERHEAD_DIAG  1: rows 2-3 also load diagnostic variants (see bench/README.md)`;

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  let quick = false;
  let strict = false;
  let only: Set<RowName> | null = null;
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg === '--strict') strict = true;
    else if (arg.startsWith('--only=')) {
      only = new Set();
      for (const name of arg.slice('--only='.length).split(',')) {
        if (!(ROW_NAMES as readonly string[]).includes(name)) {
          throw new UsageError(
            `unknown row ${JSON.stringify(name)} (rows: ${ROW_NAMES.join(', ')})`,
          );
        }
        only.add(name as RowName);
      }
    } else if (arg === '--help' || arg === '-h') throw new UsageError(USAGE);
    else throw new UsageError(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
  }
  let durationS = quick ? 1.5 : 5;
  const rawDuration = env.BENCH_DURATION_S?.trim();
  if (rawDuration) {
    const parsed = Number(rawDuration);
    if (!Number.isFinite(parsed) || parsed < 0.5 || parsed > 600) {
      throw new UsageError(
        `BENCH_DURATION_S=${JSON.stringify(rawDuration)}: give seconds from 0.5 to 600`,
      );
    }
    durationS = parsed;
  }
  return {
    quick,
    strict,
    only,
    durationS,
    overheadRunS: Math.max(1, durationS / 2),
    overheadWarmupS: quick ? 1.5 : 4,
    warmupS: Math.min(3, durationS),
    scalingRounds: quick ? 2 : 3,
    overheadRounds: quick ? 2 : 10,
    ceilingRounds: quick ? 1 : 3,
    connections: 16,
    scrapes: quick ? 8 : 30,
    warmupScrapes: quick ? 2 : 5,
    syntheticLevels: quick ? [0, 1000] : [0, 250, 1000],
    workerCounts: [2, 4],
    // More rounds than the other rows: six servers share one core, and single rounds scatter.
    requestCostRounds: quick ? 1 : 10,
    connectionRunS: quick ? 2 : 6,
    // Consecutive 6 s windows on this shared machine differ by up to a quarter: per-round
    // scraped/quiet ratios spread 0.74x..1.04x within one run, too wide for a median of two to
    // say which side of 0.9x a side is on.
    connectionRounds: quick ? 1 : 4,
    listenRounds: quick ? 1 : 3,
    pm2Rounds: quick ? 1 : 3,
    pm2Reloads: quick ? 1 : 2,
    kills: quick ? 3 : 5,
    resultsDir: quick ? 'bench/results/quick' : 'bench/results',
  };
}
