// What a failed chaos run prints: the seed and fast-check path to replay it, every violation
// with its invariant, and the steps.
import { describe, expect, it } from 'vitest';
import { parseChaosArgs } from '../../../scripts/chaos/args.js';
import { formatReport, replayCommand } from '../../../scripts/chaos/report.js';
import type { ChaosReport } from '../../../scripts/chaos/run.js';

const report = (extra: Partial<ChaosReport> = {}): ChaosReport => ({
  options: parseChaosArgs(['--seed', '7', '--seconds', '30', '--ulimit', '256']),
  phases: 3,
  violations: [],
  steps: ['   1.0s phase 1 begins'],
  restarts: { crash: 1 },
  repeated: [],
  promtool: true,
  ...extra,
});

describe('chaos report', () => {
  it('says so when nothing was violated', () => {
    expect(formatReport(report())).toContain('no invariant violated');
  });

  it('prints the violation, the fast-check seed and path, the steps and a replay command', () => {
    const text = formatReport(
      report({
        violations: [
          { atMs: 2_500, invariant: 'in-flight-zero', message: 'worker 12 requestsInFlight=5' },
        ],
        failure: { seed: 7, path: '2', commands: 'pause 100 ms,SIGKILL ready worker #1' },
      }),
    );
    expect(text).toContain('[in-flight-zero] at 2.5s: worker 12 requestsInFlight=5');
    expect(text).toContain('fast-check: seed 7, path 2');
    expect(text).toContain('SIGKILL ready worker #1');
    expect(text).toContain('phase 1 begins');
    expect(text).toContain('replay: npm run chaos -- --seed 7 --path 2');
    expect(text).toContain('--ulimit 256');
  });

  it('replays a clean run with its time and phase bounds', () => {
    expect(replayCommand(report())).toMatch(/^npm run chaos -- --seed 7 --seconds 30 /);
  });

  it('replays a reuseport run in reuseport', () => {
    const options = parseChaosArgs(['--seed', '7', '--listen-mode', 'reuseport']);
    expect(options.listenMode).toBe('reuseport');
    expect(replayCommand(report({ options }))).toMatch(/ --listen-mode reuseport$/);
    expect(parseChaosArgs(['--seed', '7']).listenMode).toBe('shared');
    expect(replayCommand(report())).not.toContain('--listen-mode');
  });

  it('refuses bad arguments', () => {
    expect(() => parseChaosArgs(['--listen-mode', 'rr'])).toThrow(/--listen-mode must be one of/);
    expect(() => parseChaosArgs(['--seconds', 'soon'])).toThrow(/--seconds must be an integer/);
    expect(() => parseChaosArgs(['--nonsense'])).toThrow();
  });
});
