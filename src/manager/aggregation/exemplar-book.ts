// The newest exemplar of every bucket over every worker that ever reported one, departed ones
// included, so a reload never blanks the dots on a latency panel. Exemplars ride on top of the
// rendered families (OpenMetrics only), never through the merge: no byte cache depends on them.
import { sampleExemplar, type Exemplar } from '../../metrics/exemplars.js';
import { escapeLabelValue, formatLabels, formatValue } from './family-text.js';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** ` # {trace_id="…"} value timestamp`: what follows a sample's value in OpenMetrics. */
export function exemplarSuffix({ labels, value, timestampMs }: Exemplar): string {
  const pairs = Object.entries(labels).map(([name, v]) => `${name}="${escapeLabelValue(v)}"`);
  return ` # {${pairs.join(',')}} ${formatValue(value)} ${timestampMs / 1000}`;
}

export class ExemplarBook {
  /** Family name -> a sample line's text before its value -> that line's newest exemplar. */
  private readonly families = new Map<string, Map<string, Exemplar>>();

  /** Keeps each reported exemplar that is at least as new as the one held for its line. */
  add(reports: unknown): void {
    if (!Array.isArray(reports)) return;
    for (const unchecked of reports) {
      // Checked (the link carries JSON from another process): shape, and the 128-point limit.
      const parsed = sampleExemplar.safeParse(unchecked);
      if (!parsed.success) continue;
      const { family, metricName, labels, exemplar } = parsed.data;
      // The sample's line up to its value, as family-text.ts writes it.
      const prefix = `${metricName}${formatLabels(labels)}`;
      let lines = this.families.get(family);
      if (lines === undefined) this.families.set(family, (lines = new Map()));
      const held = lines.get(prefix);
      if (held === undefined || held.timestampMs <= exemplar.timestampMs) {
        lines.set(prefix, exemplar);
      }
    }
  }

  /** A family's OpenMetrics bytes with each sample's exemplar after its value. */
  annotate(family: string, bytes: Uint8Array): Uint8Array {
    const held = this.families.get(family);
    if (held === undefined) return bytes;
    const lines = decoder.decode(bytes).split('\n');
    for (let i = 0; i < lines.length; i += 1) {
      const line = lines[i]!;
      if (line.startsWith('#')) continue;
      const exemplar = held.get(line.slice(0, line.lastIndexOf(' ')));
      if (exemplar !== undefined) lines[i] = line + exemplarSuffix(exemplar);
    }
    return encoder.encode(lines.join('\n'));
  }
}
