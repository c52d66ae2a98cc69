// The k6 scenarios (k6/lib/scenarios.ts) at the scale of one small machine. Nothing about a
// shape or its limits is restated here: each scenario's k6 stages, with k6's defaults, become
// autocannon phases (phases.ts) squeezed into --duration and scaled so that their peak is --rate,
// or, unthrottled (rate 0), --connections. What is local: the defaults below (seconds and tens
// of connections, not hours and hundreds of VUs) and each scenario's traffic mix, which is the
// k6 script's own (k6/lib/endpoints.ts) without the deliberate 4xx calls.
import { LOAD_MIX, SMOKE_API, STRESS_MIX, type MixItem } from '../../k6/lib/endpoints.js';
import {
  durationSeconds,
  LOAD,
  RELOAD,
  SMOKE,
  SOAK,
  SPIKE,
  STRESS,
  type Limits,
} from '../../k6/lib/scenarios.js';
import { phasesFrom, rateSegments, steady, type PhasePlan, type ScenarioParams } from './phases.js';

export const SCENARIO_NAMES = ['smoke', 'load', 'stress', 'spike', 'soak', 'reload'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export function isScenarioName(value: string): value is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(value);
}

export interface ScenarioDefinition {
  name: ScenarioName;
  description: string;
  defaults: ScenarioParams & { maxErrorRate: number; maxP99Ms: number | null };
  /** False when the shape is defined by unthrottled connections (stress). */
  usesRate: boolean;
  mix: readonly MixItem[];
  plan(params: ScenarioParams): PhasePlan[];
  /** reload: when to POST /reload, as a fraction of the run. */
  reloadAt?: number;
  /** soak: read workers' memory from the manager's /status at the start and the end. */
  watchMemory?: boolean;
}

/** The Node runner's inclusive limits from a k6 scenario's limits. */
function limits(l: Limits): { maxErrorRate: number; maxP99Ms: number } {
  return { maxErrorRate: l.maxErrorRate, maxP99Ms: l.p99FastMs };
}

export const SCENARIOS: Readonly<Record<ScenarioName, ScenarioDefinition>> = {
  smoke: {
    name: 'smoke',
    description: 'one connection, every 2xx endpoint in turn, gently (k6/smoke.ts)',
    defaults: { durationSec: 5, connections: SMOKE.vus, rate: 20, ...limits(SMOKE.limits) },
    usesRate: true,
    mix: SMOKE_API.map((endpoint) => ({ endpoint })),
    plan: (params) => phasesFrom(steady('smoke', params.rate), params),
  },
  load: {
    name: 'load',
    description: 'rate ramps up to --rate in steps, holds, ramps down (k6/load.ts)',
    defaults: { durationSec: 30, connections: 16, rate: 200, ...limits(LOAD.limits) },
    usesRate: true,
    mix: LOAD_MIX,
    plan: (params) => phasesFrom(rateSegments(LOAD.shape(LOAD.defaults)), params),
  },
  stress: {
    name: 'stress',
    description:
      'unthrottled, connections climb in equal steps up to --connections: ' +
      'the step where RPS stops growing and p99 climbs is the knee (k6/stress.ts)',
    // Past the knee the p99 fails by design: the per-phase table shows where.
    defaults: {
      durationSec: 40,
      connections: 64,
      rate: 0,
      ...limits(STRESS.limits),
      maxP99Ms: null,
    },
    usesRate: false,
    mix: STRESS_MIX,
    plan: (params) => {
      const steps = STRESS.steps(STRESS.defaults);
      return phasesFrom(
        steps.map(({ rate, duration }, i) => ({
          label: `step ${i + 1}/${steps.length}`,
          seconds: durationSeconds(duration),
          from: rate,
          to: rate,
        })),
        params,
      );
    },
  },
  spike: {
    name: 'spike',
    description:
      'a base rate, a sudden jump to --rate, hold, back to the base, recovery (k6/spike.ts)',
    defaults: { durationSec: 20, connections: 32, rate: 500, ...limits(SPIKE.limits) },
    usesRate: true,
    mix: LOAD_MIX,
    plan: (params) => phasesFrom(rateSegments(SPIKE.shape(SPIKE.defaults)), params),
  },
  soak: {
    name: 'soak',
    description:
      'a steady --rate for a long --duration; worker memory read from the manager (k6/soak.ts)',
    defaults: { durationSec: 60, connections: 8, rate: 100, ...limits(SOAK.limits) },
    usesRate: true,
    mix: LOAD_MIX,
    plan: (params) => phasesFrom(steady('soak', params.rate), params),
    watchMemory: true,
  },
  reload: {
    name: 'reload',
    description:
      'a steady --rate while POST /reload replaces every worker; zero failed requests (k6/reload.ts)',
    defaults: { durationSec: 20, connections: 8, rate: 100, ...limits(RELOAD.limits) },
    usesRate: true,
    mix: LOAD_MIX,
    plan: (params) => phasesFrom(steady('steady traffic', params.rate), params),
    reloadAt: durationSeconds(RELOAD.defaults.reloadAt) / durationSeconds(RELOAD.defaults.duration),
  },
};
