// Stress: past capacity, to find the knee. The offered rate climbs in steps (one
// constant-arrival-rate scenario per step, tagged `step`), each with its own p99 threshold, so
// the summary shows exactly which step broke the latency SLO: that step is the knee. Failing
// thresholds past the knee are the expected result here; the run aborts only when errors pass 5 %.
//
//   k6 run -e START_RPS=100 -e STEP_RPS=100 -e STEPS=10 -e STEP_DURATION=1m k6/stress.ts
import exec from 'k6/execution';
import type { Options, Scenario } from 'k6/options';
import { callItemAndCheck } from './lib/checks.ts';
import { durationSeconds, envDuration, envInt, testTags } from './lib/config.ts';
import { STRESS_MIX } from './lib/endpoints.ts';
import { summaryHandler } from './lib/summary.ts';
import { SLO, SLO_THRESHOLDS, SUMMARY_TREND_STATS, thresholds } from './lib/thresholds.ts';
import type { Thresholds } from './lib/thresholds.ts';

const START_RPS = envInt('START_RPS', 100, 1);
const STEP_RPS = envInt('STEP_RPS', 100, 1);
const STEPS = envInt('STEPS', 10, 1, 100);
const STEP_DURATION = envDuration('STEP_DURATION', '1m');
const MAX_VUS = envInt('MAX_VUS', 500, 1);

const scenarios: Record<string, Scenario> = {};
const perStep: Thresholds = {};
for (let i = 0; i < STEPS; i += 1) {
  const step = String(i + 1).padStart(2, '0');
  const rate = START_RPS + i * STEP_RPS;
  scenarios[`step_${step}`] = {
    executor: 'constant-arrival-rate',
    rate,
    timeUnit: '1s',
    duration: STEP_DURATION,
    startTime: `${i * durationSeconds(STEP_DURATION)}s`,
    gracefulStop: '5s',
    preAllocatedVUs: Math.min(MAX_VUS, Math.max(10, Math.ceil(rate / 10))),
    maxVUs: MAX_VUS,
    tags: { step, target_rps: String(rate) },
  };
  // One threshold per step: the summary lists each step's p99 and request count.
  perStep[`http_req_duration{step:${step},expected_latency:fast}`] = [`p(99)<${SLO.p99FastMs}`];
  perStep[`http_reqs{step:${step}}`] = ['count>=0'];
}

export const options: Options = {
  tags: testTags('stress'),
  scenarios,
  thresholds: thresholds(SLO_THRESHOLDS, perStep, {
    http_req_failed: [{ threshold: 'rate<0.05', abortOnFail: true, delayAbortEval: '30s' }],
  }),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export default function stress(): void {
  const item = STRESS_MIX[exec.scenario.iterationInTest % STRESS_MIX.length];
  if (item !== undefined) callItemAndCheck(item, { timeout: '10s' });
}

export const handleSummary = summaryHandler('stress');
