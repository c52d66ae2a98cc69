// Load: arrival rate ramps up to TARGET_RPS, holds, ramps down. Open model (ramping-arrival-rate):
// a slow service does not slow the offered load down, so latency is measured honestly.
//
//   k6 run -e TARGET_RPS=300 -e HOLD=10m k6/load.ts
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { callItemAndCheck } from './lib/checks.ts';
import { envDuration, envInt, testTags } from './lib/config.ts';
import { LOAD_MIX } from './lib/endpoints.ts';
import { summaryHandler } from './lib/summary.ts';
import { SLO_THRESHOLDS, SUMMARY_TREND_STATS } from './lib/thresholds.ts';

const TARGET_RPS = envInt('TARGET_RPS', 200, 1);

export const options: Options = {
  tags: testTags('load'),
  scenarios: {
    load: {
      executor: 'ramping-arrival-rate',
      startRate: 0,
      timeUnit: '1s',
      preAllocatedVUs: envInt('PRE_ALLOCATED_VUS', 20, 1),
      maxVUs: envInt('MAX_VUS', 200, 1),
      stages: [
        { duration: envDuration('RAMP_UP', '1m'), target: TARGET_RPS },
        { duration: envDuration('HOLD', '3m'), target: TARGET_RPS },
        { duration: envDuration('RAMP_DOWN', '30s'), target: 0 },
      ],
    },
  },
  thresholds: SLO_THRESHOLDS,
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export default function load(): void {
  const item = LOAD_MIX[exec.scenario.iterationInTest % LOAD_MIX.length];
  if (item !== undefined) callItemAndCheck(item);
}

export const handleSummary = summaryHandler('load');
