// The cluster's /metrics: collect from workers, merge with carry-over, add the manager's own
// metrics, render in the format the scraper asked for.
import { Registry } from 'prom-client';
import type { ContentType } from '../metrics/snapshot.js';
import { snapshotOf } from '../metrics/snapshot.js';
import type { MetricsCollector } from './collector.js';
import type { ManagerMetrics } from './manager-metrics.js';
import type { MetricsLedger } from './metrics-ledger.js';

export interface RenderedMetrics {
  contentType: string;
  body: string;
}

/** OpenMetrics when the Accept header asks for it (Prometheus 2.x does), else Prometheus text. */
export function negotiateContentType(accept: string | undefined): ContentType {
  const wantsOpenMetrics = (accept ?? '').split(',').some((part) => {
    const [type, ...params] = part.trim().split(';');
    if (type?.trim().toLowerCase() !== 'application/openmetrics-text') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
  return wantsOpenMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE;
}

export class ClusterMetrics {
  constructor(
    private readonly ledger: MetricsLedger,
    private readonly collector: MetricsCollector,
    private readonly managerMetrics: ManagerMetrics,
  ) {}

  async render(accept: string | undefined): Promise<RenderedMetrics> {
    const contentType = negotiateContentType(accept);
    const collection = await this.collector.collect();
    this.managerMetrics.update(collection);
    // prom-client's default *_total gauges fail promtool's lint, as on the workers' side
    // (see aggregation-rules.ts); the per-type gauges beside them carry the same numbers.
    const own = (await snapshotOf(this.managerMetrics.registry)).filter(
      (metric) => metric.type === 'counter' || !metric.name.endsWith('_total'),
    );
    return { contentType, body: await this.ledger.render(collection.answered, own, contentType) };
  }
}
