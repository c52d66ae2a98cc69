// The typed IPC messages between the manager and its workers: the only module both sides use to
// talk. Every message carries a `type` tag; anything else arriving on the channel is ignored
// (cluster's own internal messages share the pipe).
import type { LogLevel } from './config.js';

/**
 * One metric family as prom-client's getMetricsAsJSON() returns it at run time (its bundled
 * typings say `type` is a numeric enum; at run time it is this string).
 */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  aggregator: 'sum' | 'max' | 'min' | 'average' | 'first' | 'omit';
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

/** One worker registry as plain, IPC-safe data. */
export type MetricsSnapshot = MetricFamily[];

/** Why a worker is being stopped on purpose; also the `reason` label of restarts. */
export type StopReason = 'reload' | 'scale' | 'shutdown' | 'max_requests' | 'memory';

// ---- worker -> manager -------------------------------------------------------------------

export interface ReadyMessage {
  type: 'ready';
}

/** The worker could not start serving (e.g. EADDRINUSE); it exits right after this. */
export interface BootFailedMessage {
  type: 'boot-failed';
  code: string;
  message: string;
}

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

/**
 * One family in a metrics reply: the whole family, or only its name when it is unchanged since
 * the reply the manager holds (see MetricsReplyMessage.base).
 */
export type FamilyUpdate = { family: MetricFamily } | { same: string };

/**
 * A worker's registry, as a delta when it can be: when `base` is the request id of the reply
 * the manager says it holds, families whose JSON did not change since then are sent by name
 * only. Idle series (most of a large registry) then cost the manager nothing to parse.
 */
export interface MetricsReplyMessage {
  type: 'metrics';
  requestId: number;
  base: number | null;
  families: FamilyUpdate[];
}

/** Sent by a worker leaving on purpose, just before it exits, so nothing it counted is lost. */
export interface FinalMetricsMessage {
  type: 'final-metrics';
  metrics: MetricsSnapshot;
}

export type WorkerMessage =
  ReadyMessage | BootFailedMessage | HeartbeatMessage | MetricsReplyMessage | FinalMetricsMessage;

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

export interface SetLogLevelMessage {
  type: 'set-log-level';
  level: LogLevel;
}

export type ManagerMessage = CollectMetricsMessage | DrainMessage | SetLogLevelMessage;

// ---- guards ------------------------------------------------------------------------------

const WORKER_TYPES = new Set<string>([
  'ready',
  'boot-failed',
  'heartbeat',
  'metrics',
  'final-metrics',
]);
const MANAGER_TYPES = new Set<string>(['collect-metrics', 'drain', 'set-log-level']);

function hasType(value: unknown): value is { type: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string'
  );
}

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return hasType(value) && WORKER_TYPES.has(value.type);
}

export function isManagerMessage(value: unknown): value is ManagerMessage {
  return hasType(value) && MANAGER_TYPES.has(value.type);
}

/** Environment variable through which the manager tells a forked worker its slot. */
export const WORKER_SLOT_ENV = 'CLUSTER_WORKER_SLOT';

// ---- worker stack watchdog -> manager (a pipe of its own, not IPC) -------------------------

/**
 * Environment variable naming the descriptor of a pipe the manager reads, on which a worker's
 * stack watchdog (a thread: the IPC channel belongs to the blocked main thread) reports.
 */
export const WORKER_REPORT_FD_ENV = 'CLUSTER_WORKER_REPORT_FD';

/** One line of JSON on that pipe: the main thread has made no progress for `stalledMs`. */
export interface StallReport {
  type: 'stall-report';
  stalledMs: number;
  /** The blocked main thread's JavaScript stack, innermost first; null if it could not be read. */
  frames: string[] | null;
  /** Why there are no frames, or that the list was cut. */
  note: string | null;
}

export function isStallReport(value: unknown): value is StallReport {
  if (!hasType(value) || value.type !== 'stall-report') return false;
  const { stalledMs, frames, note } = value as Partial<StallReport>;
  return (
    typeof stalledMs === 'number' &&
    (frames === null || (Array.isArray(frames) && frames.every((f) => typeof f === 'string'))) &&
    (note === null || typeof note === 'string')
  );
}
