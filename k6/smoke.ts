// Smoke: 1 VU calls every endpoint once per iteration, including a deliberate 400 and 404, and
// checks every response. Run it first: if it fails, the other scenarios would only measure errors.
//
//   k6 run k6/smoke.ts            (ITERATIONS=3, MANAGER_URL=off to skip the manager endpoint)
import { group, sleep } from 'k6';
import type { Options } from 'k6/options';
import { callAndCheck } from './lib/checks.ts';
import { envInt, MANAGER_URL, testTags } from './lib/config.ts';
import { SMOKE_API, SMOKE_ERRORS, SMOKE_MANAGER } from './lib/endpoints.ts';
import { summaryHandler } from './lib/summary.ts';
import { SUMMARY_TREND_STATS, ZERO_FAILURE_THRESHOLDS } from './lib/thresholds.ts';

export const options: Options = {
  tags: testTags('smoke'),
  scenarios: {
    smoke: {
      executor: 'per-vu-iterations',
      vus: 1,
      iterations: envInt('ITERATIONS', 3, 1, 1000),
      maxDuration: '2m',
    },
  },
  thresholds: ZERO_FAILURE_THRESHOLDS,
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export default function smoke(): void {
  group('api', () => {
    for (const e of SMOKE_API) callAndCheck(e);
  });
  group('client errors', () => {
    for (const e of SMOKE_ERRORS) callAndCheck(e);
  });
  if (MANAGER_URL !== undefined) {
    group('manager', () => {
      for (const e of SMOKE_MANAGER) callAndCheck(e);
    });
  }
  sleep(0.5);
}

export const handleSummary = summaryHandler('smoke');
