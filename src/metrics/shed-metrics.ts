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
  const counter = new Counter<'reason'>({
    name: 'http_requests_shed_total',
    help: 'API requests answered 503 because the worker was saturated, by the limit that tripped.',
    labelNames: ['reason'],
    registers: [registry],
  });
  // Every reason at 0 from the start: a series that appears only on the first shed is invisible
  // to rate() over that first increase.
  for (const reason of SHED_REASONS) counter.inc({ reason }, 0);
  return { shed: (reason) => counter.inc({ reason }) };
}
