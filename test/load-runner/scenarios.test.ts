// The load runner's scenario phases, derived from the k6 scenarios' shared shapes
// (k6/lib/scenarios.ts), its traffic mixes and its latency histogram.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOAD_MIX, STRESS_MIX, SMOKE_API } from '../../k6/lib/endpoints.js';
import { durationSeconds, LOAD, SLO, SMOKE, SPIKE, STRESS } from '../../k6/lib/scenarios.js';
import {
  LatencyHistogram,
  SCENARIO_NAMES,
  SCENARIOS,
  type PhasePlan,
} from '../../scripts/load/index.js';
import { phasesFrom, rateSegments } from '../../scripts/load/phases.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const total = (phases: PhasePlan[]) => phases.reduce((n, p) => n + p.durationSec, 0);

describe('scenarios', () => {
  it('mirror the k6 scripts one to one', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const name of SCENARIO_NAMES) {
      expect(existsSync(path.join(ROOT, 'k6', `${name}.ts`)), `k6/${name}.ts`).toBe(true);
      expect(pkg.scripts[`k6:${name}`]).toBe(`bash k6/run.sh ${name}`);
    }
  });

  describe.each(SCENARIO_NAMES)('%s', (name) => {
    const scenario = SCENARIOS[name];
    it.each([1, 3, 10, 30, 600])('plans phases that fill a %d s run', (durationSec) => {
      const { connections, rate } = scenario.defaults;
      const phases = scenario.plan({ durationSec, connections, rate });
      expect(phases.length).toBeGreaterThan(0);
      expect(Math.abs(total(phases) - durationSec)).toBeLessThanOrEqual(0.2);
      for (const p of phases) {
        expect(p.durationSec).toBeGreaterThanOrEqual(0.5);
        expect(p.connections).toBeGreaterThanOrEqual(1);
        expect(p.connections).toBeLessThanOrEqual(connections);
        expect(p.rate).toBeLessThanOrEqual(rate === 0 ? 0 : rate);
      }
    });

    it('has SLO-based defaults', () => {
      const d = scenario.defaults;
      expect(d.maxErrorRate).toBeLessThanOrEqual(0.001);
      expect(d.maxP99Ms === null || d.maxP99Ms === 500).toBe(true);
    });
  });

  it('load follows k6/load.ts: ramps up in steps to the target rate, holds, ramps down', () => {
    const phases = SCENARIOS.load.plan({ durationSec: 30, connections: 16, rate: 200 });
    const rates = phases.map((p) => p.rate);
    const hold = phases.find((p) => p.label === 'hold');
    expect(hold?.rate).toBe(200);
    // k6: 1 m up, 3 m hold, 30 s down; the hold keeps its share (3 m of 4.5 m) of the run.
    const k6 = LOAD.defaults;
    const share =
      durationSeconds(k6.hold) /
      (durationSeconds(k6.rampUp) + durationSeconds(k6.hold) + durationSeconds(k6.rampDown));
    expect(hold?.durationSec).toBeCloseTo(30 * share, 1);
    const ramp = rates.slice(0, rates.indexOf(200) + 1);
    expect(ramp.length).toBeGreaterThan(1);
    expect([...ramp].sort((a, b) => a - b)).toEqual(ramp);
    const down = rates.slice(rates.indexOf(200) + 1);
    expect(down.length).toBeGreaterThan(0);
    expect([...down].sort((a, b) => b - a)).toEqual(down);
  });

  it('stress is unthrottled and climbs in k6/stress.ts steps up to the maximum connections', () => {
    const phases = SCENARIOS.stress.plan({ durationSec: 40, connections: 64, rate: 0 });
    expect(phases).toHaveLength(STRESS.defaults.steps);
    // k6 steps at 100, 200, ... 1000 rps: here the same shares of 64 connections.
    expect(phases.map((p) => p.connections)).toEqual([6, 13, 19, 26, 32, 38, 45, 51, 58, 64]);
    expect(phases.every((p) => p.rate === 0 && p.durationSec === 4)).toBe(true);
  });

  it('spike follows k6/spike.ts: the base rate, a jump to the peak, the peak, back, recovery', () => {
    const phases = SCENARIOS.spike.plan({ durationSec: 20, connections: 32, rate: 500 });
    const base = Math.round((500 * SPIKE.defaults.baseRps) / SPIKE.defaults.spikeRps);
    expect(phases.map((p) => [p.label, p.durationSec, p.connections, p.rate])).toEqual([
      ['hold at 5 %', 6, 32, base],
      ['ramp up', 1, 32, 263],
      ['hold', 6, 32, 500],
      ['ramp down', 1, 32, 263],
      ['hold at 5 %', 6, 32, base],
    ]);
  });

  it('an unthrottled run scales connections by the same shares', () => {
    const phases = SCENARIOS.spike.plan({ durationSec: 20, connections: 32, rate: 0 });
    expect(phases.map((p) => [p.connections, p.rate])).toEqual([
      [2, 0],
      [17, 0],
      [32, 0],
      [17, 0],
      [2, 0],
    ]);
  });

  it('a change to a shared k6 shape changes the phases (nothing is restated)', () => {
    const shape = SPIKE.shape({ ...SPIKE.defaults, spikeHold: '3m' });
    const phases = phasesFrom(rateSegments(shape), { durationSec: 40, connections: 8, rate: 100 });
    const peak = phases.find((p) => p.label === 'hold');
    // 3 m of 1 + 1/6 + 3 + 1/6 + 1 minutes.
    expect(peak?.durationSec).toBeCloseTo((40 * 180) / 320, 1);
  });

  it('take their pass/fail limits from the k6 scenarios', () => {
    expect(SCENARIOS.smoke.defaults.maxErrorRate).toBe(SMOKE.limits.maxErrorRate);
    expect(SCENARIOS.reload.defaults.maxErrorRate).toBe(0);
    expect(SCENARIOS.load.defaults).toMatchObject({
      maxErrorRate: SLO.maxErrorRate,
      maxP99Ms: SLO.p99FastMs,
    });
    expect(SCENARIOS.stress.defaults.maxP99Ms).toBeNull();
  });

  it('reload triggers mid-run and tolerates no failure; soak watches memory', () => {
    // k6/reload.ts: POST /reload 20 s into a 90 s run.
    expect(SCENARIOS.reload.reloadAt).toBeCloseTo(20 / 90, 5);
    expect(SCENARIOS.soak.watchMemory).toBe(true);
  });

  it('default traffic only calls API endpoints that answer 2xx', () => {
    for (const scenario of Object.values(SCENARIOS)) {
      for (const { endpoint } of scenario.mix) {
        expect(endpoint.target).toBe('api');
        expect(endpoint.expectedStatus).toBeGreaterThanOrEqual(200);
        expect(endpoint.expectedStatus).toBeLessThan(300);
      }
    }
  });

  it('steady-state mixes leave out /readyz, which answers 503 on a draining worker', () => {
    for (const mix of [LOAD_MIX, STRESS_MIX]) {
      expect(mix.map((i) => i.endpoint.path)).not.toContain('/readyz');
    }
    expect(SMOKE_API.map((e) => e.path)).toContain('/readyz');
  });
});

