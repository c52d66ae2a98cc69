// Why a worker was killed as hung. A worker whose main thread spins forever is killed on time, and
// the kill's log line carries the JavaScript stack it was stuck in (read by the worker's watchdog
// thread through the inspector). A stopped worker can tell nothing: it is killed on time all the
// same, and the line says there is no stack. Stuck in the service's own bundled code, the stack
// names the source files and lines, not positions in dist/worker.js.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureEntry, startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { isGone } from '../helpers/processes.js';
import { ROOT } from '../helpers/repo-paths.js';
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

/** The lines of `function name` in a source file: its declaration to the closing brace. */
function linesOf(file: string, name: string): { first: number; last: number } {
  const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const first = lines.findIndex((l) => l.startsWith(`export function ${name}(`)) + 1;
  const last = lines.findIndex((l, i) => i >= first && l === '}') + 1;
  expect(first, `function ${name} in ${file}`).toBeGreaterThan(0);
  return { first, last };
}

describe('a worker of the bundled service killed as hung', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    // dist/main.js: the workers run dist/worker.js, one bundle with its source map.
    cluster = await startCluster({
      env: { WORKERS: '1', WORKER_TIMEOUT_MS: String(TIMEOUT_MS), WORKER_MIN_UPTIME_MS: '0' },
    });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('logs a stack that names the source file and line it was stuck in', async () => {
    const [victim] = await cluster.waitForReady(1);
    // One request spinning longer than the hang timeout: /api/work's busy loop (workloads.ts).
    const answer = fetch(`${cluster.apiUrl}/api/work?ms=5000`).catch(() => 'no answer');
    await waitUntil(() => isGone(victim!.pid), 'the hung worker to be killed', 15_000);
    expect(await answer, 'the request that hung its worker').toBe('no answer');
    const { line } = await killLineOf(cluster, victim!.pid);
    console.log(`[reliability] bundled worker stuck in /api/work: ${line.stack?.join(' < ')}`);
    expect(line.stack).not.toBeNull();
    const busyLoop = linesOf('src/app/workloads.ts', 'busyLoop');
    const frame = line.stack!.find((f) => f.startsWith('busyLoop ('));
    const at = /\(file:\/\/\/.*\/src\/app\/workloads\.ts:(\d+):\d+\)$/.exec(frame ?? '');
    expect(at, `busyLoop's frame, in src/: ${frame}`).not.toBeNull();
    expect(Number(at![1])).toBeGreaterThan(busyLoop.first);
    expect(Number(at![1])).toBeLessThan(busyLoop.last);
    // Every frame of the service's own code, not only the innermost.
    expect(line.stack!.filter((f) => f.includes('dist/worker.js:'))).toEqual([]);
    await cluster.waitForReady(1);
  });
});
