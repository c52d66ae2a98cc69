// Reloads, scale-down and recycling under keep-alive AND new-connection load, per listen mode and
// per value of net.ipv4.tcp_migrate_req, each run in a network namespace of its own where the test
// sets the sysctl (scripts/lib/netns.ts). With reuseport a draining worker closes its listener
// first; connections the kernel had already queued at it are reset, unless tcp_migrate_req=1
// moves them to another worker's listener.
import { describe, expect, it } from 'vitest';
import { canMakeNetns } from '../../scripts/lib/netns.js';
import {
  runDisruptionInNetns,
  type DisruptionEvent,
  type DisruptionReport,
} from '../../scripts/listen-mode/disruption.js';

async function disrupt(
  migrateReq: 0 | 1,
  mode: 'shared' | 'reuseport',
  event: DisruptionEvent,
  rounds: number,
): Promise<DisruptionReport> {
  const report = await runDisruptionInNetns(migrateReq, { mode, event, rounds });
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
  const netns = canMakeNetns();
  if (!netns.ok) {
    it('can make a network namespace', () => {
      throw new Error(
        `\`unshare -rn\` failed (${netns.why}): ` +
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
