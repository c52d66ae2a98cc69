// The service's HTTP metrics, defined once by name. Workers register them; the manager only sees
// them as data, and aggregates them by the rules in aggregation-rules.ts.
import { Gauge, type Registry } from 'prom-client';
import { LeanHistogram } from './lean-histogram.js';

/**
 * Seconds. Dense from 5 ms to 1 s, where a JSON API's latency objectives live (the p99 SLO is
 * 500 ms), then coarse up to 30 s, the longest request the API accepts (/api/delay?ms=30000).
 */
export const HTTP_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
] as const;

/** Methods kept as label values; anything else is recorded as `other` (bounded cardinality). */
const STANDARD_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

/** Route label for requests no route matched: raw paths never become label values. */
export const UNMATCHED_ROUTE = 'unmatched';

export interface HttpMetrics {
  requestDuration: LeanHistogram<'method' | 'route' | 'status_code'>;
  /** A plain number on the hot path, read by the gauge when scraped. */
  requestsInFlight: { inc(): void; dec(): void };
}

export function methodLabel(method: string): string {
  // Node hands methods over upper-cased already: the common case allocates nothing.
  if (STANDARD_METHODS.has(method)) return method;
  const upper = method.toUpperCase();
  return STANDARD_METHODS.has(upper) ? upper : 'other';
}

export function createHttpMetrics(registry: Registry): HttpMetrics {
  let inFlight = 0;
  new Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests currently being served by the API.',
    registers: [registry],
    collect() {
      this.set(inFlight);
    },
  });
  return {
    requestDuration: new LeanHistogram({
      name: 'http_request_duration_seconds',
      help: 'Duration of HTTP requests served by the API, from first byte in to response finished.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: HTTP_DURATION_BUCKETS,
      registers: [registry],
    }),
    requestsInFlight: {
      inc: () => void (inFlight += 1),
      dec: () => void (inFlight -= 1),
    },
  };
}
