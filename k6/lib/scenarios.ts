// Each load scenario's shape and pass/fail limits, in one place. The k6 scripts (k6/<name>.ts)
// build their options from these definitions, with every default overridable by `-e NAME=value`;
// the Node load runner (scripts/load/scenarios.ts) derives its autocannon phases from the same
// shapes, scaled to one small machine. The SLO the limits come from matches the Prometheus
// alert rules (prometheus/rules/slo.yml).
//
// Pure data and pure functions, and no imports at all: this file is type-checked both by
// k6/tsconfig.json and by the root tsconfig (Node code imports it), and only an import-free
// module resolves the same way in both.

export const SLO = {
  /** Availability 99.9 %: fewer than 1 request in 1000 may fail. */
  maxErrorRate: 0.001,
  /** Latency: p(99) under 500 ms for the `fast` routes (all but /api/work and /api/delay). */
  p99FastMs: 500,
} as const;

/** What a run must stay within to pass: k6 thresholds, and the Node runner's default limits. */
export interface Limits {
  /** Largest share of failed requests (and failed checks). 0: not one. */
  readonly maxErrorRate: number;
  /** p(99) latency limit of the `fast` routes, in ms. */
  readonly p99FastMs: number;
}

/** The SLOs: load, stress, spike, soak. */
export const SLO_LIMITS: Limits = { maxErrorRate: SLO.maxErrorRate, p99FastMs: SLO.p99FastMs };

/** Not one failed request: smoke (nothing may fail at 1 VU) and reload (zero-downtime deploy). */
export const ZERO_FAILURE_LIMITS: Limits = { maxErrorRate: 0, p99FastMs: SLO.p99FastMs };

/** A k6 duration such as `30s`, `5m`, `1h30m`, `500ms`, in seconds. */
export function durationSeconds(duration: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let match: RegExpExecArray | null;
  while ((match = re.exec(duration)) !== null) {
    total += Number(match[1]) * (units[match[2] ?? 's'] ?? 1);
  }
  return total;
}

/** One stage of a ramping arrival rate: the rate moves linearly to `target` over `duration`. */
export interface Stage {
  readonly duration: string;
  /** Requests per second at the end of the stage. */
  readonly target: number;
}

/** An open-model shape (k6's `ramping-arrival-rate`): a start rate, then the stages. */
export interface RateShape {
  readonly startRate: number;
  readonly stages: readonly Stage[];
}

/** One step of a stepped shape (k6: one `constant-arrival-rate` scenario per step). */
export interface RateStep {
  /** `01`, `02`, ...: the `step` tag of the step's requests. */
  readonly step: string;
  readonly rate: number;
  readonly duration: string;
  /** Seconds from the start of the run. */
  readonly startSec: number;
}

/** Smoke: one VU calls every endpoint once per iteration; nothing may fail. */
export const SMOKE = {
  limits: ZERO_FAILURE_LIMITS,
  vus: 1,
  maxDuration: '2m',
  defaults: { iterations: 3 },
} as const;

/** Load: the rate ramps from 0 up to the target, holds, and ramps down to 0. */
export const LOAD = {
  limits: SLO_LIMITS,
  defaults: {
    targetRps: 200,
    rampUp: '1m',
    hold: '3m',
    rampDown: '30s',
    preAllocatedVUs: 20,
    maxVUs: 200,
  },
  shape(p: { targetRps: number; rampUp: string; hold: string; rampDown: string }): RateShape {
    return {
      startRate: 0,
      stages: [
        { duration: p.rampUp, target: p.targetRps },
        { duration: p.hold, target: p.targetRps },
        { duration: p.rampDown, target: 0 },
      ],
    };
  },
} as const;

/** Spike: a steady base rate, a sudden jump to the spike rate, hold, back, and recovery. */
export const SPIKE = {
  limits: SLO_LIMITS,
  defaults: {
    baseRps: 50,
    spikeRps: 1000,
    hold: '1m',
    spikeHold: '1m',
    /** How long the jump up (and the drop back) takes. */
    jump: '10s',
    preAllocatedVUs: 50,
    maxVUs: 500,
  },
  shape(p: {
    baseRps: number;
    spikeRps: number;
    hold: string;
    spikeHold: string;
    jump: string;
  }): RateShape {
    return {
      startRate: p.baseRps,
      stages: [
        { duration: p.hold, target: p.baseRps },
        { duration: p.jump, target: p.spikeRps },
        { duration: p.spikeHold, target: p.spikeRps },
        { duration: p.jump, target: p.baseRps },
        { duration: p.hold, target: p.baseRps },
      ],
    };
  },
} as const;

/**
 * Stress: past capacity, to find the knee. The rate climbs in equal steps; the first step whose
 * p99 breaks the SLO is the knee, so latency failing past it is the expected result. Errors
 * are not: the run aborts when more than `abortErrorRate` of requests fail.
 */
export const STRESS = {
  limits: SLO_LIMITS,
  abortErrorRate: 0.05,
  defaults: { startRps: 100, stepRps: 100, steps: 10, stepDuration: '1m', maxVUs: 500 },
  steps(p: { startRps: number; stepRps: number; steps: number; stepDuration: string }): RateStep[] {
    const out: RateStep[] = [];
    for (let i = 0; i < p.steps; i += 1) {
      out.push({
        step: String(i + 1).padStart(2, '0'),
        rate: p.startRps + i * p.stepRps,
        duration: p.stepDuration,
        startSec: i * durationSeconds(p.stepDuration),
      });
    }
    return out;
  },
} as const;

/** Soak: a moderate constant rate for a long time, watching the workers' memory. */
export const SOAK = {
  limits: SLO_LIMITS,
  defaults: {
    rps: 50,
    duration: '1h',
    sampleInterval: '30s',
    maxRssMb: 512,
    preAllocatedVUs: 20,
    maxVUs: 200,
  },
} as const;

/** Reload: steady traffic while a rolling reload replaces every worker; zero failures. */
export const RELOAD = {
  limits: ZERO_FAILURE_LIMITS,
  defaults: { rps: 50, duration: '90s', reloadAt: '20s', preAllocatedVUs: 20, maxVUs: 200 },
} as const;
