// A k6 shape as autocannon phases. A phase is one autocannon run with a fixed connection count
// and rate; autocannon cannot ramp, so a ramp becomes steps. Pure functions.
import { durationSeconds, type RateShape } from '../../k6/lib/scenarios.js';

export interface ScenarioParams {
  durationSec: number;
  /** Connections (the peak, when unthrottled). */
  connections: number;
  /** The peak requests per second over all connections; 0: as fast as the connections go. */
  rate: number;
}

export interface PhasePlan {
  label: string;
  durationSec: number;
  connections: number;
  /** 0: unthrottled. */
  rate: number;
}

/** A stretch of a k6 shape: the load moves linearly from `from` to `to` (requests/s). */
export interface Segment {
  label: string;
  seconds: number;
  from: number;
  to: number;
}

/**
 * A k6 ramping-arrival-rate shape as segments: a ramp where the rate moves, else a hold (at the
 * peak, or at a share of it, such as the spike's base).
 */
export function rateSegments(shape: RateShape): Segment[] {
  const peak = Math.max(shape.startRate, ...shape.stages.map((s) => s.target));
  let rate = shape.startRate;
  return shape.stages.map(({ duration, target }) => {
    const from = rate;
    rate = target;
    const label =
      target > from
        ? 'ramp up'
        : target < from
          ? 'ramp down'
          : target === peak
            ? 'hold'
            : `hold at ${Math.round((target / peak) * 100)} %`;
    return { label, seconds: durationSeconds(duration), from, to: target };
  });
}

/** A steady rate for a whole run. */
export const steady = (label: string, rate: number): Segment[] => [
  { label, seconds: 1, from: rate, to: rate },
];

const round = (n: number) => Math.round(n * 10) / 10;
const atLeast1 = (n: number) => Math.max(1, Math.round(n));

/**
 * Merges each phase shorter than half a second (tiny --duration values) into the busier of its
 * neighbours, so a short run keeps the shape's peak rather than its quiet edges.
 */
function dropTiny(phases: PhasePlan[]): PhasePlan[] {
  const out = phases.map((p) => ({ ...p }));
  const load = (p: PhasePlan | undefined) => (p === undefined ? -1 : p.rate || p.connections);
  for (let i = out.findIndex(tiny); i >= 0 && out.length > 1; i = out.findIndex(tiny)) {
    const into = load(out[i - 1]) > load(out[i + 1]) ? i - 1 : i + 1;
    const target = out[into];
    if (target !== undefined)
      target.durationSec = round(target.durationSec + (out[i]?.durationSec ?? 0));
    out.splice(i, 1);
  }
  return out;
}

function tiny(p: PhasePlan): boolean {
  return p.durationSec < 0.5;
}

/**
 * Segments squeezed into `durationSec`, each load as a share of the shape's peak: throttled,
 * that share of `rate` over all the connections; unthrottled, that share of the connections.
 * A ramp becomes up to 5 steps of about 2 s, each at the ramp's mean load over the step.
 */
export function phasesFrom(segments: readonly Segment[], params: ScenarioParams): PhasePlan[] {
  const total = segments.reduce((sum, s) => sum + s.seconds, 0);
  const peak = Math.max(...segments.flatMap((s) => [s.from, s.to]));
  const phases: PhasePlan[] = [];
  // Phase boundaries are rounded, not lengths, so that rounding never adds up to drift.
  let elapsed = 0;
  const add = (label: string, seconds: number, load: number) => {
    const share = peak > 0 ? load / peak : 1;
    const start = round((elapsed / total) * params.durationSec);
    elapsed += seconds;
    phases.push({
      label,
      durationSec: round(round((elapsed / total) * params.durationSec) - start),
      connections: params.rate > 0 ? params.connections : atLeast1(params.connections * share),
      rate: params.rate > 0 ? atLeast1(params.rate * share) : 0,
    });
  };
  for (const s of segments) {
    if (s.from === s.to) {
      add(s.label, s.seconds, s.to);
      continue;
    }
    const localSec = (s.seconds / total) * params.durationSec;
    const steps = Math.min(5, Math.max(1, Math.round(localSec / 2)));
    for (let i = 1; i <= steps; i += 1) {
      const load = s.from + ((s.to - s.from) * (i - 0.5)) / steps;
      add(steps === 1 ? s.label : `${s.label} ${i}/${steps}`, s.seconds / steps, load);
    }
  }
  return dropTiny(phases);
}
