// A worker that crashes (an uncaught exception outside any request) says so in a JSON log line,
// hands the manager what it counted since the last scrape, and is replaced: unlike a SIGKILL,
// a crash loses no request from the totals. Its stack names the source files and lines, not
// positions in the bundle (dist/worker.js) the worker runs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureEntry, startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { scrape, sumOf } from '../helpers/metrics-text.js';
import { isGone } from '../helpers/processes.js';
import { ROOT } from '../helpers/repo-paths.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const FIXTURE = fixtureEntry('crashing-worker-main.mjs');
const COUNT = 'http_request_duration_seconds_count';
const REQUESTS = 200;

describe('a worker that crashes', () => {
  let cluster: ClusterHandle;
  beforeAll(async () => {
    cluster = await startCluster({
      entry: FIXTURE,
      env: { WORKERS: '2', WORKER_MIN_UPTIME_MS: '0' },
    });
  });
  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('logs the crash as JSON, hands over its counts, and is replaced', async () => {
    const before = sumOf(await scrape(cluster.managerUrl), COUNT);
    // Fresh connections, handed out round-robin: both workers serve some after that scrape.
    for (let i = 0; i < REQUESTS; i += 1) {
      const response = await fetch(`${cluster.apiUrl}/api/hello`, {
        headers: { connection: 'close' },
      });
      expect(response.status).toBe(200);
    }
    // A worker that served some of them (the count arrives with its next heartbeat).
    const victim = await waitUntil(
      async () => (await cluster.readyWorkers()).find((w) => w.requestsServed > 0),
      'a worker that has served requests',
    );
    process.kill(victim.pid, 'SIGUSR2');

    await waitUntil(() => isGone(victim.pid), 'the crashed worker to exit', 10_000);
    const replaced = await waitUntil(async () => {
      const ready = await cluster.readyWorkers();
      return ready.length === 2 && ready.every((w) => w.pid !== victim.pid) ? ready : undefined;
    }, 'a replacement in its slot');
    expect(replaced.map((w) => w.slot).sort()).toEqual([0, 1]);

    const samples = await scrape(cluster.managerUrl);
    // Every request since the first scrape, the crashed worker's included.
    expect(sumOf(samples, COUNT) - before).toBe(REQUESTS);
    expect(samples.get(`cluster_worker_restarts_total{slot="${victim.slot}",reason="crash"}`)).toBe(
      1,
    );

    const crashLine = cluster
      .logs()
      .split('\n')
      .find((line) => line.includes(`"pid":${victim.pid},`) && line.includes('worker crashed'));
    expect(crashLine, 'the crash, logged by the worker').toBeDefined();
    const record = JSON.parse(crashLine!) as {
      level: string;
      err: { message: string; stack: string };
    };
    expect(record.level).toBe('fatal');
    expect(record.err.message).toBe('fixture crash on SIGUSR2');
    // The fixture made the error in the callback runWorker calls to extend its registry.
    const source = readFileSync(path.join(ROOT, 'src/worker/run-worker.ts'), 'utf8').split('\n');
    const callLine = source.findIndex((l) => l.includes('options.extendRegistry?.(')) + 1;
    expect(callLine).toBeGreaterThan(0);
    expect(record.err.stack).toMatch(
      new RegExp(`\\n +at runWorker \\(file:///.*/src/worker/run-worker\\.ts:${callLine}:\\d+\\)`),
    );
    expect(record.err.stack).not.toContain('dist/worker.js:');
  });
});
