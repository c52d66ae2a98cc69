// Exemplars: one observed request's trace id kept beside the series it was counted in, so a click
// on a latency panel leads to that request's trace and logs. OpenMetrics carries them on
// histogram buckets; the manager keeps, per bucket, the newest one any worker ever reported.
import * as z from '../zod.js';

/** OpenMetrics: an exemplar's label names and values together, at most 128 code points. */
export const EXEMPLAR_LABELS_MAX_CHARS = 128;

// A string's iterator yields code points, not UTF-16 units.
const labelChars = (labels: Record<string, string>) =>
  Object.entries(labels).reduce((sum, [name, value]) => sum + [...name, ...value].length, 0);

const exemplar = z.object({
  labels: z
    .record(z.string(), z.string())
    .check(z.refine((labels) => labelChars(labels) <= EXEMPLAR_LABELS_MAX_CHARS)),
  value: z.number(),
  timestampMs: z.number(),
});

/** A sample line's (a bucket's) newest exemplar as a worker reports it; labels `le` first. */
export const sampleExemplar = z.object({
  family: z.string(),
  metricName: z.string(),
  labels: z.record(z.string(), z.union([z.string(), z.number()])),
  exemplar,
});

export type Exemplar = z.infer<typeof exemplar>;
export type SampleExemplar = z.infer<typeof sampleExemplar>;
