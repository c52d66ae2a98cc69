// Why a worker was killed as hung. A worker whose main thread spins forever is killed on time, and
// the kill's log line carries the JavaScript stack it was stuck in (read by the worker's watchdog
// thread through the inspector). A stopped worker can tell nothing: it is killed on time all the
// same, and the line says there is no stack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureEntry, startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { isGone } from '../helpers/processes.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const FIXTURE = fixtureEntry('spinning-worker-main.mjs');
const TIMEOUT_MS = 3_000;

interface KillLine {
  workerPid: number;
  silentForMs: number;
  stack: string[] | null;
  stackNote: string | null;
}

/**
 * The manager's kill line for `pid`. Polled: the process can be gone before the line, written
 * just before the kill, has travelled through the manager's stdout into this process.
 */
function killLineOf(
  cluster: ClusterHandle,
  pid: number,
): Promise<{ line: KillLine; chars: number }> {
  return waitUntil(
    () => {
      const text = cluster
        .logs()
        .split('\n')
        .find((l) => l.includes(`"workerPid":${pid},`) && l.includes('killing it'));
      return text === undefined
        ? undefined
        : { line: JSON.parse(text) as KillLine, chars: text.length };
    },
    `the kill line for ${pid}`,
    5_000,
  );
}

async function hangAndTime(cluster: ClusterHandle, slot: number, hang: (pid: number) => void) {
  const victim = (await cluster.waitForReady(2)).find((w) => w.slot === slot)!;
  const hungAt = Date.now();
  hang(victim.pid);
  await waitUntil(() => isGone(victim.pid), `the hung worker in slot ${slot} to be killed`, 15_000);
  return { pid: victim.pid, tookMs: Date.now() - hungAt };
}

describe('a worker killed as hung', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({
      env: { WORKERS: '2', WORKER_TIMEOUT_MS: String(TIMEOUT_MS), WORKER_MIN_UPTIME_MS: '0' },
      entry: FIXTURE,
    });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('is killed on time with the stack of its endless loop in the log line', async () => {
    const { pid, tookMs } = await hangAndTime(cluster, 0, (p) => process.kill(p, 'SIGUSR2'));
    const { line, chars } = await killLineOf(cluster, pid);
    console.log(
      `[reliability] worker spinning forever: killed after ${tookMs} ms, ` +
        `stack of ${line.stack?.length ?? 0} frames (${line.stack?.[0] ?? 'none'}), line ${chars} chars`,
    );
    expect(tookMs).toBeLessThan(TIMEOUT_MS + 2_000);
    expect(line.stack).not.toBeNull();
    expect(line.stack![0]).toMatch(
      /^spinForever \(file:\/\/.*spinning-worker-main\.mjs:\d+:\d+\)$/,
    );
    // Bounded: at most 32 frames of at most 240 characters.
    expect(line.stack!.length).toBeLessThanOrEqual(32);
    expect(chars).toBeLessThan(16 * 1024);
    await cluster.waitForReady(2);
  });

  it('is killed on time when stopped, and the log line says there is no stack', async () => {
    const { pid, tookMs } = await hangAndTime(cluster, 1, (p) => process.kill(p, 'SIGSTOP'));
    const { line } = await killLineOf(cluster, pid);
    console.log(`[reliability] stopped worker: killed after ${tookMs} ms, ${line.stackNote}`);
    expect(tookMs).toBeLessThan(TIMEOUT_MS + 2_000);
    expect(line.stack).toBeNull();
    expect(line.stackNote).toMatch(/^no stack/);
    await cluster.waitForReady(2);
  });
});
