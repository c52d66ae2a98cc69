// New connections while the manager is SIGSTOPped, in both listen modes. shared: the manager's
// main thread accepts every API connection, so none is answered until it runs again (each waits
// the whole stop). reuseport: the workers accept their own, so they are answered at once while
// the manager stays stopped.
import { describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';
import { newConnectionRequest } from '../../scripts/lib/traffic.js';
import {
  describeStopped,
  requestsWhileStopped,
} from '../../scripts/listen-mode/manager-stopped.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const STOP_MS = 2_000;

describe(`new connections while the manager is stopped for ${STOP_MS} ms`, () => {
  for (const mode of ['shared', 'reuseport'] as const) {
    it(`${mode}: ${mode === 'shared' ? 'wait for the manager' : 'are answered at once'}`, async () => {
      const cluster = await startCluster({ env: { WORKERS: '2', LISTEN_MODE: mode } });
      try {
        // Warm: both workers have served a fresh connection.
        for (let i = 0; i < 20; i += 1) await newConnectionRequest(`${cluster.apiUrl}/`);
        const attempts = await requestsWhileStopped(
          `${cluster.apiUrl}/`,
          cluster.proc.pid!,
          STOP_MS,
        );
        console.log(
          `[reliability] manager SIGSTOP ${STOP_MS} ms, ${mode}: ${describeStopped(attempts)}`,
        );
        // Every one answered, none lost, in both modes.
        expect(attempts.every((a) => a.status === 200)).toBe(true);
        if (mode === 'shared') {
          // The first waited for the SIGCONT: the manager is on the path of every connection.
          expect(attempts.filter((a) => a.answeredWhileStopped)).toEqual([]);
          expect(attempts[0]!.latencyMs).toBeGreaterThan(STOP_MS * 0.8);
        } else {
          // Answered one after the other while the manager stayed stopped: many, not one.
          expect(attempts.filter((a) => a.answeredWhileStopped).length).toBeGreaterThan(10);
          // Only the one in flight at the SIGCONT may have been answered after it.
          expect(attempts.filter((a) => !a.answeredWhileStopped).length).toBeLessThanOrEqual(1);
        }
        await waitUntil(async () => (await cluster.readyWorkers()).length === 2, 'workers ready');
      } finally {
        cluster.proc.kill('SIGCONT');
        expect(await cluster.stop()).toBe(0);
      }
    });
  }
});
