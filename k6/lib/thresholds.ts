// The service's SLOs as k6 thresholds, in one place. The same numbers are in the Prometheus
// alert rules and in the Node load runner's defaults (scripts/load): change them together.
import type { Options, Threshold } from 'k6/options';

export const SLO = {
  /** Availability 99.9 %: fewer than 1 in 1000 requests may fail. */
  maxErrorRate: 0.001,
  /** Latency: p(99) under 500 ms for the `fast` routes (all but /api/work and /api/delay). */
  p99FastMs: 500,
} as const;

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
