// The quiescent half of the invariants, judged once every client of a phase is gone and every
// stopped process resumed: the pool back to its size, no request left in flight, descriptors
// back to their baseline, the API answering 200 and those answers counted.
import { describeConnections, fdSnapshot } from './descriptors.js';
import { parseExposition, sumSeries } from './exposition.js';
import { readStatus } from './faults.js';
import { request } from './http.js';
import type { Ledger } from './ledger.js';
import { sleep } from './sockets.js';
import { busyWorkers, isSettled, staleWorkers, type ChaosStatus } from './status.js';

export interface Scene {
  apiUrl: string;
  managerUrl: string;
  managerPid: number;
  adminToken: string;
  workers: number;
  ledger: Ledger;
  /** The cluster's ports by name, to say which one a leaked connection is on. */
  portNames: Record<number, string>;
  /** Runs `work` while nothing else of the run holds a connection to the cluster. */
  hushed: <T>(work: () => Promise<T>) => Promise<T>;
}

export interface Baseline {
  /** The most descriptors other than TCP connections a worker held at the warm, quiet start. */
  workerFds: number;
  managerFds: number;
}

/** Polls `probe` until it reports nothing wrong or `ms` pass; returns the last complaint. */
async function settle(
  ms: number,
  probe: () => Promise<string | undefined>,
): Promise<string | undefined> {
  const deadline = Date.now() + ms;
  let complaint: string | undefined;
  do {
    try {
      complaint = await probe();
    } catch (error) {
      complaint = (error as Error).message;
    }
    if (complaint === undefined) return undefined;
    await sleep(200);
  } while (Date.now() < deadline);
  return complaint;
}

async function scale(scene: Scene): Promise<void> {
  await request(`${scene.managerUrl}/scale`, {
    method: 'POST',
    headers: { authorization: `Bearer ${scene.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ workers: scene.workers }),
    deadlineMs: 3_000,
  });
}

/** Brings the pool back to `scene.workers` ready workers; undefined, or why it could not. */
export async function restorePool(scene: Scene): Promise<string | undefined> {
  let last: ChaosStatus | undefined;
  const complaint = await settle(30_000, async () => {
    last = await readStatus(scene.managerUrl);
    if (last.manager.desiredWorkers !== scene.workers) await scale(scene);
    return isSettled(last, scene.workers) ? undefined : 'not settled';
  });
  return (
    complaint &&
    `pool not back to ${scene.workers} ready workers within 30 s: ${JSON.stringify(last?.workers.map((w) => [w.pid, w.state]))} (${complaint})`
  );
}

export async function measureBaseline(scene: Scene): Promise<Baseline> {
  const status = await readStatus(scene.managerUrl);
  await sleep(50); // the manager closes its side of that /status connection
  const other = (pid: number) => fdSnapshot(pid)?.other ?? Number.NaN;
  return {
    workerFds: Math.max(...status.workers.map((w) => other(w.pid))),
    managerFds: other(scene.managerPid),
  };
}

/**
 * What a process holds that it should not once every client left: any TCP connection (the
 * run's own checker is hushed meanwhile), or more other descriptors than at the quiet start.
 * No tolerance: the count is retried for 15 s, so only what stays open fails it.
 */
function leaks(scene: Scene, name: string, pid: number, baseline: number): string | undefined {
  const fds = fdSnapshot(pid);
  if (fds === undefined) return undefined; // gone since /status: its successor is judged
  const found: string[] = [];
  if (fds.connections.length > 0) {
    found.push(
      `${fds.connections.length} TCP connection(s): ${describeConnections(fds.connections, scene.portNames)}`,
    );
  }
  if (fds.other > baseline) found.push(`${fds.other} other descriptors (quiet start: ${baseline})`);
  return found.length === 0 ? undefined : `${name} ${pid} holds ${found.join(' and ')}`;
}

async function apiCounted(scene: Scene): Promise<number> {
  const answer = await request(`${scene.managerUrl}/metrics`, { deadlineMs: 5_000 });
  if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}`);
  return sumSeries(parseExposition(answer.body), 'http_request_duration_seconds_count');
}

/** Every quiescent invariant; each failure is recorded in the ledger. */
export async function quiescentCheck(scene: Scene, baseline: Baseline): Promise<void> {
  const { ledger } = scene;
  const pool = await restorePool(scene);
  if (pool) ledger.violate('pool-restored', pool);

  // Judged on heartbeats sent after the last client left, not on figures from before.
  const quietSince = Date.now();
  const inFlight = await settle(10_000, async () => {
    const status = await readStatus(scene.managerUrl);
    const stale = staleWorkers(status, quietSince);
    if (stale.length > 0)
      return `no heartbeat since the clients left from ${stale.map((w) => w.pid).join(', ')}`;
    const busy = busyWorkers(status);
    return busy.length === 0
      ? undefined
      : busy
          .map((w) => `worker ${w.pid} (slot ${w.slot}) requestsInFlight=${w.requestsInFlight}`)
          .join(', ');
  });
  if (inFlight)
    ledger.violate(
      'in-flight-zero',
      `with no client connected for 10 s, /status still reports ${inFlight}`,
    );

  const fds = await scene.hushed(() =>
    settle(15_000, async () => {
      const status = await readStatus(scene.managerUrl);
      await sleep(50); // the manager closes its side of that /status connection
      const over = [
        ...status.workers.map((w) =>
          leaks(scene, `worker (slot ${w.slot})`, w.pid, baseline.workerFds),
        ),
        leaks(scene, 'manager', scene.managerPid, baseline.managerFds),
      ].filter((leak) => leak !== undefined);
      return over.length === 0 ? undefined : over.join(', ');
    }),
  );
  if (fds) ledger.violate('descriptors-baseline', `15 s after the last client left: ${fds}`);

  const before = await apiCounted(scene).catch(() => Number.NaN);
  const sent = scene.workers * 3;
  const hello = await settle(10_000, async () => {
    const answers = await Promise.all(
      Array.from({ length: sent }, () =>
        request(`${scene.apiUrl}/api/hello`, { deadlineMs: 5_000 }),
      ),
    );
    const bad = answers.filter((a) => a.status !== 200);
    return bad.length === 0
      ? undefined
      : bad.map((a) => `${a.status} ${a.body.slice(0, 120)}`).join('; ');
  });
  if (hello)
    ledger.violate(
      'api-answers-200',
      `GET /api/hello on a quiet cluster (new connections) still not all 200 after 10 s: ${hello}`,
    );

  const counted = await settle(10_000, async () => {
    const after = await apiCounted(scene);
    return after - before >= sent
      ? undefined
      : `counted ${after - before} new requests, ${sent} answered`;
  });
  if (counted)
    ledger.violate(
      'answers-counted',
      `/metrics does not count the quiet cluster's /api/hello answers: ${counted}`,
    );
}
