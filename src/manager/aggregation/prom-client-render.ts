// The reference rendering of one family: prom-client's own AggregatorRegistry.aggregate() and a
// throwaway registry's metrics(), exactly what the ledger did before it merged on its own
// (family-merge.ts, exposition.ts). Kept for the families the fast path does not take (an
// aggregator it does not fold, a malformed family: prom-client's answer, or its error, stands)
// and as the reference the differential test holds the fast path to.
import { Registry } from 'prom-client';
import { aggregate, type ContentType, type MetricFamily } from '../../metrics/snapshot.js';
import { openMetricsCounterName } from './exposition.js';

/**
 * OpenMetrics names a counter family without `_total` and its sample with it. prom-client's
 * renderer appends the suffix to samples but only strips it from the family name of its own
 * metric objects, not from aggregate()'s output, which would print `x_total_total`: strip it
 * before, so the renderer's suffix lands once.
 */
function forOpenMetrics(family: MetricFamily): MetricFamily {
  return family.type === 'counter'
    ? { ...family, name: openMetricsCounterName(family.name) }
    : family;
}

/**
 * The family's text as aggregate(inputs).metrics() prints it, without the document's trailer
 * (`\n`, or `\n# EOF\n` in OpenMetrics): families rendered alone are joined again by the ledger.
 * Empty for an omitted family.
 */
export async function renderWithPromClient(
  inputs: readonly MetricFamily[],
  contentType: ContentType,
): Promise<string> {
  const openMetrics = contentType === Registry.OPENMETRICS_CONTENT_TYPE;
  const parts = inputs.map((family) => [openMetrics ? forOpenMetrics(family) : family]);
  const text = await aggregate(parts, contentType).metrics();
  return openMetrics ? text.replace(/\n# EOF\n$/, '') : text.trimEnd();
}
