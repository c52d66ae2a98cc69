// A short, fixed set of chaos runs (scripts/chaos/, docs/chaos.md) against the real cluster:
// each seed's schedule is known (`npm run chaos -- --seed N --list`) and was picked for what it
// exercises. Every invariant must hold; a failure prints the run's whole report (violations,
// fast-check seed and path, steps, the command that replays it). Each seed runs in both listen
// modes (LISTEN_MODE, src/listen-mode.ts).
import { describe, expect, it } from 'vitest';
import { parseChaosArgs } from '../../scripts/chaos/args.js';
import { LISTEN_MODES } from '../../src/listen-mode.js';
import { formatReport } from '../../scripts/chaos/report.js';
import { runChaos } from '../../scripts/chaos/run.js';
import { checkTools } from '../helpers/tools.js';

const SEEDS: Array<{ why: string; args: string[] }> = [
  {
    why: 'pipelined requests dropped mid-flight, 150 idle connections to the manager port, 0.25 s scrape timeout, slow readers, aborted uploads (seed 4714)',
    args: ['--seed', '4714'],
  },
  {
    why: '767 idle connections to the API under `ulimit -n 256`, a scrape, a manager stop (seed 48)',
    args: ['--seed', '48', '--ulimit', '256'],
  },
  {
    why: 'every fault at once: worker stopped past the timeout and killed, manager stop, SIGHUP, socket directory removed, half-open and never-reading clients (seed 20)',
    args: ['--seed', '20'],
  },
];

describe('chaos runs of fixed seeds', () => {
  const tools = checkTools(['promtool'], 'the chaos run (`promtool check metrics`)');
  if (tools.fail) {
    it('has promtool', () => {
      throw new Error(tools.message);
    });
  }

  for (const mode of LISTEN_MODES)
    for (const { why, args } of SEEDS) {
      it(`LISTEN_MODE=${mode} holds every invariant: ${why}`, { timeout: 150_000 }, async () => {
        // One phase each, so the wall time stays bounded; --seconds is only a backstop.
        const options = parseChaosArgs([
          ...args,
          '--phases',
          '1',
          '--seconds',
          '60',
          '--listen-mode',
          mode,
        ]);
        const report = await runChaos(options);
        console.log(formatReport(report));
        expect(report.phases).toBe(1);
        expect(report.violations, formatReport(report)).toEqual([]);
      });
    }
});
