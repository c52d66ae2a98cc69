// New connections while the manager is SIGSTOPped: sequential requests, each on a fresh
// connection, from the SIGSTOP until the SIGCONT `stopMs` later (sent by a timer, since a request
// may wait for the manager), each timed and marked answered-while-stopped or not. Used by
// test/integration/manager-stopped-listen-modes.test.ts and the bench's row 7c.
import { performance } from 'node:perf_hooks';
import { newConnectionRequest } from '../lib/traffic.js';

export interface StoppedAttempt {
  latencyMs: number;
  answeredWhileStopped: boolean;
  status: number;
}

export async function requestsWhileStopped(
  url: string,
  managerPid: number,
  stopMs: number,
): Promise<StoppedAttempt[]> {
  const attempts: StoppedAttempt[] = [];
  let stopped = true;
  process.kill(managerPid, 'SIGSTOP');
  const resume = setTimeout(() => {
    stopped = false;
    process.kill(managerPid, 'SIGCONT');
  }, stopMs);
  try {
    while (stopped) {
      const started = performance.now();
      const { status } = await newConnectionRequest(url);
      attempts.push({
        latencyMs: performance.now() - started,
        answeredWhileStopped: stopped,
        status,
      });
    }
  } finally {
    clearTimeout(resume);
    process.kill(managerPid, 'SIGCONT');
  }
  return attempts;
}

/** `N requests, M answered while stopped, latency p50 X ms, max Y ms`. */
export function describeStopped(attempts: readonly StoppedAttempt[]): string {
  const sorted = attempts.map((a) => a.latencyMs).sort((a, b) => a - b);
  const p50 = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  const answered = attempts.filter((a) => a.answeredWhileStopped).length;
  return (
    `${attempts.length} requests, ${answered} answered while stopped, ` +
    `latency p50 ${p50.toFixed(1)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(1)} ms`
  );
}
