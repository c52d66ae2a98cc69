// Soak: a moderate constant rate for a long time (DURATION, default 1h), watching memory. A second
// scenario reads the manager's /status every SAMPLE_INTERVAL and records each worker's resident
// memory (`worker_rss_mb`, tagged by slot) and restarts; a worker over MAX_RSS_MB fails the run.
// Leaks show as a climbing `worker_rss_mb` (see also the Grafana dashboard during the run).
//
//   k6 run -e DURATION=4h -e SOAK_RPS=100 k6/soak.ts
import { sleep } from 'k6';
import exec from 'k6/execution';
import { Gauge, Trend } from 'k6/metrics';
import type { Options, Scenario } from 'k6/options';
import { callAndCheck, callItemAndCheck } from './lib/checks.ts';
import { envDuration, envInt, MANAGER_URL, testTags } from './lib/config.ts';
import { ENDPOINTS, LOAD_MIX } from './lib/endpoints.ts';
import { parseStatus } from './lib/status.ts';
import { summaryHandler } from './lib/summary.ts';
import { durationSeconds, SOAK } from './lib/scenarios.ts';
import { limitThresholds, SUMMARY_TREND_STATS, thresholds } from './lib/thresholds.ts';

const { defaults } = SOAK;
const DURATION = envDuration('DURATION', defaults.duration);
const SAMPLE_INTERVAL = envDuration('SAMPLE_INTERVAL', defaults.sampleInterval);
const MAX_RSS_MB = envInt('MAX_RSS_MB', defaults.maxRssMb, 1);

const workerRssMb = new Trend('worker_rss_mb');
const workerRestarts = new Gauge('worker_restarts_during_test');

const scenarios: Record<string, Scenario> = {
  traffic: {
    executor: 'constant-arrival-rate',
    exec: 'traffic',
    rate: envInt('SOAK_RPS', defaults.rps, 1),
    timeUnit: '1s',
    duration: DURATION,
    preAllocatedVUs: envInt('PRE_ALLOCATED_VUS', defaults.preAllocatedVUs, 1),
    maxVUs: envInt('MAX_VUS', defaults.maxVUs, 1),
  },
};
if (MANAGER_URL !== undefined) {
  scenarios.memory = {
    executor: 'constant-vus',
    exec: 'sampleMemory',
    vus: 1,
    duration: DURATION,
    gracefulStop: '0s', // do not keep the run alive for a sampler's sleep
  };
}

export const options: Options = {
  tags: testTags('soak'),
  scenarios,
  thresholds:
    MANAGER_URL === undefined
      ? limitThresholds(SOAK.limits)
      : thresholds(limitThresholds(SOAK.limits), { worker_rss_mb: [`max<${MAX_RSS_MB}`] }),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function traffic(): void {
  const item = LOAD_MIX[exec.scenario.iterationInTest % LOAD_MIX.length];
  if (item !== undefined) callItemAndCheck(item);
}

let restartsAtStart: number | undefined;

export function sampleMemory(): void {
  const status = parseStatus(callAndCheck(ENDPOINTS.managerStatus).body);
  if (status !== undefined) {
    for (const w of status.workers) {
      if (w.residentMemoryBytes !== null) {
        workerRssMb.add(w.residentMemoryBytes / (1024 * 1024), { slot: String(w.slot) });
      }
    }
    const restarts = status.workers.reduce((sum, w) => sum + w.restarts, 0);
    restartsAtStart ??= restarts;
    workerRestarts.add(restarts - restartsAtStart);
  }
  sleep(durationSeconds(SAMPLE_INTERVAL));
}

export const handleSummary = summaryHandler('soak');
