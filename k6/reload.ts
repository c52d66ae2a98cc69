// Reload: steady traffic while a second scenario triggers a rolling reload through the manager's
// admin endpoint (POST /reload with the bearer token) and waits until every worker has been
// replaced. Threshold: zero failed requests, and the reload must complete.
//
//   ADMIN_TOKEN=... k6 run -e RELOAD_RPS=100 -e DURATION=90s -e RELOAD_AT=20s k6/reload.ts
import { check, fail, sleep } from 'k6';
import exec from 'k6/execution';
import { Rate, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import { callAndCheck, callItemAndCheck } from './lib/checks.ts';
import { ADMIN_TOKEN, envDuration, envInt, MANAGER_URL, testTags } from './lib/config.ts';
import { ENDPOINTS, LOAD_MIX } from './lib/endpoints.ts';
import { parseStatus, reloadComplete, type StatusSnapshot } from './lib/status.ts';
import { summaryHandler } from './lib/summary.ts';
import { durationSeconds, RELOAD } from './lib/scenarios.ts';
import { limitThresholds, SUMMARY_TREND_STATS, thresholds } from './lib/thresholds.ts';

if (ADMIN_TOKEN === '') {
  throw new Error('reload.ts needs ADMIN_TOKEN (the manager rejects POST /reload without it)');
}
if (MANAGER_URL === undefined) {
  throw new Error('reload.ts needs MANAGER_URL: it triggers the reload on the manager endpoint');
}

const { defaults } = RELOAD;
const DURATION = envDuration('DURATION', defaults.duration);
const RELOAD_AT = envDuration('RELOAD_AT', defaults.reloadAt);
const RELOAD_TIMEOUT_S = durationSeconds(DURATION) - durationSeconds(RELOAD_AT) - 5;
if (RELOAD_TIMEOUT_S < 5) {
  throw new Error(`RELOAD_AT=${RELOAD_AT} leaves too little of DURATION=${DURATION} to reload`);
}

const reloadCompleted = new Rate('reload_completed');
const reloadDuration = new Trend('reload_duration', true);

export const options: Options = {
  tags: testTags('reload'),
  scenarios: {
    traffic: {
      executor: 'constant-arrival-rate',
      exec: 'traffic',
      rate: envInt('RELOAD_RPS', defaults.rps, 1),
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: envInt('PRE_ALLOCATED_VUS', defaults.preAllocatedVUs, 1),
      maxVUs: envInt('MAX_VUS', defaults.maxVUs, 1),
    },
    reload: {
      executor: 'per-vu-iterations',
      exec: 'triggerReload',
      vus: 1,
      iterations: 1,
      startTime: RELOAD_AT,
      maxDuration: `${Math.ceil(RELOAD_TIMEOUT_S) + 5}s`,
    },
  },
  thresholds: thresholds(limitThresholds(RELOAD.limits), { reload_completed: ['rate>=1'] }),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function traffic(): void {
  const item = LOAD_MIX[exec.scenario.iterationInTest % LOAD_MIX.length];
  if (item !== undefined) callItemAndCheck(item);
}

function status(): StatusSnapshot | undefined {
  return parseStatus(callAndCheck(ENDPOINTS.managerStatus).body);
}

export function triggerReload(): void {
  const before = status();
  if (before === undefined || before.workers.length === 0) {
    reloadCompleted.add(false);
    fail('manager /status is unreadable or lists no workers; cannot watch the reload');
  }
  const started = Date.now();
  const res = callAndCheck(ENDPOINTS.reload);
  if (res.status !== ENDPOINTS.reload.expectedStatus) {
    reloadCompleted.add(false);
    fail(`POST /reload answered ${res.status}: ${res.body ?? ''}`);
  }
  const deadline = started + RELOAD_TIMEOUT_S * 1000;
  let done = false;
  while (!done && Date.now() < deadline) {
    sleep(1);
    const now = status();
    done = now !== undefined && reloadComplete(before, now);
  }
  check(done, { 'rolling reload replaced every worker in time': (d) => d });
  reloadCompleted.add(done);
  if (done) reloadDuration.add(Date.now() - started);
}

export const handleSummary = summaryHandler('reload');
