// The load runner's scenario shapes (phases), traffic mixes and latency histogram.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOAD_MIX, STRESS_MIX, SMOKE_API } from '../../k6/lib/endpoints.js';
import {
  LatencyHistogram,
  SCENARIO_NAMES,
  SCENARIOS,
  type PhasePlan,
} from '../../scripts/load/index.js';

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

  it('load ramps up in steps to the target rate, holds it, then eases off', () => {
    const phases = SCENARIOS.load.plan({ durationSec: 30, connections: 16, rate: 200 });
    const rates = phases.map((p) => p.rate);
    const hold = phases.find((p) => p.label === 'hold');
    expect(hold?.rate).toBe(200);
    expect(hold?.durationSec).toBe(18);
    const ramp = rates.slice(0, rates.indexOf(200) + 1);
    expect(ramp.length).toBeGreaterThan(1);
    expect([...ramp].sort((a, b) => a - b)).toEqual(ramp);
    expect(phases.at(-1)?.rate).toBeLessThan(200);
  });

  it('stress is unthrottled and doubles connections up to the maximum', () => {
    const phases = SCENARIOS.stress.plan({ durationSec: 40, connections: 64, rate: 0 });
    expect(phases.map((p) => p.connections)).toEqual([4, 8, 16, 32, 64]);
    expect(phases.every((p) => p.rate === 0)).toBe(true);
  });

  it('spike bursts unthrottled between two calm phases', () => {
    const phases = SCENARIOS.spike.plan({ durationSec: 20, connections: 32, rate: 50 });
    expect(phases.map((p) => [p.label, p.connections, p.rate])).toEqual([
      ['baseline', 4, 50],
      ['spike', 32, 0],
      ['recovery', 4, 50],
    ]);
  });

  it('reload triggers mid-run and tolerates no failure; soak watches memory', () => {
    expect(SCENARIOS.reload.reloadAt).toBeGreaterThan(0);
    expect(SCENARIOS.reload.reloadAt).toBeLessThan(0.5);
    expect(SCENARIOS.reload.defaults.maxErrorRate).toBe(0);
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
