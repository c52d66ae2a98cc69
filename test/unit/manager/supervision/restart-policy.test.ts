import { describe, expect, it } from 'vitest';
import {
  decideRestart,
  FRESH_HISTORY,
  type SlotHistory,
} from '../../../../src/manager/supervision/restart-policy.js';

const policy = {
  restartBackoffBaseMs: 100,
  restartBackoffMaxMs: 1_000,
  crashLoopLimit: 3,
  workerMinUptimeMs: 5_000,
};

describe('decideRestart', () => {
  it('restarts a long-lived worker at once and forgets earlier failures', () => {
    const d = decideRestart(policy, { youngDeaths: 4, bootFailures: 0 }, { readyForMs: 60_000 });
    expect(d).toEqual({ history: { youngDeaths: 0, bootFailures: 0 }, delayMs: 0, giveUp: false });
  });

  it('backs off exponentially for workers dying young, capped at the maximum', () => {
    let history: SlotHistory = FRESH_HISTORY;
    const delays: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const d = decideRestart(policy, history, { readyForMs: 10 });
      delays.push(d.delayMs);
      history = d.history;
      expect(d.giveUp).toBe(false); // it did become ready: not a boot crash loop
    }
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('gives up after crashLoopLimit consecutive boot failures', () => {
    let history: SlotHistory = FRESH_HISTORY;
    const giveUps: boolean[] = [];
    for (let i = 0; i < 3; i += 1) {
      const d = decideRestart(policy, history, { readyForMs: null });
      giveUps.push(d.giveUp);
      history = d.history;
    }
    expect(giveUps).toEqual([false, false, true]);
  });

  it('a successful boot in between resets the boot-failure streak', () => {
    let d = decideRestart(policy, FRESH_HISTORY, { readyForMs: null });
    d = decideRestart(policy, d.history, { readyForMs: null });
    d = decideRestart(policy, d.history, { readyForMs: 100 });
    expect(d.history.bootFailures).toBe(0);
    d = decideRestart(policy, d.history, { readyForMs: null });
    expect(d.giveUp).toBe(false);
  });

  it('backs off a fork that started no process but never gives up on it', () => {
    const history = { youngDeaths: 0, bootFailures: 3 };
    const d = decideRestart(policy, history, { readyForMs: null, spawnFailed: true });
    expect(d).toEqual({
      history: { youngDeaths: 1, bootFailures: 3 },
      delayMs: 100,
      giveUp: false,
    });
  });
});
