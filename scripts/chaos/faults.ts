// The faults a chaos run injects into the real cluster. Each is recorded in the ledger first, so
// the invariants can tell a death or a silence the run caused from one it did not.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from './http.js';
import type { Ledger } from './ledger.js';
import { sleep } from './sockets.js';
import { parseStatus, type ChaosStatus } from './status.js';

export interface FaultTarget {
  managerPid: number;
  managerUrl: string;
  ledger: Ledger;
  /** Workers stopped by the run, waiting for their SIGCONT. */
  stopped: Set<number>;
}

/** After SIGCONT the manager catches up on its queue: probes are not judged this much longer. */
export const MANAGER_RESUME_GRACE_MS = 1_500;

export async function readStatus(managerUrl: string, deadlineMs = 3_000): Promise<ChaosStatus> {
  const answer = await request(`${managerUrl}/status`, { deadlineMs });
  if (answer.status !== 200) throw new Error(`/status answered ${answer.status}`);
  return parseStatus(answer.body);
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false; // already gone
  }
}

/** The `index`-th ready worker (modulo their number), or undefined when none is ready. */
async function pickWorker(target: FaultTarget, index: number): Promise<number | undefined> {
  const status = await readStatus(target.managerUrl).catch(() => undefined);
  const ready = status?.workers.filter((w) => w.state === 'ready' && !target.stopped.has(w.pid));
  if (!ready || ready.length === 0) return undefined;
  return ready[index % ready.length]!.pid;
}

export async function killWorker(target: FaultTarget, index: number): Promise<string> {
  const pid = await pickWorker(target, index);
  if (pid === undefined) return 'no ready worker to kill';
  target.ledger.workerKills += 1;
  target.ledger.lastWorkerFaultAt = Date.now();
  signal(pid, 'SIGKILL');
  return `SIGKILL worker ${pid}`;
}

/** SIGSTOP a worker, SIGCONT it `ms` later (in the background: the returned promise). */
export async function stopWorker(
  target: FaultTarget,
  index: number,
  ms: number,
): Promise<[string, Promise<void>]> {
  const pid = await pickWorker(target, index);
  if (pid === undefined) return ['no ready worker to stop', Promise.resolve()];
  target.ledger.workerStops += 1;
  target.ledger.lastWorkerFaultAt = Date.now() + ms;
  target.stopped.add(pid);
  signal(pid, 'SIGSTOP');
  const resume = sleep(ms).then(() => {
    signal(pid, 'SIGCONT');
    target.stopped.delete(pid);
  });
  return [`SIGSTOP worker ${pid} for ${ms} ms`, resume];
}

/** SIGSTOP the manager for `ms`, then SIGCONT; probes overlapping it are not judged. */
export async function stopManager(target: FaultTarget, ms: number): Promise<void> {
  const window: [number, number] = [Date.now(), Number.POSITIVE_INFINITY];
  target.ledger.managerStops.push(window);
  signal(target.managerPid, 'SIGSTOP');
  await sleep(ms);
  signal(target.managerPid, 'SIGCONT');
  window[1] = Date.now() + MANAGER_RESUME_GRACE_MS;
  target.ledger.lastWorkerFaultAt = window[1];
}

/** `count` signals to the manager, `gapMs` apart (closer ones may merge in the kernel). */
export async function signalStorm(
  target: FaultTarget,
  name: 'SIGHUP' | 'SIGTTIN' | 'SIGTTOU',
  count: number,
  gapMs: number,
): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    target.ledger.lastWorkerFaultAt = Date.now();
    signal(target.managerPid, name);
    await sleep(gapMs);
  }
}

/** Removes the manager's metrics socket directory ($TMPDIR/koa-cluster-<pid>-*). */
export function removeSocketDir(target: FaultTarget): string {
  const prefix = `koa-cluster-${target.managerPid}-`;
  const dirs = fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith(prefix));
  for (const dir of dirs) fs.rmSync(path.join(os.tmpdir(), dir), { recursive: true, force: true });
  return dirs.length > 0 ? `removed ${dirs.join(', ')}` : 'no socket directory found';
}

/** Wakes every process the run stopped (end of a phase, or of the run). */
export function resumeAll(target: FaultTarget): void {
  for (const pid of target.stopped) signal(pid, 'SIGCONT');
  target.stopped.clear();
  signal(target.managerPid, 'SIGCONT');
}
