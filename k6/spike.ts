// Spike: a steady baseline, a sudden jump to SPIKE_RPS, then back to the baseline. The SLO
// thresholds cover the whole run, so the service must absorb the spike and recover.
//
//   k6 run -e BASE_RPS=50 -e SPIKE_RPS=1000 k6/spike.ts
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { callItemAndCheck } from './lib/checks.ts';
import { envDuration, envInt, testTags } from './lib/config.ts';
import { LOAD_MIX } from './lib/endpoints.ts';
import { summaryHandler } from './lib/summary.ts';
import { SLO_THRESHOLDS, SUMMARY_TREND_STATS } from './lib/thresholds.ts';

const BASE_RPS = envInt('BASE_RPS', 50, 1);
const SPIKE_RPS = envInt('SPIKE_RPS', 1000, 1);
const HOLD = envDuration('HOLD', '1m');
const SPIKE_HOLD = envDuration('SPIKE_HOLD', '1m');

export const options: Options = {
  tags: testTags('spike'),
  scenarios: {
    spike: {
      executor: 'ramping-arrival-rate',
      startRate: BASE_RPS,
      timeUnit: '1s',
      preAllocatedVUs: envInt('PRE_ALLOCATED_VUS', 50, 1),
      maxVUs: envInt('MAX_VUS', 500, 1),
      stages: [
        { duration: HOLD, target: BASE_RPS },
        { duration: '10s', target: SPIKE_RPS },
        { duration: SPIKE_HOLD, target: SPIKE_RPS },
        { duration: '10s', target: BASE_RPS },
        { duration: HOLD, target: BASE_RPS },
      ],
    },
  },
  thresholds: SLO_THRESHOLDS,
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export default function spike(): void {
  const item = LOAD_MIX[exec.scenario.iterationInTest % LOAD_MIX.length];
  if (item !== undefined) callItemAndCheck(item, { timeout: '10s' });
}

export const handleSummary = summaryHandler('spike');
