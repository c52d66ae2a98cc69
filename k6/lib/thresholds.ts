// A scenario's limits (lib/scenarios.ts) as k6 thresholds.
import type { Options, Threshold } from 'k6/options';
import type { Limits } from './scenarios.ts';

export type Thresholds = NonNullable<Options['thresholds']>;

/**
 * Availability (`http_req_failed`), latency of the `fast` routes, and: (almost) every check
 * passes. A limit of 0 failures becomes `rate<=0` and `rate>=1`: not one.
 */
export function limitThresholds(limits: Limits): Thresholds {
  const zero = limits.maxErrorRate === 0;
  return {
    http_req_failed: [zero ? 'rate<=0' : `rate<${limits.maxErrorRate}`],
    'http_req_duration{expected_latency:fast}': [`p(99)<${limits.p99FastMs}`],
    checks: [zero ? 'rate>=1' : `rate>${1 - limits.maxErrorRate}`],
  };
}

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
