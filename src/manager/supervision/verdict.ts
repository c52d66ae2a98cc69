// The watchdog's judgement of one worker, as a pure function: kill it (silent, or never booted),
// recycle it (over its memory or request budget), or leave it. The supervisor acts on it.
import type { Config } from '../../config.js';
import type { KillReason } from './lifecycle.js';
import type { ManagedWorker } from './managed-worker.js';

const MIB = 1024 * 1024;

export type Judged = Pick<
  ManagedWorker,
  'state' | 'heartbeat' | 'maxRequests' | 'silentForMs' | 'bootingForMs'
>;

export type Verdict =
  | { action: 'kill'; reason: KillReason }
  | { action: 'recycle'; reason: 'memory' | 'max_requests' }
  | null;

export function judge(
  worker: Judged,
  limits: Pick<Config, 'workerTimeoutMs' | 'workerMaxRssMb'>,
): Verdict {
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
