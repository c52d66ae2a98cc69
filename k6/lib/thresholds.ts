// The service's SLOs (lib/slo.ts) as k6 thresholds, shared by every script.
import type { Options, Threshold } from 'k6/options';
import { SLO } from './slo.ts';

export { SLO };

export type Thresholds = NonNullable<Options['thresholds']>;

/** Availability and latency SLOs, plus: (almost) every check passes. */
export const SLO_THRESHOLDS: Thresholds = {
  http_req_failed: [`rate<${SLO.maxErrorRate}`],
  'http_req_duration{expected_latency:fast}': [`p(99)<${SLO.p99FastMs}`],
  checks: [`rate>${1 - SLO.maxErrorRate}`],
};

/** Zero tolerance: not one failed request, not one failed check (reload, smoke). */
export const ZERO_FAILURE_THRESHOLDS: Thresholds = {
  http_req_failed: ['rate<=0'],
  'http_req_duration{expected_latency:fast}': [`p(99)<${SLO.p99FastMs}`],
  checks: ['rate>=1'],
};

/** Merges threshold maps; for a metric in several, all expressions apply. */
export function thresholds(...maps: Thresholds[]): Thresholds {
  const out: Record<string, Threshold[]> = {};
  for (const map of maps) {
    for (const [metric, list] of Object.entries(map)) {
      out[metric] = [...(out[metric] ?? []), ...list];
    }
  }
  return out;
}

/** Trend statistics in the summary: p(99) is what the SLO is about, so it must be there. */
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'];
