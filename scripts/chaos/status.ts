// The manager's GET /status, validated: the chaos run reads each worker's pid, state and the
// in-flight count its heartbeat reports from it. A body of another shape is itself a finding.
import { z } from 'zod';

const WorkerSchema = z.object({
  slot: z.number().int(),
  pid: z.number().int().positive(),
  state: z.enum(['starting', 'ready', 'stopping']),
  restarts: z.number().int().nonnegative(),
  requestsInFlight: z.number().int(),
  heartbeatAgeSeconds: z.number().nullable(),
});

const StatusSchema = z.object({
  manager: z.object({
    pid: z.number().int().positive(),
    desiredWorkers: z.number().int(),
    readyWorkers: z.number().int(),
    reloading: z.boolean(),
    shuttingDown: z.boolean(),
  }),
  workers: z.array(WorkerSchema),
});

export type ChaosStatus = z.infer<typeof StatusSchema>;
export type ChaosWorker = z.infer<typeof WorkerSchema>;

export function parseStatus(body: string): ChaosStatus {
  const parsed = StatusSchema.safeParse(JSON.parse(body));
  if (!parsed.success) throw new Error(`/status has an unexpected shape: ${parsed.error.message}`);
  return parsed.data;
}

/** Settled: exactly `count` workers, all ready, no reload running. */
export function isSettled(status: ChaosStatus, count: number): boolean {
  return (
    !status.manager.reloading &&
    status.workers.length === count &&
    status.workers.every((worker) => worker.state === 'ready')
  );
}

/** Ready workers whose heartbeat still reports requests in flight. */
export function busyWorkers(status: ChaosStatus): ChaosWorker[] {
  return status.workers.filter((worker) => worker.requestsInFlight !== 0);
}

/** Workers whose last heartbeat is older than `since` (epoch ms): their figures predate it. */
export function staleWorkers(status: ChaosStatus, since: number, now = Date.now()): ChaosWorker[] {
  return status.workers.filter(
    (worker) =>
      worker.heartbeatAgeSeconds === null || now - worker.heartbeatAgeSeconds * 1000 <= since,
  );
}
