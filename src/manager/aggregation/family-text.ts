// One family's exposition text, as the ledger caches it: what prom-client's aggregate() and
// registry.metrics() print for these inputs, without the document's trailer, with its layout, so
// inputs of the same shape (same samples in the same places) are re-rendered from the values alone
// (revalueText). Families this path does not take go to prom-client itself;
// test/unit/manager/aggregation/family-text.test.ts holds the two to the same bytes.
import { Registry } from 'prom-client';
import type { ContentType } from '../../metrics/snapshot.js';
import { familyLines, linesBytes, linesText, type FamilyLines } from './exposition.js';
import { familyOf, type FamilyInput } from './family-input.js';
import { mergedValues, mergeLayout, mergesHere, type MergeLayout } from './family-merge.js';
import { renderWithPromClient } from './prom-client-render.js';

/** What a family's text was made of, to make it again for inputs of the same shape. */
export interface TextLayout {
  merge: MergeLayout;
  lines: FamilyLines;
  openMetrics: boolean;
}

export interface FamilyText {
  text: string;
  /** Null when the text did not come from the merge here (or the family is omitted). */
  layout: TextLayout | null;
}

/** What renderWithPromClient's trimming of the document's trailer leaves of the same text. */
function finish(text: string, openMetrics: boolean): string {
  return openMetrics ? text : text.trimEnd();
}

/** Inputs: one family of the same name per part (worker, retired total, manager). */
export async function familyText(
  inputs: readonly FamilyInput[],
  contentType: ContentType,
): Promise<FamilyText> {
  if (!mergesHere(inputs)) {
    return { text: await renderWithPromClient(inputs.map(familyOf), contentType), layout: null };
  }
  const merge = mergeLayout(inputs);
  if (merge === null) return { text: '', layout: null };
  const openMetrics = contentType === Registry.OPENMETRICS_CONTENT_TYPE;
  // The merged family keeps a series' metricName only when it is truthy, as prom-client does.
  const series = merge.firsts.map((sample) => ({
    labels: sample.labels,
    metricName: sample.metricName ? sample.metricName : undefined,
  }));
  const lines = familyLines(inputs[0]!.layout, series, openMetrics);
  const layout: TextLayout = { merge, lines, openMetrics };
  return { text: revalueText(layout, inputs), layout };
}

/**
 * The text of inputs that have the layout's shape: the same samples (metric names, labels) in
 * the same places, and the same name, help and type, as the inputs the layout was made from.
 */
export function revalueText(layout: TextLayout, inputs: readonly FamilyInput[]): string {
  return finish(linesText(layout.lines, mergedValues(layout.merge, inputs)), layout.openMetrics);
}

/** revalueText's UTF-8 bytes, written without making the text (the ledger's path). */
export function revalueBytes(layout: TextLayout, inputs: readonly FamilyInput[]): Uint8Array {
  // With a sample line the text ends in a value, which finish() never trims; without one, the
  // text is the header alone.
  if (layout.lines.prefixes.length === 0) return utf8.encode(revalueText(layout, inputs));
  return linesBytes(layout.lines, mergedValues(layout.merge, inputs));
}

const utf8 = new TextEncoder();
