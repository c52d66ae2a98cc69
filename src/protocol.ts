// The typed messages between the manager and its workers. Two channels: cluster's IPC (small
// control messages only: the main thread hands API connections over it), and the metrics link, a
// Unix socket per worker to the metrics thread carrying the bulk metric data as JSON lines.
import type { LogLevel } from './config.js';
import type { SampleExemplar } from './metrics/exemplars.js';
import type { PackedFamily } from './metrics/packed-family.js';
import type { MetricsSnapshot } from './metrics/snapshot.js';
import * as z from './zod.js';

/** Why a worker is being stopped on purpose; also the `reason` label of restarts. */
export type StopReason = 'reload' | 'scale' | 'shutdown' | 'max_requests' | 'memory';

// ---- worker -> manager -------------------------------------------------------------------

export interface HeartbeatMessage {
  type: 'heartbeat';
  /** Event-loop delay over the last interval, seconds (p99 and max of perf_hooks' histogram). */
  eventLoopDelayP99Seconds: number;
  eventLoopDelayMaxSeconds: number;
  residentMemoryBytes: number;
  heapUsedBytes: number;
  /** process.cpuUsage() user+system since the worker started, seconds. */
  cpuSecondsTotal: number;
  /** Requests this worker has started since it booted (for WORKER_MAX_REQUESTS). */
  requestsServed: number;
  requestsInFlight: number;
}

/** Unchanged since the reply `base` names: by name; samples in their places: by values; else whole. */
export type FamilyUpdate =
  { packed: PackedFamily } | { same: string } | { revalued: string; values: number[] };

export interface MetricsReplyMessage {
  type: 'metrics';
  requestId: number;
  /** The request id of the reply the manager said it holds, which `families` build on. */
  base: number | null;
  families: FamilyUpdate[];
  /** Exemplars observed since the reply `base` names (all of them when it is null). */
  exemplars?: SampleExemplar[];
}

/** Control messages a worker sends over cluster IPC. */
export type WorkerMessage =
  | { type: 'ready' }
  // The worker could not start serving (e.g. EADDRINUSE); it exits right after this.
  | { type: 'boot-failed'; code: string; message: string }
  | HeartbeatMessage;

export type WorkerLinkMessage =
  // First on a link: its worker (cluster's worker id, unique for the manager's lifetime).
  | { type: 'hello'; workerId: number; slot: number }
  | MetricsReplyMessage
  // A worker leaving on purpose, just before it exits; answered by 'final-ack' once recorded.
  | { type: 'final-metrics'; metrics: MetricsSnapshot; exemplars?: SampleExemplar[] };

// ---- manager -> worker -------------------------------------------------------------------

export interface CollectMetricsMessage {
  type: 'collect-metrics';
  requestId: number;
  /** The request id of this worker's reply the manager holds, or null: send everything. */
  have: number | null;
}

/** Stop accepting, finish in-flight requests, send final metrics, exit 0. */
export interface DrainMessage {
  type: 'drain';
  reason: StopReason;
  /** How long the worker may take before it closes what is left and exits anyway. */
  timeoutMs: number;
}

/** Control messages the manager sends over cluster IPC. */
export type ManagerMessage = DrainMessage | { type: 'set-log-level'; level: LogLevel };

/** 'final-ack': the metrics thread holds the leaving worker's final metrics; it may exit now. */
export type ManagerLinkMessage = CollectMetricsMessage | { type: 'final-ack' };

/** The Record makes the compiler insist on every tag of the union. */
function guard<T extends { type: string }>(tags: Record<T['type'], true>) {
  return (value: unknown): value is T => {
    const type = (value as { type?: unknown } | null | undefined)?.type;
    return typeof type === 'string' && Object.hasOwn(tags, type);
  };
}

export const isWorkerMessage = guard<WorkerMessage>({
  ready: true,
  'boot-failed': true,
  heartbeat: true,
});
export const isManagerMessage = guard<ManagerMessage>({ drain: true, 'set-log-level': true });
export const isWorkerLinkMessage = guard<WorkerLinkMessage>({
  hello: true,
  metrics: true,
  'final-metrics': true,
});
export const isManagerLinkMessage = guard<ManagerLinkMessage>({
  'collect-metrics': true,
  'final-ack': true,
});

// What the manager tells a forked worker: its slot, and the metrics thread's Unix socket.
export const WORKER_SLOT_ENV = 'CLUSTER_WORKER_SLOT';
export const METRICS_SOCKET_ENV = 'CLUSTER_METRICS_SOCKET';

// ---- worker stack watchdog -> manager: a pipe, since IPC belongs to the blocked thread -----

export const WORKER_REPORT_FD_ENV = 'CLUSTER_WORKER_REPORT_FD';

/** One line of JSON on that pipe: the main thread has made no progress for `stalledMs`. */
const stallReport = z.object({
  type: z.literal('stall-report'),
  stalledMs: z.number(),
  // The blocked main thread's JavaScript stack, innermost first; null if it could not be read.
  frames: z.nullable(z.array(z.string())),
  // Why there are no frames, or that the list was cut.
  note: z.nullable(z.string()),
});

export type StallReport = z.output<typeof stallReport>;

export const isStallReport = (value: unknown): value is StallReport =>
  stallReport.safeParse(value).success;
