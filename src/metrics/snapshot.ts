// Typed bridges to prom-client's JSON views, whose bundled typings disagree with its run time
// (numeric `type` enum; aggregate() missing its content-type parameter).
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricsSnapshot } from '../protocol.js';

export type ContentType =
  | typeof AggregatorRegistry.PROMETHEUS_CONTENT_TYPE
  | typeof AggregatorRegistry.OPENMETRICS_CONTENT_TYPE;

export async function snapshotOf(registry: Registry): Promise<MetricsSnapshot> {
  return (await registry.getMetricsAsJSON()) as unknown as MetricsSnapshot;
}

const aggregateImpl = AggregatorRegistry.aggregate as unknown as (
  parts: MetricsSnapshot[],
  contentType?: ContentType,
) => Registry;

/** prom-client's tested merge: families with the same name combined by their `aggregator`. */
export function aggregate(
  parts: MetricsSnapshot[],
  contentType: ContentType = AggregatorRegistry.PROMETHEUS_CONTENT_TYPE,
): Registry {
  return aggregateImpl(parts, contentType);
}