describe('LatencyHistogram', () => {
  it('is empty-safe', () => {
    expect(new LatencyHistogram().summary()).toEqual({
      count: 0,
      mean: 0,
      p50: 0,
      p90: 0,
      p99: 0,
      max: 0,
    });
  });

  it('reports percentiles within 1 % of the exact values', () => {
    const h = new LatencyHistogram();
    const values: number[] = [];
    for (let i = 1; i <= 10_000; i += 1) {
      const v = ((i * 7919) % 10_000) / 10 + 0.05; // 0.05 .. 999.95 ms, shuffled
      values.push(v);
      h.record(v);
    }
    values.sort((a, b) => a - b);
    for (const p of [50, 90, 99]) {
      const exact = values[Math.ceil((p / 100) * values.length) - 1] ?? 0;
      expect(Math.abs(h.percentile(p) - exact) / exact).toBeLessThanOrEqual(0.01);
    }
    expect(h.max).toBe(values.at(-1));
    expect(h.percentile(100)).toBe(h.max);
  });

  it('merges', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 0; i < 99; i += 1) a.record(1);
    b.record(1000);
    a.merge(b);
    expect(a.count).toBe(100);
    expect(a.percentile(50)).toBeCloseTo(1, 1);
    expect(a.percentile(100)).toBe(1000);
  });

  it('ignores impossible samples', () => {
    const h = new LatencyHistogram();
    h.record(Number.NaN);
    h.record(-1);
    expect(h.count).toBe(0);
  });
});
