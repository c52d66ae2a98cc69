// The service's SLOs, in one place: k6 thresholds (lib/thresholds.ts) and the Node load
// runner's defaults (scripts/load) are built from these numbers, which match the Prometheus
// alert rules. Pure data: type-checked by both k6/tsconfig.json and the root tsconfig.

export const SLO = {
  /** Availability 99.9 %: fewer than 1 request in 1000 may fail. */
  maxErrorRate: 0.001,
  /** Latency: p(99) under 500 ms for the `fast` routes (all but /api/work and /api/delay). */
  p99FastMs: 500,
} as const;
