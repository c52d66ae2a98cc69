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
import { SMOKE } from './lib/scenarios.ts';
import { limitThresholds, SUMMARY_TREND_STATS } from './lib/thresholds.ts';

export const options: Options = {
  tags: testTags('smoke'),
  scenarios: {
    smoke: {
      executor: 'per-vu-iterations',
      vus: SMOKE.vus,
      iterations: envInt('ITERATIONS', SMOKE.defaults.iterations, 1, 1000),
      maxDuration: SMOKE.maxDuration,
    },
  },
  thresholds: limitThresholds(SMOKE.limits),
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
