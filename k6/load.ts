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
import { LOAD } from './lib/scenarios.ts';
import { limitThresholds, SUMMARY_TREND_STATS } from './lib/thresholds.ts';

const { defaults } = LOAD;
const shape = LOAD.shape({
  targetRps: envInt('TARGET_RPS', defaults.targetRps, 1),
  rampUp: envDuration('RAMP_UP', defaults.rampUp),
  hold: envDuration('HOLD', defaults.hold),
  rampDown: envDuration('RAMP_DOWN', defaults.rampDown),
});

export const options: Options = {
  tags: testTags('load'),
  scenarios: {
    load: {
      executor: 'ramping-arrival-rate',
      startRate: shape.startRate,
      timeUnit: '1s',
      preAllocatedVUs: envInt('PRE_ALLOCATED_VUS', defaults.preAllocatedVUs, 1),
      maxVUs: envInt('MAX_VUS', defaults.maxVUs, 1),
      stages: [...shape.stages],
    },
  },
  thresholds: limitThresholds(LOAD.limits),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export default function load(): void {
  const item = LOAD_MIX[exec.scenario.iterationInTest % LOAD_MIX.length];
  if (item !== undefined) callItemAndCheck(item);
}

export const handleSummary = summaryHandler('load');
