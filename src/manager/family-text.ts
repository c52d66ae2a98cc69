// One family's exposition text, as the ledger caches it: what prom-client's aggregate() and
// registry.metrics() print for these inputs, without the document's trailer. Merged and
// rendered here (family-merge.ts, exposition.ts): a churn scrape of large histograms costs a
// fraction of aggregate()'s time. Families that path does not take go to prom-client itself.
// test/unit/family-text.test.ts holds the two to the same bytes.
import { Registry } from 'prom-client';
import type { ContentType } from '../metrics/snapshot.js';
import type { MetricFamily } from '../protocol.js';
import { renderFamily } from './exposition.js';
import { mergeFamily, mergesHere } from './family-merge.js';
import { renderWithPromClient } from './prom-client-render.js';

/** Inputs: one family of the same name per part (worker, retired total, manager). */
export async function familyText(
  inputs: readonly MetricFamily[],
  contentType: ContentType,
): Promise<string> {
  if (!mergesHere(inputs)) return renderWithPromClient(inputs, contentType);
  const merged = mergeFamily(inputs);
  if (merged === null) return '';
  const openMetrics = contentType === Registry.OPENMETRICS_CONTENT_TYPE;
  const text = renderFamily(merged, openMetrics);
  // What renderWithPromClient's trimming of the document's trailer leaves of the same text.
  return openMetrics ? text : text.trimEnd();
}
