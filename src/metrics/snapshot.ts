// Typed bridges to prom-client's JSON views, whose bundled typings disagree with its run time
// (numeric `type` enum; aggregate() missing its content-type parameter).
import { AggregatorRegistry, type Registry } from 'prom-client';

/** One metric family as prom-client's getMetricsAsJSON() returns it at run time. */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  aggregator: 'sum' | 'max' | 'min' | 'average' | 'first' | 'omit';
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

/** One worker registry as plain, IPC-safe data. */
export type MetricsSnapshot = MetricFamily[];

export type ContentType =
  | typeof AggregatorRegistry.PROMETHEUS_CONTENT_TYPE
  | typeof AggregatorRegistry.OPENMETRICS_CONTENT_TYPE;

export async function snapshotOf(registry: Registry): Promise<MetricsSnapshot> {
  return (await registry.getMetricsAsJSON()) as unknown as MetricsSnapshot;
}

/** prom-client's tested merge: families of one name combined by their `aggregator`. */
export const aggregate = AggregatorRegistry.aggregate as unknown as (
  parts: MetricsSnapshot[],
  contentType?: ContentType,
) => Registry;
