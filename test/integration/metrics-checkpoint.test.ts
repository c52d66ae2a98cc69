// A worker killed without warning (SIGKILL: the OOM killer, an operator, the hang watchdog) cannot
// hand over what it counted. What it counted before the manager's last collection survives in
// the cluster's totals; with checkpoints that collection is at most METRICS_CHECKPOINT_MS old even
// when nobody scrapes. Both sides of that promise, against the real cluster: with checkpoints,
// requests served before a SIGKILL and never scraped are still counted; with them off, they are
// lost (the bound the checkpoints exist to shrink, so this test can tell the two apart).
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type ClusterHandle } from '../helpers/cluster.js';
import { scrape, select } from '../helpers/metrics-text.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const CHECKPOINT_MS = 300;
const REQUESTS = 40;
const HELLO_COUNT = 'http_request_duration_seconds_count';

/** Start times (epoch ms) of the checkpoints the cluster has logged so far. */
function checkpointStarts(cluster: ClusterHandle): number[] {
  return cluster
    .logs()
    .split('\n')
    .filter((line) => line.includes('"metrics checkpoint"'))
    .map((line) => JSON.parse(line) as { time: string; durationMs: number })
    .map((entry) => Date.parse(entry.time) - entry.durationMs);
}

/** Serves REQUESTS hellos on the single worker, SIGKILLs it, waits for its replacement. */
async function countThenKill(cluster: ClusterHandle, beforeKill: () => Promise<void>) {
  for (let i = 0; i < REQUESTS; i += 1) {
    expect((await fetch(`${cluster.apiUrl}/api/hello`)).status).toBe(200);
  }
  await beforeKill();
  const [victim] = await cluster.readyWorkers();
  process.kill(victim!.pid, 'SIGKILL');
  await waitUntil(
    async () => (await cluster.readyWorkers()).some((w) => w.pid !== victim!.pid),
    'a replacement worker ready',
    20_000,
  );
  const samples = await scrape(cluster.managerUrl);
  const [count] = select(samples, HELLO_COUNT, { route: '/api/hello', status_code: '200' });
  return count?.[1] ?? 0;
}

describe('checkpoints: what a SIGKILLed worker counted before it', () => {
  let cluster: ClusterHandle | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('is counted though nothing scraped before the kill', async () => {
    cluster = await startCluster({
      env: { WORKERS: '1', METRICS_CHECKPOINT_MS: String(CHECKPOINT_MS), LOG_LEVEL: 'debug' },
    });
    const started = cluster;
    const count = await countThenKill(started, async () => {
      // A checkpoint that started after the last answer has collected it.
      const answeredAt = Date.now();
      await waitUntil(
        () => checkpointStarts(started).some((at) => at > answeredAt),
        'a checkpoint after the last request',
        10_000,
      );
    });
    expect(count).toBe(REQUESTS);
  });

  it('is lost with checkpoints off (METRICS_CHECKPOINT_MS=0) and no scrape', async () => {
    cluster = await startCluster({
      env: { WORKERS: '1', METRICS_CHECKPOINT_MS: '0', LOG_LEVEL: 'debug' },
    });
    const started = cluster;
    // As long as the test above waits, and more: no collection may run meanwhile.
    const count = await countThenKill(started, async () => {
      const until = Date.now() + 3 * CHECKPOINT_MS;
      await waitUntil(() => Date.now() > until, 'three checkpoint intervals', 10_000);
    });
    expect(checkpointStarts(started)).toEqual([]);
    expect(count).toBe(0);
  });
});
