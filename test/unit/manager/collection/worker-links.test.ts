// Both ends of the metrics link over real Unix sockets (the metrics thread's WorkerLinks, a
// worker's MetricsLink) when the socket's directory is removed under them (`rm -rf`, a
// temporary-file cleaner): open links keep working, the directory and listener are made again at
// the same path, a worker that could not connect meanwhile gets through and its counts with it.
// A worker told to leave between retries tries once more at once, so its final counts are not
// lost. And neither end trusts a directory at that path that is not private to this user.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerLinks, type LinkEvents } from '../../../../src/manager/collection/worker-links.js';
import { packedValues } from '../../../../src/metrics/packed-family.js';
import type { MetricsReplyMessage } from '../../../../src/protocol.js';
import type { MetricsSnapshot } from '../../../../src/metrics/snapshot.js';
import { MetricsLink } from '../../../../src/worker/metrics-link.js';
import { waitUntil } from '../../../../scripts/lib/wait.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function logCollector() {
  const lines: string[] = [];
  return { lines, logger: pino({ level: 'debug' }, { write: (line: string) => lines.push(line) }) };
}

/** A socket path in a fresh private directory, as the manager's MetricsHub makes it. */
function socketPath(): string {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-links-'));
  cleanups.push(() => fs.rmSync(base, { recursive: true, force: true }));
  const dir = path.join(base, 'koa-cluster-test');
  fs.mkdirSync(dir, { mode: 0o700 });
  return path.join(dir, 'metrics.sock');
}

/** The metrics thread's end, recording replies. */
async function manager(at: string, checkMs: number) {
  const replies: { workerId: number; message: MetricsReplyMessage }[] = [];
  const finals = new Map<number, MetricsSnapshot>();
  const events: LinkEvents = {
    onReply: (workerId, message) => replies.push({ workerId, message }),
    onFinalMetrics: (workerId, metrics) => finals.set(workerId, metrics),
    onLinkClosed: () => undefined,
  };
  const log = logCollector();
  const links = new WorkerLinks(events, log.logger);
  await links.listen(at, checkMs);
  cleanups.push(() => links.close());
  return { links, replies, finals, log };
}

/** A worker's end with a counter, `jobs_total`, at `jobs`. */
function worker(at: string, workerId: number, jobs: number) {
  const registry = new Registry();
  const counter = new Counter({ name: 'jobs_total', help: 'Jobs.', registers: [registry] });
  counter.inc(jobs);
  const log = logCollector();
  const link = new MetricsLink({
    socketPath: at,
    workerId,
    slot: 0,
    registry,
    logger: log.logger,
  });
  cleanups.push(() => void link.sendFinalMetrics(0));
  return { link, counter, log };
}

/** The value of jobs_total in a full (packed) reply. */
function jobsIn(message: MetricsReplyMessage): number | undefined {
  for (const update of message.families) {
    if ('packed' in update && update.packed.name === 'jobs_total') {
      return packedValues(update.packed)[0];
    }
  }
  return undefined;
}

/** Asks the worker through the manager's links; the jobs_total it replied. */
async function collectJobs(
  m: Awaited<ReturnType<typeof manager>>,
  workerId: number,
  requestId: number,
): Promise<number | undefined> {
  expect(m.links.send(workerId, { type: 'collect-metrics', requestId, have: null })).toBe(true);
  const { message } = await waitUntil(
    () => m.replies.find((r) => r.workerId === workerId && r.message.requestId === requestId),
    `worker ${workerId}'s reply to request ${requestId}`,
  );
  return jobsIn(message);
}

describe('WorkerLinks with its socket directory removed', () => {
  it('keeps open links, makes the directory and listener again, and lets new workers in', async () => {
    const at = socketPath();
    // Checks run when the test says (the timer's own pace is the next test's).
    const m = await manager(at, 3_600_000);
    const early = worker(at, 1, 3);
    await early.link.connect();
    // Linked once the manager has its hello (a final-ack nobody waits for is ignored).
    await waitUntil(() => m.links.send(1, { type: 'final-ack' }), 'worker 1 linked');

    fs.rmSync(path.dirname(at), { recursive: true });
    // A worker that starts now finds nothing, and counts on while it retries.
    const late = worker(at, 2, 5);
    await late.link.connect();
    expect(late.log.lines.join('')).toContain('not connecting yet');
    late.counter.inc(4);

    await m.links.keepListening();
    expect(fs.statSync(at).isSocket()).toBe(true);
    expect(fs.statSync(path.dirname(at)).mode & 0o777).toBe(0o700);
    expect(m.log.lines.join('')).toContain('listening on it again');

    // The link opened before the removal never noticed.
    expect(await collectJobs(m, 1, 1)).toBe(3);
    // The late worker's retry gets through, and what it counted meanwhile with it.
    await waitUntil(
      () => m.links.send(2, { type: 'final-ack' }),
      'worker 2 linked through the re-made socket',
      10_000,
    );
    expect(await collectJobs(m, 2, 2)).toBe(9);
  });

  it('does not listen in a directory another user could have made at that path', async () => {
    const at = socketPath();
    const m = await manager(at, 50);
    fs.rmSync(path.dirname(at), { recursive: true });
    // Stands for a stranger's directory: one this user did not make private.
    fs.mkdirSync(path.dirname(at), { mode: 0o755 });
    fs.chmodSync(path.dirname(at), 0o755);
    await waitUntil(
      () => m.log.lines.join('').includes('cannot be made again'),
      'the refusal logged',
      10_000,
    );
    expect(fs.existsSync(at)).toBe(false);
    // Logged once, not at every check.
    await m.links.keepListening();
    await m.links.keepListening();
    const refusals = m.log.lines.filter((line) => line.includes('cannot be made again'));
    expect(refusals).toHaveLength(1);
  });
});

describe('MetricsLink', () => {
  it('does not connect into a directory that is not private to this user', async () => {
    const at = socketPath();
    fs.chmodSync(path.dirname(at), 0o755);
    let connections = 0;
    const server = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await once(server.listen(at), 'listening');
    cleanups.push(() => server.close());
    const w = worker(at, 1, 1);
    await w.link.connect();
    expect(w.log.lines.join('')).toContain('not private to this user');
    expect(connections).toBe(0);
  });

  it('leaving while its retries wait, tries once more at once and hands over its final metrics', async () => {
    const at = socketPath();
    fs.rmSync(path.dirname(at), { recursive: true });
    const w = worker(at, 1, 7);
    await w.link.connect();
    // The socket is back; the worker's next retry is not due yet when it is told to leave.
    const m = await manager(at, 3_600_000);
    expect(await w.link.sendFinalMetrics(5_000)).toBe(true);
    expect(JSON.stringify(m.finals.get(1))).toContain('jobs_total');
  });
});
