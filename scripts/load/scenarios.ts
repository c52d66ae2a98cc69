// The k6 scenario shapes (k6/*.ts) at the scale of one small machine. Each scenario turns its
// parameters into phases; a phase is one autocannon run with a fixed connection count and an
// optional overall rate (autocannon cannot ramp, so ramps are steps). The traffic mixes are the
// k6 scripts' own (k6/lib/endpoints.ts): only endpoints that answer 2xx.
import { LOAD_MIX, SMOKE_API, STRESS_MIX, type MixItem } from '../../k6/lib/endpoints.js';
import { SLO } from '../../k6/lib/slo.js';

export const SCENARIO_NAMES = ['smoke', 'load', 'stress', 'spike', 'soak', 'reload'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export function isScenarioName(value: string): value is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(value);
}

export interface ScenarioParams {
  durationSec: number;
  /** Connections (the peak, for scenarios that vary them). */
  connections: number;
  /** Requests per second over all connections; 0: as fast as the connections go. */
  rate: number;
}

export interface PhasePlan {
  label: string;
  durationSec: number;
  connections: number;
  /** 0: unthrottled. */
  rate: number;
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

const round = (n: number) => Math.round(n * 10) / 10;
const atLeast1 = (n: number) => Math.max(1, Math.round(n));

function phase(label: string, durationSec: number, connections: number, rate: number): PhasePlan {
  return { label, durationSec: round(durationSec), connections: atLeast1(connections), rate };
}

/** Merges phases shorter than half a second into their neighbour (tiny --duration values). */
function dropTiny(phases: PhasePlan[]): PhasePlan[] {
  const out: PhasePlan[] = [];
  for (const p of phases) {
    const last = out[out.length - 1];
    if (p.durationSec < 0.5 && last !== undefined)
      last.durationSec = round(last.durationSec + p.durationSec);
    else out.push({ ...p });
  }
  const first = out[0];
  const second = out[1];
  if (first !== undefined && second !== undefined && first.durationSec < 0.5) {
    second.durationSec = round(second.durationSec + first.durationSec);
    out.shift();
  }
  return out;
}

const single =
  (label: string) =>
  ({ durationSec, connections, rate }: ScenarioParams): PhasePlan[] => [
    phase(label, durationSec, connections, rate),
  ];

export const SCENARIOS: Readonly<Record<ScenarioName, ScenarioDefinition>> = {
  smoke: {
    name: 'smoke',
    description: 'one connection, every 2xx endpoint in turn, gently (k6/smoke.ts)',
    defaults: {
      durationSec: 5,
      connections: 1,
      rate: 20,
      maxErrorRate: 0,
      maxP99Ms: SLO.p99FastMs,
    },
    usesRate: true,
    mix: SMOKE_API.map((endpoint) => ({ endpoint })),
    plan: single('smoke'),
  },
  load: {
    name: 'load',
    description: 'rate ramps up to --rate in steps, holds, eases off (k6/load.ts)',
    defaults: {
      durationSec: 30,
      connections: 16,
      rate: 200,
      maxErrorRate: SLO.maxErrorRate,
      maxP99Ms: SLO.p99FastMs,
    },
    usesRate: true,
    mix: LOAD_MIX,
    plan({ durationSec, connections, rate }) {
      const ramp = durationSec * 0.3;
      const steps = Math.min(5, Math.max(1, Math.round(ramp / 2)));
      const phases: PhasePlan[] = [];
      for (let i = 1; i <= steps; i += 1) {
        const r = rate === 0 ? 0 : atLeast1((rate * i) / steps);
        const c = rate === 0 ? (connections * i) / steps : connections;
        phases.push(phase(`ramp ${i}/${steps}`, ramp / steps, c, r));
      }
      phases.push(phase('hold', durationSec * 0.6, connections, rate));
      phases.push(
        phase('ramp down', durationSec * 0.1, connections, rate === 0 ? 0 : atLeast1(rate / 2)),
      );
      return dropTiny(phases);
    },
  },
  stress: {
    name: 'stress',
    description:
      'unthrottled, connections double each step up to --connections: ' +
      'the step where RPS stops growing and p99 climbs is the knee (k6/stress.ts)',
    defaults: {
      durationSec: 40,
      connections: 64,
      rate: 0,
      maxErrorRate: SLO.maxErrorRate,
      maxP99Ms: null,
    },
    usesRate: false,
    mix: STRESS_MIX,
    plan({ durationSec, connections }) {
      const counts: number[] = [];
      for (let c = connections; c >= 1 && counts.length < 5; c = Math.floor(c / 2))
        counts.unshift(c);
      return dropTiny(
        counts.map((c, i) =>
          phase(`step ${i + 1}/${counts.length}`, durationSec / counts.length, c, 0),
        ),
      );
    },
  },
  spike: {
    name: 'spike',
    description:
      'baseline at --rate, a sudden unthrottled burst on --connections, then recovery (k6/spike.ts)',
    defaults: {
      durationSec: 20,
      connections: 32,
      rate: 50,
      maxErrorRate: SLO.maxErrorRate,
      maxP99Ms: SLO.p99FastMs,
    },
    usesRate: true,
    mix: LOAD_MIX,
    plan({ durationSec, connections, rate }) {
      const calm = Math.min(connections, 4);
      return dropTiny([
        phase('baseline', durationSec * 0.3, calm, rate),
        phase('spike', durationSec * 0.3, connections, 0),
        phase('recovery', durationSec * 0.4, calm, rate),
      ]);
    },
  },
  soak: {
    name: 'soak',
    description:
      'a steady --rate for a long --duration; worker memory read from the manager (k6/soak.ts)',
    defaults: {
      durationSec: 60,
      connections: 8,
      rate: 100,
      maxErrorRate: SLO.maxErrorRate,
      maxP99Ms: SLO.p99FastMs,
    },
    usesRate: true,
    mix: LOAD_MIX,
    plan: single('soak'),
    watchMemory: true,
  },
  reload: {
    name: 'reload',
    description:
      'a steady --rate while POST /reload replaces every worker; zero failed requests (k6/reload.ts)',
    defaults: {
      durationSec: 20,
      connections: 8,
      rate: 100,
      maxErrorRate: 0,
      maxP99Ms: SLO.p99FastMs,
    },
    usesRate: true,
    mix: LOAD_MIX,
    plan: single('steady traffic'),
    reloadAt: 0.25,
  },
};
