// How each metric a worker exports is combined across workers, the one place it is stated: the
// manager applies it to every snapshot before the merge, so a worker cannot change a rule by
// accident, and a unit test fails when a worker exports a metric missing here.
import type { MetricFamily, MetricsSnapshot } from './snapshot.js';

export const AGGREGATION_RULES: Readonly<Record<string, MetricFamily['aggregator']>> = {
  // --- the service's own metrics (src/metrics/http-metrics.ts)
  // Counts add up; carry-over of departed workers needs 'sum' for every cumulative series.
  http_request_duration_seconds: 'sum',
  http_requests_in_flight: 'sum',
  // Requests each worker shed (src/metrics/shed-metrics.ts): a count, so it adds up.
  http_requests_shed_total: 'sum',
  // One series per (version, node_version, slot), always 1. 'max', not 'sum': during a reload the
  // old and new worker of a slot overlap, and two workers of the same build must still read 1.
  app_build_info: 'max',

  // --- prom-client default metrics
  process_cpu_user_seconds_total: 'sum',
  process_cpu_system_seconds_total: 'sum',
  process_cpu_seconds_total: 'sum',
  // Workers come and go; the manager's start time is cluster_manager_process_start_time_seconds.
  process_start_time_seconds: 'omit',
  process_resident_memory_bytes: 'sum',
  process_virtual_memory_bytes: 'sum',
  process_heap_bytes: 'sum',
  process_open_fds: 'sum',
  // A per-process limit: adding limits together means nothing, the tightest one is what bites.
  process_max_fds: 'min',
  // Event-loop lag: the slowest worker is what users feel, so the worst value wins
  // (per-slot values are in cluster_worker_event_loop_delay_seconds).
  nodejs_eventloop_lag_seconds: 'max',
  nodejs_eventloop_lag_min_seconds: 'min',
  nodejs_eventloop_lag_max_seconds: 'max',
  nodejs_eventloop_lag_mean_seconds: 'max',
  nodejs_eventloop_lag_stddev_seconds: 'max',
  nodejs_eventloop_lag_p50_seconds: 'max',
  nodejs_eventloop_lag_p90_seconds: 'max',
  nodejs_eventloop_lag_p99_seconds: 'max',
  nodejs_active_resources: 'sum',
  nodejs_active_handles: 'sum',
  nodejs_active_requests: 'sum',
  // Gauges named *_total repeat the per-type gauges above summed, and the counter-style suffix on a
  // gauge fails `promtool check metrics`; dropped from the cluster view.
  nodejs_active_resources_total: 'omit',
  nodejs_active_handles_total: 'omit',
  nodejs_active_requests_total: 'omit',
  nodejs_heap_size_total_bytes: 'sum',
  nodejs_heap_size_used_bytes: 'sum',
  nodejs_external_memory_bytes: 'sum',
  nodejs_heap_space_size_total_bytes: 'sum',
  nodejs_heap_space_size_used_bytes: 'sum',
  nodejs_heap_space_size_available_bytes: 'sum',
  // Every worker runs the same binary; one copy of the info series is the truth.
  nodejs_version_info: 'first',
  nodejs_gc_duration_seconds: 'sum',
};

/** A gauge named `*_total` fails `promtool check metrics`: the manager's own are dropped by it. */
export function isGaugeNamedLikeCounter(metric: { type: string; name: string }): boolean {
  return metric.type !== 'counter' && metric.name.endsWith('_total');
}

/** Counters and histograms only ever grow within a process; their sum may be carried over. */
export function isCumulative(metric: { type: string }): boolean {
  return metric.type === 'counter' || metric.type === 'histogram';
}

/**
 * The metric (a family, or its packing) with its aggregator from the table, else a safe default:
 * 'sum' for cumulative types (carry-over needs it), 'max' for gauges (never a total nobody has).
 */
export function withAggregationRule<T extends Pick<MetricFamily, 'name' | 'type' | 'aggregator'>>(
  metric: T,
): T {
  const rule = AGGREGATION_RULES[metric.name] ?? (isCumulative(metric) ? 'sum' : 'max');
  return metric.aggregator === rule ? metric : { ...metric, aggregator: rule };
}

export function applyAggregationRules(snapshot: MetricsSnapshot): MetricsSnapshot {
  return snapshot.map(withAggregationRule);
}
