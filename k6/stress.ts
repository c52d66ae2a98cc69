// Stress: past capacity, to find the knee. The offered rate climbs in steps (one
// constant-arrival-rate scenario per step, tagged `step`), each with its own p99 threshold, so
// the summary shows exactly which step broke the latency SLO: that step is the knee. Failing
// thresholds past the knee are the expected result here; the run aborts only when errors pass 5 %.
//
//   k6 run -e START_RPS=100 -e STEP_RPS=100 -e STEPS=10 -e STEP_DURATION=1m k6/stress.ts
import exec from 'k6/execution';
import type { Options, Scenario } from 'k6/options';
import { callItemAndCheck } from './lib/checks.ts';
import { envDuration, envInt, testTags } from './lib/config.ts';
import { STRESS_MIX } from './lib/endpoints.ts';
import { summaryHandler } from './lib/summary.ts';
import { STRESS } from './lib/scenarios.ts';
import { limitThresholds, SUMMARY_TREND_STATS, thresholds } from './lib/thresholds.ts';
import type { Thresholds } from './lib/thresholds.ts';

const { defaults } = STRESS;
const steps = STRESS.steps({
  startRps: envInt('START_RPS', defaults.startRps, 1),
  stepRps: envInt('STEP_RPS', defaults.stepRps, 1),
  steps: envInt('STEPS', defaults.steps, 1, 100),
  stepDuration: envDuration('STEP_DURATION', defaults.stepDuration),
});
const MAX_VUS = envInt('MAX_VUS', defaults.maxVUs, 1);

const scenarios: Record<string, Scenario> = {};
const perStep: Thresholds = {};
for (const { step, rate, duration, startSec } of steps) {
  scenarios[`step_${step}`] = {
    executor: 'constant-arrival-rate',
    rate,
    timeUnit: '1s',
    duration,
    startTime: `${startSec}s`,
    gracefulStop: '5s',
    preAllocatedVUs: Math.min(MAX_VUS, Math.max(10, Math.ceil(rate / 10))),
    maxVUs: MAX_VUS,
    tags: { step, target_rps: String(rate) },
  };
  // One threshold per step: the summary lists each step's p99 and request count.
  perStep[`http_req_duration{step:${step},expected_latency:fast}`] = [
    `p(99)<${STRESS.limits.p99FastMs}`,
  ];
  perStep[`http_reqs{step:${step}}`] = ['count>=0'];
}

export const options: Options = {
  tags: testTags('stress'),
  scenarios,
  thresholds: thresholds(limitThresholds(STRESS.limits), perStep, {
    http_req_failed: [
      { threshold: `rate<${STRESS.abortErrorRate}`, abortOnFail: true, delayAbortEval: '30s' },
    ],
  }),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export default function stress(): void {
  const item = STRESS_MIX[exec.scenario.iterationInTest % STRESS_MIX.length];
  if (item !== undefined) callItemAndCheck(item, { timeout: '10s' });
}

export const handleSummary = summaryHandler('stress');
