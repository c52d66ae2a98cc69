// Requests a saturated worker refused with 503 instead of queueing them (src/app/load-shedding.ts),
// by the signal that tripped. Aggregated as a sum across workers (aggregation-rules.ts).
import { Counter, type Registry } from 'prom-client';

/** Why a request was shed; every reason is exported at 0 from the start. */
export const SHED_REASONS = ['event_loop_delay', 'in_flight', 'pool_queue'] as const;
export type ShedReason = (typeof SHED_REASONS)[number];

export interface ShedMetrics {
  shed(reason: ShedReason): void;
}

export function createShedMetrics(registry: Registry): ShedMetrics {
  // Plain numbers, read when scraped (as http_requests_in_flight is). collect() rebuilds the
  // series, so each snapshot holds fresh sample objects: prom-client's inc() mutates the sample
  // a previous getMetricsAsJSON() returned, and a snapshot kept for comparison would change too.
  // Every reason is there from the start, at 0: a series that appears only on the first shed is
  // invisible to rate() over that first increase.
  const counts = new Map<ShedReason, number>(SHED_REASONS.map((reason) => [reason, 0]));
  new Counter<'reason'>({
    name: 'http_requests_shed_total',
    help: 'API requests answered 503 because the worker was saturated, by the limit that tripped.',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of counts) this.inc({ reason }, count);
    },
  });
  return { shed: (reason) => void counts.set(reason, (counts.get(reason) ?? 0) + 1) };
}
