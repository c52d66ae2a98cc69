// One merged family as exposition text, rule by rule what prom-client's
// Registry.getMetricsAsString() prints for a family aggregate() registered (escaping, label order,
// getValueAsString's `Nan` (sic), OpenMetrics counter names), without the document's trailer.
// aggregate() keeps neither exemplars nor timestamps nor shared labels: none printed.
import type { MetricFamily } from '../../metrics/snapshot.js';

type Labels = MetricFamily['values'][number]['labels'];

/** prom-client's escapeString; the test first keeps the common case free of three regex passes. */
function escapeText(text: string): string {
  if (!/[\\\n]/.test(text)) return text;
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** prom-client's escapeLabelValue: only strings are escaped, numbers printed as they are. */
function escapeLabelValue(value: Labels[string]): string | number {
  if (typeof value !== 'string') return value;
  if (!/[\\\n"]/.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** prom-client's getValueAsString (lib/util.js), including its `Nan` spelling. */
export function formatValue(value: unknown): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return (value as number) < 0 ? '-Inf' : '+Inf';
  return `${value as number}`;
}

function formatLabels(labels: Labels): string {
  let text = '';
  for (const name in labels) {
    if (!Object.hasOwn(labels, name)) continue;
    text += `${text === '' ? '{' : ','}${name}="${escapeLabelValue(labels[name]!)}"`;
  }
  return text === '' ? '' : `${text}}`;
}

/**
 * OpenMetrics names a counter family without `_total` and its samples with it. prom-client's
 * registry strips the suffix only from its own metric objects, not from aggregate()'s families
 * (it would print `x_total_total`), so the ledger always asked for the stripped name.
 */
export function openMetricsCounterName(name: string): string {
  return name.replace(/_total$/, '');
}

/** A family's HELP and TYPE lines, and each sample's text before its value. */
export interface FamilyLines {
  header: string;
  /** Per sample, its line up to the space before the value. */
  prefixes: string[];
}

/** The lines of a family whose samples have these metric names and labels. */
export function familyLines(
  family: Pick<MetricFamily, 'name' | 'help' | 'type'>,
  samples: readonly Pick<MetricFamily['values'][number], 'metricName' | 'labels'>[],
  openMetrics: boolean,
): FamilyLines {
  const counterSuffix = openMetrics && family.type === 'counter';
  const name = escapeText(counterSuffix ? openMetricsCounterName(family.name) : family.name);
  const header = `# HELP ${name} ${escapeText(family.help)}\n# TYPE ${name} ${family.type}`;
  const prefixes = samples.map((sample) => {
    const metricName = sample.metricName === undefined ? name : sample.metricName;
    return `${metricName}${counterSuffix ? '_total' : ''}${formatLabels(sample.labels)}`;
  });
  return { header, prefixes };
}

/** The lines with these values: HELP, TYPE and sample lines joined by newlines, no trailing one. */
export function linesText(lines: FamilyLines, values: readonly unknown[]): string {
  let text = lines.header;
  for (let i = 0; i < lines.prefixes.length; i += 1) {
    text += `\n${lines.prefixes[i]!} ${formatValue(values[i])}`;
  }
  return text;
}

/** A family's lines in UTF-8, encoded once: the header, then each sample's `\n<prefix> `. */
interface EncodedLines {
  header: Uint8Array;
  /** Every sample's chunk, one after the other; sample i's is [starts[i], starts[i + 1]). */
  chunks: Uint8Array;
  starts: Int32Array;
}

const utf8 = new TextEncoder();
const encodedLines = new WeakMap<FamilyLines, EncodedLines>();

function encoded(lines: FamilyLines): EncodedLines {
  let found = encodedLines.get(lines);
  if (found === undefined) {
    // Each chunk starts with a newline and ends with a space, so no surrogate pair is cut in two:
    // encoded apart they are the bytes they are as part of the whole text.
    const texts = lines.prefixes.map((prefix) => `\n${prefix} `);
    const chunks = utf8.encode(texts.join(''));
    const starts = new Int32Array(texts.length + 1);
    let offset = 0;
    texts.forEach((text, i) => {
      starts[i] = offset;
      offset += Buffer.byteLength(text);
    });
    starts[texts.length] = offset;
    found = { header: utf8.encode(lines.header), chunks, starts };
    encodedLines.set(lines, found);
  }
  return found;
}

/**
 * Room for any value formatValue prints: at most 25 characters (`-0.0000014704282822207114`: a
 * sign, `0.`, five zeros, 17 digits), with a margin; a typed array drops writes past its end.
 */
const MAX_VALUE_CHARS = 32;

/**
 * linesText's UTF-8 bytes, written straight from the encoded lines and the values: no text of
 * thousands of lines is built, flattened and encoded again at every scrape.
 */
export function linesBytes(lines: FamilyLines, values: readonly unknown[]): Uint8Array {
  const { header, chunks, starts } = encoded(lines);
  const count = lines.prefixes.length;
  // Never read before written: only the bytes written are handed out.
  const out = Buffer.allocUnsafe(header.length + chunks.length + MAX_VALUE_CHARS * count);
  out.set(header, 0);
  let offset = header.length;
  for (let i = 0; i < count; i += 1) {
    const start = starts[i]!;
    const end = starts[i + 1]!;
    out.set(chunks.subarray(start, end), offset);
    offset += end - start;
    // ASCII only: digits, sign, point, exponent, `Nan`, `+Inf`, `-Inf`.
    const value = formatValue(values[i]);
    for (let k = 0; k < value.length; k += 1) out[offset + k] = value.charCodeAt(k);
    offset += value.length;
  }
  return out.subarray(0, offset);
}
