// The watchdog's judgement of one worker, as a pure function: kill it (it went silent, or never
// booted), recycle it (over its memory or request budget), or leave it. The supervisor acts on
// the verdict; the unit tests judge workers without any.
import type { HeartbeatMessage } from '../../protocol.js';
import type { KillReason, WorkerState } from './lifecycle.js';

const MIB = 1024 * 1024;

export interface Judged {
  readonly state: WorkerState;
  readonly heartbeat: HeartbeatMessage | null;
  readonly maxRequests: number | undefined;
  silentForMs(): number;
  bootingForMs(): number;
}

export interface Limits {
  workerTimeoutMs: number;
  workerMaxRssMb: number | undefined;
}

export type Verdict =
  | { action: 'kill'; reason: KillReason }
  | { action: 'recycle'; reason: 'memory' | 'max_requests' }
  | null;

export function judge(worker: Judged, limits: Limits): Verdict {
  if (worker.silentForMs() > limits.workerTimeoutMs) return { action: 'kill', reason: 'hung' };
  if (worker.state === 'starting' && worker.bootingForMs() > limits.workerTimeoutMs) {
    return { action: 'kill', reason: 'boot_timeout' };
  }
  const beat = worker.heartbeat;
  if (worker.state !== 'ready' || !beat) return null;
  const { workerMaxRssMb } = limits;
  if (workerMaxRssMb !== undefined && beat.residentMemoryBytes > workerMaxRssMb * MIB) {
    return { action: 'recycle', reason: 'memory' };
  }
  if (worker.maxRequests !== undefined && beat.requestsServed >= worker.maxRequests) {
    return { action: 'recycle', reason: 'max_requests' };
  }
  return null;
}
