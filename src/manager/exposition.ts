// One merged family as exposition text: the text prom-client's Registry.getMetricsAsString()
// (lib/registry.js) prints for a family aggregate() registered, without the trailer that
// registry.metrics() adds to a whole document. Mirrored rule by rule:
//   - HELP and the family name escape `\` and newline; label values (strings only) escape `\`,
//     newline and `"`; label names, TYPE and a sample's own metricName are printed as they are;
//   - labels in the labels object's own order; no braces when there are none;
//   - values through getValueAsString: `Nan` (sic), `+Inf`, `-Inf`, else JavaScript's String();
//   - OpenMetrics: a counter's family name without `_total` and its samples with it (what
//     prom-client does for its own counters; see openMetricsCounterName);
//   - aggregate() keeps neither exemplars nor timestamps nor shared labels: none printed.
import type { MetricFamily } from '../protocol.js';

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
