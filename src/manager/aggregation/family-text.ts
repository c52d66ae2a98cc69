// One family's exposition text in UTF-8: rule by rule what prom-client's aggregate() and
// registry.metrics() print (escaping, label order, `Nan` (sic), OpenMetrics counter names), without
// the document's trailer; its layout writes inputs of the same shape again from their values.
// referenceText is prom-client's own: the fallback, and what the unit test holds this to.
import { Registry } from 'prom-client';
import { aggregate, type ContentType, type MetricFamily } from '../../metrics/snapshot.js';
import { familyOf, type FamilyInput } from './family-input.js';
import { mergedValues, mergeLayout, mergesHere, type MergeLayout } from './family-merge.js';

type Labels = MetricFamily['values'][number]['labels'];

export interface TextLayout {
  merge: MergeLayout;
  /** The HELP and TYPE lines. */
  header: Uint8Array;
  /** Every series' `\n<name>{labels} `, one after the other; series i's is [starts[i], starts[i + 1]). */
  chunks: Uint8Array;
  starts: Int32Array;
}

export interface FamilyText {
  bytes: Uint8Array;
  /** Null when the bytes did not come from the merge here (or the family is omitted). */
  layout: TextLayout | null;
}

const utf8 = new TextEncoder();

/** prom-client's escapeString; the test keeps the common case free of regex passes. */
function escapeText(text: string): string {
  if (!/[\\\n]/.test(text)) return text;
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** prom-client's escapeLabelValue: only strings are escaped, numbers printed as they are. */
export function escapeLabelValue(value: Labels[string]): string | number {
  if (typeof value !== 'string' || !/[\\\n"]/.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** prom-client's getValueAsString (lib/util.js), including its `Nan` spelling. */
export function formatValue(value: unknown): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return (value as number) < 0 ? '-Inf' : '+Inf';
  return `${value as number}`;
}

export function formatLabels(labels: Labels): string {
  let text = '';
  for (const name in labels) {
    if (!Object.hasOwn(labels, name)) continue;
    text += `${text === '' ? '{' : ','}${name}="${escapeLabelValue(labels[name]!)}"`;
  }
  return text === '' ? '' : `${text}}`;
}

/**
 * OpenMetrics names a counter family without `_total` and its samples with it. prom-client strips
 * it only from its own metric objects, not from aggregate()'s families (`x_total_total`).
 */
function openMetricsCounterName(name: string): string {
  return name.replace(/_total$/, '');
}

/** One input of the same name per part (worker, retired total, manager). */
export async function familyText(
  inputs: readonly FamilyInput[],
  contentType: ContentType,
): Promise<FamilyText> {
  if (!mergesHere(inputs)) return referenceText(inputs, contentType);
  const merge = mergeLayout(inputs);
  if (merge === null) return { bytes: new Uint8Array(0), layout: null };
  const openMetrics = contentType === Registry.OPENMETRICS_CONTENT_TYPE;
  const family = inputs[0]!.layout;
  const counterSuffix = openMetrics && family.type === 'counter';
  const name = escapeText(counterSuffix ? openMetricsCounterName(family.name) : family.name);
  const header = `# HELP ${name} ${escapeText(family.help)}\n# TYPE ${name} ${family.type}`;
  // Each chunk starts with a newline and ends with a space, so no surrogate pair is cut in two:
  // encoded apart they are the bytes they are as part of the whole text. The merged family keeps
  // a series' metricName only when it is truthy, as prom-client does.
  const texts = merge.firsts.map(
    ({ metricName, labels }) =>
      `\n${metricName ? metricName : name}${counterSuffix ? '_total' : ''}${formatLabels(labels)} `,
  );
  const starts = new Int32Array(texts.length + 1);
  texts.forEach((text, i) => (starts[i + 1] = starts[i]! + Buffer.byteLength(text)));
  const layout: TextLayout = {
    merge,
    // Without a sample line, what referenceText's trimming of the trailer leaves of the header.
    header: utf8.encode(openMetrics || texts.length > 0 ? header : header.trimEnd()),
    chunks: utf8.encode(texts.join('')),
    starts,
  };
  return { bytes: revalueBytes(layout, inputs), layout };
}

/**
 * Room for any value formatValue prints: at most 25 characters (`-0.0000014704282822207114`: a
 * sign, `0.`, five zeros, 17 digits), with a margin; a typed array drops writes past its end.
 */
const MAX_VALUE_CHARS = 32;

/**
 * The bytes of inputs with the layout's shape, from its encoded lines and the merged values: no
 * text of thousands of lines is built and encoded again at every scrape.
 */
export function revalueBytes(layout: TextLayout, inputs: readonly FamilyInput[]): Uint8Array {
  const { header, chunks, starts } = layout;
  const values = mergedValues(layout.merge, inputs);
  // Never read before written: only the bytes written are handed out.
  const out = Buffer.allocUnsafe(header.length + chunks.length + MAX_VALUE_CHARS * values.length);
  out.set(header, 0);
  let offset = header.length;
  for (let i = 0; i < values.length; i += 1) {
    out.set(chunks.subarray(starts[i], starts[i + 1]), offset);
    offset += starts[i + 1]! - starts[i]!;
    // ASCII only: digits, sign, point, exponent, `Nan`, `+Inf`, `-Inf`.
    const value = formatValue(values[i]);
    for (let k = 0; k < value.length; k += 1) out[offset + k] = value.charCodeAt(k);
    offset += value.length;
  }
  return out.subarray(0, offset);
}

/**
 * prom-client's aggregate(inputs).metrics() without the trailer (the ledger joins families again).
 * Counter names are stripped for OpenMetrics first, so the renderer's suffix lands once.
 */
export async function referenceText(
  inputs: readonly FamilyInput[],
  contentType: ContentType,
): Promise<FamilyText> {
  const openMetrics = contentType === Registry.OPENMETRICS_CONTENT_TYPE;
  const parts = inputs
    .map(familyOf)
    .map((family) => [
      openMetrics && family.type === 'counter'
        ? { ...family, name: openMetricsCounterName(family.name) }
        : family,
    ]);
  const text = await aggregate(parts, contentType).metrics();
  const trimmed = openMetrics ? text.replace(/\n# EOF\n$/, '') : text.trimEnd();
  return { bytes: utf8.encode(trimmed), layout: null };
}
