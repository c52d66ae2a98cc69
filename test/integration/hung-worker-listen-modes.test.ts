// A hung worker (SIGSTOPped until the manager kills it at WORKER_TIMEOUT_MS) under 8 loops of
// requests on fresh connections, in both listen modes: the trade-off that keeps `shared` the
// default (docs/architecture.md, Listen modes). shared: the manager stops handing the stopped
// worker connections, so the other worker answers throughout the hang. reuseport: the stopped
// worker keeps its listener and the kernel keeps queueing its share of new connections to it, so
// one loop after another waits on it until, late in the hang, (nearly) every loop does. Rates
// are compared with the same cluster's own rate before the hang, never with a fixed speed.
import { describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';
import { isGone } from '../helpers/processes.js';
import { newConnectionRequest } from '../../scripts/lib/traffic.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const TIMEOUT_MS = 3_000;
const LOOPS = 8;
/** Answers counted from this long after the SIGSTOP until the kill. */
const LATE_MS = 1_500;
/** The rate before the hang is measured over this long. */
const BASELINE_MS = 1_000;

describe(`a hung worker under new-connection load (WORKER_TIMEOUT_MS=${TIMEOUT_MS})`, () => {
  for (const mode of ['shared', 'reuseport'] as const) {
    it(`${mode}: ${mode === 'shared' ? 'the other worker answers throughout' : 'new connections wait for the kill'}`, async () => {
      const cluster = await startCluster({
        env: { WORKERS: '2', LISTEN_MODE: mode, WORKER_TIMEOUT_MS: String(TIMEOUT_MS) },
      });
      try {
        const answers: number[] = [];
        let running = true;
        const loop = async () => {
          while (running) {
            try {
              await newConnectionRequest(`${cluster.apiUrl}/`);
              answers.push(performance.now());
            } catch {
              // Reset at the kill: not an answer.
            }
          }
        };
        const loops = Array.from({ length: LOOPS }, loop);
        const loadFrom = performance.now();
        await waitUntil(
          () => answers.length > 200 && performance.now() - loadFrom > BASELINE_MS,
          'load',
          10_000,
        );
        const [victim] = await cluster.readyWorkers();
        const stoppedAt = performance.now();
        process.kill(victim!.pid, 'SIGSTOP');
        await waitUntil(() => isGone(victim!.pid), 'the hung worker killed', 4 * TIMEOUT_MS);
        const killedAt = performance.now();
        running = false;
        await Promise.all(loops);
        const late = answers.filter((t) => t >= stoppedAt + LATE_MS && t < killedAt).length;
        const before = answers.filter((t) => t >= stoppedAt - BASELINE_MS && t < stoppedAt).length;
        // Answers per second late in the hang, as a share of those per second before it.
        const share = late / (killedAt - stoppedAt - LATE_MS) / (before / BASELINE_MS);
        console.log(
          `[reliability] hung worker, ${mode}: killed after ${Math.round(killedAt - stoppedAt)} ms; ` +
            `${late} new connections answered from ${LATE_MS} ms after the SIGSTOP until the kill, ` +
            `${(share * 100).toFixed(1)}% of the rate before the hang`,
        );
        expect(killedAt - stoppedAt).toBeGreaterThan(LATE_MS + 500);
        if (mode === 'shared') expect(share).toBeGreaterThan(0.3);
        else expect(share).toBeLessThan(0.1);
      } finally {
        expect(await cluster.stop()).toBe(0);
      }
    });
  }
});
