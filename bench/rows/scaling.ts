// Row 1: cluster scaling on CPU-bound work. The real cluster (dist/main.js) with WORKERS=1 and
// WORKERS=2, both up at once, loaded in turns (ABBA) with GET /api/work?ms=5 (a 5 ms busy loop).
import { interleavedOrder, median, pairedRatio } from '../lib/stats.js';
import { runLoad, type LoadResult } from '../lib/load.js';
import { startCluster, stopAll, type Cluster } from '../lib/service.js';
import { fmtRatio, fmtRps, judge } from '../lib/table.js';
import type { BenchContext, RowOutcome } from '../lib/types.js';

export const SCALING_GOAL = 1.8;
const PATH = '/api/work?ms=5';

export async function scalingRow(ctx: BenchContext): Promise<RowOutcome> {
  const { options } = ctx;
  let one: Cluster | undefined;
  let two: Cluster | undefined;
  try {
    one = await startCluster({ label: 'cluster WORKERS=1', workers: 1 });
    two = await startCluster({ label: 'cluster WORKERS=2', workers: 2 });
    const load = { connections: options.connections, durationS: options.durationS };
    ctx.log(`scaling: warm-up ${options.warmupS}s each`);
    for (const c of [one, two])
      await runLoad(`${c.apiUrl}${PATH}`, { ...load, durationS: options.warmupS });

    const runs: Record<'one' | 'two', LoadResult[]> = { one: [], two: [] };
    for (let round = 0; round < options.scalingRounds; round += 1) {
      for (const side of interleavedOrder(round, 'one' as const, 'two' as const)) {
        const cluster = side === 'one' ? one : two;
        const result = await runLoad(`${cluster.apiUrl}${PATH}`, load);
        runs[side].push(result);
        ctx.log(
          `scaling: round ${round + 1} WORKERS=${side === 'one' ? 1 : 2}: ${fmtRps(result.rps)}`,
        );
      }
    }
    const rpsOne = runs.one.map((r) => r.rps);
    const rpsTwo = runs.two.map((r) => r.rps);
    const ratio = pairedRatio(rpsOne, rpsTwo);
    const failures = [...runs.one, ...runs.two].reduce(
      (sum, r) => sum + r.non2xx + r.errors + r.timeouts,
      0,
    );
    const notes = [
      `Row 1: ${options.scalingRounds} rounds of ${options.durationS}s, ${options.connections} connections, ` +
        `GET ${PATH}; ratio = median of per-round ratios. The load generator (autocannon, in the bench ` +
        'process) shares the 2 cores with the workers, so 2 workers compete with it for CPU: the ' +
        'ceiling here is below 2.0x.',
    ];
    if (failures > 0) notes.push(`Row 1: ${failures} non-2xx/errors/timeouts during the runs.`);
    return {
      rows: [
        {
          id: '1 scaling',
          what: 'CPU-bound GET /api/work?ms=5: WORKERS=2 vs WORKERS=1',
          measured: `${fmtRps(median(rpsTwo))} vs ${fmtRps(median(rpsOne))}`,
          ratio: fmtRatio(ratio.median),
          goal: `>= ${SCALING_GOAL.toFixed(1)}x`,
          status: failures > 0 ? 'FAIL' : judge(ratio.median, { atLeast: SCALING_GOAL }),
        },
      ],
      notes,
      data: {
        path: PATH,
        rpsOne,
        rpsTwo,
        perRoundRatios: ratio.ratios,
        ratio: ratio.median,
        failures,
        runs,
      },
    };
  } finally {
    await stopAll([one, two]);
  }
}
