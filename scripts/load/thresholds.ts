// Pass/fail of a run. Limits are inclusive: --max-error-rate 0 means "not one failure".
// (k6's SLO thresholds are `rate<0.001` and `p(99)<500`; at these sample sizes the difference
// between < and <= does not matter, and <= is what makes a limit of 0 usable.)

export interface ThresholdLimits {
  /** Largest acceptable (errors + non-2xx) / requests, 0..1. */
  maxErrorRate: number;
  /** Largest acceptable p99 latency in ms; null: not checked. */
  maxP99Ms: number | null;
}

export interface RunFigures {
  /** Requests answered or failed (responses + connection errors). */
  requests: number;
  /** Requests that got an HTTP response (any status). */
  responses: number;
  /** Non-2xx responses plus connection errors and timeouts. */
  failures: number;
  p99Ms: number;
  /** reload scenario only: whether POST /reload was accepted and every worker was replaced. */
  reload?: { accepted: boolean; completed: boolean };
}

export interface ThresholdOutcome {
  name: string;
  ok: boolean;
  /** e.g. `0.0000 <= 0.001` */
  detail: string;
}

export function errorRate(figures: Pick<RunFigures, 'requests' | 'failures'>): number {
  return figures.requests === 0 ? 0 : figures.failures / figures.requests;
}

export function evaluateThresholds(
  figures: RunFigures,
  limits: ThresholdLimits,
): ThresholdOutcome[] {
  const outcomes: ThresholdOutcome[] = [
    {
      name: 'responses',
      ok: figures.responses > 0,
      detail: `${figures.responses} > 0`,
    },
  ];
  const rate = errorRate(figures);
  outcomes.push({
    name: 'error rate',
    ok: figures.requests > 0 && rate <= limits.maxErrorRate,
    detail: `${rate.toFixed(4)} (${figures.failures}/${figures.requests}) <= ${limits.maxErrorRate}`,
  });
  if (limits.maxP99Ms !== null) {
    outcomes.push({
      name: 'p99 latency',
      ok: figures.responses > 0 && figures.p99Ms <= limits.maxP99Ms,
      detail: `${figures.p99Ms.toFixed(1)} ms <= ${limits.maxP99Ms} ms`,
    });
  }
  if (figures.reload !== undefined) {
    outcomes.push({
      name: 'reload accepted',
      ok: figures.reload.accepted,
      detail: figures.reload.accepted
        ? 'POST /reload answered 202'
        : 'POST /reload was not accepted',
    });
    outcomes.push({
      name: 'reload completed',
      ok: figures.reload.completed,
      detail: figures.reload.completed
        ? 'every worker replaced during the run'
        : figures.reload.accepted
          ? 'workers not all replaced before traffic ended (try a longer --duration)'
          : 'no reload was started',
    });
  }
  return outcomes;
}
