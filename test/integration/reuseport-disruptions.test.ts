// Reloads, scale-down and recycling under keep-alive AND new-connection load, per listen mode and
// per value of net.ipv4.tcp_migrate_req, each run in a network namespace of its own where the test
// sets the sysctl (test/helpers/netns.ts). With reuseport a draining worker closes its listener
// first; connections the kernel had already queued at it are reset, unless tcp_migrate_req=1
// moves them to another worker's listener.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runInNetns, tsxCommand } from '../helpers/netns.js';
import type { DisruptionEvent, DisruptionReport } from '../../scripts/listen-mode/disruption.js';

const SCRIPT = 'scripts/listen-mode/disruption.ts';

async function disrupt(
  migrateReq: 0 | 1,
  mode: 'shared' | 'reuseport',
  event: DisruptionEvent,
  rounds: number,
): Promise<DisruptionReport> {
  const args = ['--mode', mode, '--event', event, '--rounds', String(rounds)];
  const run = await runInNetns(migrateReq, tsxCommand(SCRIPT, args), 150_000);
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.code !== 0 || !line.startsWith('{')) {
    throw new Error(`${SCRIPT} ${args.join(' ')} exited ${run.code}:\n${run.stderr.slice(-3000)}`);
  }
  const report = JSON.parse(line) as DisruptionReport;
  expect(report.tcpMigrateReq).toBe(String(migrateReq));
  console.log(
    `[reliability] ${mode}, tcp_migrate_req=${migrateReq}, ${rounds} x ${event}: ` +
      `keep-alive ${report.keepAlive.failed}/${report.keepAlive.sent} failed ` +
      `(slowest ${report.keepAlive.slowestMs} ms), new connections ` +
      `${report.newConnections.failed}/${report.newConnections.sent} failed ` +
      `(slowest ${report.newConnections.slowestMs} ms) ` +
      `${JSON.stringify([...report.keepAlive.errors, ...report.newConnections.errors])}`,
  );
  return report;
}

const lossless = (report: DisruptionReport) => {
  expect(report.keepAlive.errors).toEqual([]);
  expect(report.newConnections.errors).toEqual([]);
  expect(report.keepAlive.failed).toBe(0);
  expect(report.newConnections.failed).toBe(0);
  expect(report.keepAlive.ok).toBeGreaterThan(0);
  expect(report.newConnections.ok).toBeGreaterThan(0);
};

describe('disruptions under keep-alive and new-connection load, in a network namespace', () => {
  const probe = spawnSync('unshare', ['-rn', 'true']);
  if (probe.status !== 0) {
    it('can make a network namespace', () => {
      throw new Error(
        `\`unshare -rn\` failed (${probe.error?.message ?? probe.stderr.toString().trim()}): ` +
          'this test needs user and network namespaces (util-linux unshare, iproute2 ip)',
      );
    });
    return;
  }

  const timeout = { timeout: 180_000 };
  it('reuseport, tcp_migrate_req=1: 3 rolling reloads fail nothing', timeout, async () => {
    lossless(await disrupt(1, 'reuseport', 'reload', 3));
  });
  it('reuseport, tcp_migrate_req=1: 3 scale-downs fail nothing', timeout, async () => {
    lossless(await disrupt(1, 'reuseport', 'scale-down', 3));
  });
  it('reuseport, tcp_migrate_req=1: 3 recycles fail nothing', timeout, async () => {
    lossless(await disrupt(1, 'reuseport', 'recycle', 3));
  });
  it('shared: 3 rolling reloads fail nothing, whatever tcp_migrate_req', timeout, async () => {
    lossless(await disrupt(0, 'shared', 'reload', 3));
  });
});
