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
import { SPIKE } from './lib/scenarios.ts';
import { limitThresholds, SUMMARY_TREND_STATS } from './lib/thresholds.ts';

const { defaults } = SPIKE;
const shape = SPIKE.shape({
  baseRps: envInt('BASE_RPS', defaults.baseRps, 1),
  spikeRps: envInt('SPIKE_RPS', defaults.spikeRps, 1),
  hold: envDuration('HOLD', defaults.hold),
  spikeHold: envDuration('SPIKE_HOLD', defaults.spikeHold),
  jump: defaults.jump,
});

export const options: Options = {
  tags: testTags('spike'),
  scenarios: {
    spike: {
      executor: 'ramping-arrival-rate',
      startRate: shape.startRate,
      timeUnit: '1s',
      preAllocatedVUs: envInt('PRE_ALLOCATED_VUS', defaults.preAllocatedVUs, 1),
      maxVUs: envInt('MAX_VUS', defaults.maxVUs, 1),
      stages: [...shape.stages],
    },
  },
  thresholds: limitThresholds(SPIKE.limits),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export default function spike(): void {
  const item = LOAD_MIX[exec.scenario.iterationInTest % LOAD_MIX.length];
  if (item !== undefined) callItemAndCheck(item, { timeout: '10s' });
}

export const handleSummary = summaryHandler('spike');
