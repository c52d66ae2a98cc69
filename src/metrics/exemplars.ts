// Exemplars: one observed request's trace id kept beside the series it was counted in, so a click
// on a latency panel leads to that request's trace and logs. OpenMetrics carries them on
// histogram buckets; the manager keeps, per bucket, the newest one any worker ever reported.

/** One exemplar: its own labels ({ trace_id }), the observed value, and when it was observed. */
export interface Exemplar {
  labels: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch. */
  timestampMs: number;
}

/** The newest exemplar of one sample line (a histogram bucket), as a worker reports it. */
export interface SampleExemplar {
  family: string;
  metricName: string;
  /** The sample's labels in the order its family lists them (`le` first for a bucket). */
  labels: Record<string, string | number>;
  exemplar: Exemplar;
}
